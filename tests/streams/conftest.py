"""A stream worker whose agents run in Faust's test context: real RocksDB tables, no broker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest

from connectors.kafka import KafkaConnection
from streams.agents import OutagePublishing
from streams.app import StreamsConfig
from streams.engine.instants import EventTimeGuard
from streams.state.outbox import ChangelogOutbox
from streams.topics import Topics
from streams.worker import StreamWorker

PARTITIONS = 2


def new_stream_worker(data_dir: Path, guard: EventTimeGuard | None = None) -> StreamWorker:
    config = StreamsConfig(
        app_id="agents",
        kafka=KafkaConnection(bootstrap="127.0.0.1:9"),  # never contacted: events go to the agents
        partitions=PARTITIONS,
        data_dir=data_dir,
        topics=Topics.with_prefix("agents"),
        canonical_url="http://127.0.0.1:1",
        guard=guard or EventTimeGuard(),
    )
    worker = StreamWorker(config)
    worker.app.finalize()
    worker.app.flow_control.resume()
    worker.ingest.outages = OutagePublishing(worker.open_outages, EpisodeSink())
    assert worker.silences is not None
    worker.silences.send = EpisodeSink()
    for outbox in worker.tables.outboxes:
        cast(Any, outbox).sender = ChangelogSink(outbox)
    # No broker here to ask for highwaters: no message has a backlog behind it.
    cast(Any, worker.app.consumer).highwater = lambda tp: None
    return worker


class EpisodeSink:
    """Stands in for an episode topic: keeps (partition, key, value) of each record sent, and whether
    a backlog was behind it."""

    def __init__(self) -> None:
        self.records: list[tuple[int, bytes, bytes | None]] = []
        self.backlogs: list[bool] = []

    def __call__(self, *, key: bytes, value: bytes | None, partition: int, backlog: bool) -> None:
        self.records.append((partition, key, value))
        self.backlogs.append(backlog)


class ChangelogSink:
    """Stands in for a table's changelog topic: keeps (partition, offset, key, value) of each record
    and acknowledges it, or refuses the next ``refusals`` records, telling the outbox as a sender does."""

    def __init__(self, outbox: ChangelogOutbox) -> None:
        self.outbox = outbox
        self.records: list[tuple[int, int, bytes, bytes | None]] = []
        self.refusals = 0

    def __call__(self, *, key: bytes, value: bytes | None, partition: int, backlog: bool) -> None:
        loop = asyncio.get_running_loop()
        if self.refusals:
            self.refusals -= 1
            loop.call_soon(self.outbox.refused, partition, [(key, value)])
            return
        offset = sum(record[0] == partition for record in self.records)
        self.records.append((partition, offset, key, value))
        loop.call_soon(self.outbox.delivered, partition, offset, [(key, value)])


def changelog_sink(outbox: ChangelogOutbox) -> ChangelogSink:
    """The sink standing in for ``outbox``'s changelog in a worker from ``new_stream_worker``."""
    return cast(ChangelogSink, outbox.sender)


@pytest.fixture
def stream_worker(tmp_path: Path) -> StreamWorker:
    return new_stream_worker(tmp_path / "worker")
