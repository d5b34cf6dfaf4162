"""``storemon demo --exit``, the README's first command without its serving: a broker of its own, the
worker, the bundled sample replayed, one report, then a clean stop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storemon.broker import free_port
from tests.helpers import OfflineCsv

pytestmark = pytest.mark.kafka


def test_the_demo_writes_the_samples_report_and_stops_when_told(
    tmp_path: Path, sample: Path, offline_csv: OfflineCsv
) -> None:
    command = [sys.executable, "-m", "storemon.cli", "demo", "--exit", "--data-dir", str(tmp_path / "demo")]
    # The guard only keeps a hanging demo from hanging the suite.
    done = subprocess.run(
        [*command, "--port", str(free_port())], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "demo" / "report.csv").read_text() == offline_csv(sample)
    assert "stopped after the report (--exit)" in done.stderr
    assert "Open the dashboard" not in done.stdout  # nothing is left serving it
