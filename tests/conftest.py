from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.kafka import KafkaConnection
from storemon.broker import LocalBroker

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "store-monitoring"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real dataset files not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaConnection]:
    """A real single-node Apache Kafka broker on loopback for the whole session; how to reach it.

    Apache Kafka only: the tests marked ``kafka`` prove the product against the real thing, so a
    machine without Java and Maven fails here rather than falling back to another broker.
    """
    broker = LocalBroker(tmp_path_factory.mktemp("kafka"), engine="kafka")
    broker.start()
    try:
        yield broker.connection()
    finally:
        broker.stop()
