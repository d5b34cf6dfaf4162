"""``storemon demo --exit``, the README's first command without its serving: a broker of its own, the
worker on the wall clock, the bundled sample replayed shifted to now, one report, then a clean stop."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from replay.parsing import parse_timestamp
from storemon.broker import free_port
from streams.engine.instants import dataset_text
from tests.helpers import OfflineCsv, instant

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
    exactly = re.search(r"each moved .* \(([\d,]+) µs\) forward", done.stderr)
    assert exactly is not None, done.stderr
    shifted_by = int(exactly[1].replace(",", ""))
    as_of = instant(re.search(r"stores at (\S+)Z:", done.stdout)[1])  # type: ignore[index]
    shifted = shifted_sample(sample, tmp_path / "shifted", shifted_by)
    assert (tmp_path / "demo" / "report.csv").read_text() == offline_csv(shifted, as_of)
    assert "stopped after the report (--exit)" in done.stderr
    assert "Open the dashboard" not in done.stdout  # nothing is left serving it


def shifted_sample(sample: Path, folder: Path, shifted_by: int) -> Path:
    """The sample's files with every ping moved ``shifted_by`` microseconds forward."""
    with zipfile.ZipFile(sample) as archive:
        archive.extractall(folder)
    pings = folder / "store_status.csv"
    rows = list(csv.reader(io.StringIO(pings.read_text())))
    with pings.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(rows[0])
        for store_id, status, timestamp in rows[1:]:
            writer.writerow([store_id, status, dataset_text(parse_timestamp(timestamp) + shifted_by)])
    return folder
