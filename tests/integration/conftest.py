"""Fixtures the real-broker tests share: the bundled sample, its offline report, a fresh deployment."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.kafka import KafkaConnection
from storemon.local import Deployment
from storemon.offline import offline_report
from tests.conftest import REPO
from tests.helpers import OfflineCsv


@pytest.fixture(scope="session")
def sample() -> Path:
    """The demo's dataset: 200 real V1 stores, 8 days of generated pings."""
    return REPO / "storemon" / "samples" / "demo.zip"


@pytest.fixture
def offline_csv(tmp_path: Path) -> OfflineCsv:
    """The offline report's CSV text of a dataset (optionally ``as_of``): what the stream must equal."""
    count = 0

    def report(source: Path, as_of: int | None = None) -> str:
        nonlocal count
        count += 1
        out = tmp_path / f"offline-{count}.csv"
        offline_report(source, out, as_of=as_of, workers=1)
        return out.read_text()

    return report


@pytest.fixture
def deployment(kafka: KafkaConnection, tmp_path: Path) -> Deployment:
    """A deployment of its own (topics, consumer group) on the session's broker."""
    return Deployment(kafka, tmp_path)
