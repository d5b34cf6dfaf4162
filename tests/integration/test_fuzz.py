"""The HTTP API fuzzed from its own OpenAPI schema: no input may cause a server error."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.kafka import KafkaConnection
from storemon.local import Deployment

pytestmark = pytest.mark.kafka


def test_no_5xx_for_any_generated_request(kafka: KafkaConnection, sample: Path, tmp_path: Path) -> None:
    worker = asyncio.run(Deployment(kafka, tmp_path, token="fuzz-token").serve(sample))
    try:
        cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
        assert cli is not None, "schemathesis is a dev dependency"
        run = subprocess.run(
            [cli, "run", f"{worker.url}/openapi.json", "--checks", "not_a_server_error",
             "-H", "Authorization: Bearer fuzz-token", "--max-examples", "40", "--no-color",
             # an event stream never ends; its inputs are checked in tests/api/routes/test_events.py
             "--exclude-path", "/api/events"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
    finally:
        worker.stop()
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
