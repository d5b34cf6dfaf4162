"""Fetched records are taken from aiokafka only for partitions Faust will deliver them from."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP

from streams.faust_internals.fetching import DeliverablePartitions
from streams.faust_internals.transport import WorkerConsumerThread
from streams.worker import StreamWorker

PINGS, CHANGELOG = TP("pings", 0), TP("store-states-changelog", 0)


def deliverable(
    active: set[TP], rebalancing: bool, buffered: frozenset[TP] = frozenset()
) -> DeliverablePartitions:
    return DeliverablePartitions(
        active, buffered, lambda tp: tp.topic.endswith("-changelog"), lambda: rebalancing
    )


def test_no_active_partition_is_no_partition_not_every_partition() -> None:
    none = deliverable(set(), rebalancing=False)
    assert none  # aiokafka reads an empty set as every partition
    assert PINGS not in none and CHANGELOG not in none


def test_sources_wait_for_the_rebalance_to_end_changelogs_only_for_being_active() -> None:
    active = {PINGS, CHANGELOG}
    assert PINGS not in deliverable(active, rebalancing=True)
    assert CHANGELOG in deliverable(active, rebalancing=True)
    assert PINGS in deliverable(active, rebalancing=False)
    assert TP("pings", 1) not in deliverable(active, rebalancing=False)


def test_with_no_partition_active_those_held_back_for_a_full_buffer_are_still_fed() -> None:
    """As when aiokafka took every partition then: Faust delivers those too."""
    held_back = frozenset({PINGS})
    assert PINGS in deliverable(set(), rebalancing=False, buffered=held_back)
    assert PINGS not in deliverable(set(), rebalancing=True, buffered=held_back)
    assert PINGS not in deliverable({TP("pings", 1)}, rebalancing=False, buffered=held_back)


def test_membership_is_asked_when_records_are_taken_not_when_the_fetch_began() -> None:
    active: set[TP] = set()
    partitions = deliverable(active, rebalancing=False)
    active.add(PINGS)
    assert PINGS in partitions
    active.clear()
    assert PINGS not in partitions


def test_the_workers_consumer_thread_fetches_with_it(
    stream_worker: StreamWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's consumer thread hands aiokafka ``DeliverablePartitions`` over Faust's own sets."""
    consumer: Any = stream_worker.app.consumer
    thread = consumer._thread
    assert isinstance(thread, WorkerConsumerThread)
    calls: list[Any] = []

    async def recorded(
        self: Any,
        aiokafka_consumer: Any,
        active: Any,
        timeout: float | None = None,
        max_records: int | None = None,
    ) -> Any:
        calls.append((aiokafka_consumer, active, timeout, max_records))
        return {}

    monkeypatch.setattr(AIOKafkaConsumerThread, "_fetch_records", recorded)
    active = {TP("agents-pings", 0), TP("agents-store-states-changelog", 0)}
    asyncio.run(thread._fetch_records("aiokafka", active, timeout=1.0, max_records=10))
    asyncio.run(thread._fetch_records("aiokafka", None, timeout=1.0))  # a client-only app's
    first, client_only = calls
    assert first[0::2] == ("aiokafka", 1.0) and first[3] == 10
    partitions = first[1]
    assert isinstance(partitions, DeliverablePartitions) and partitions.active is active
    assert partitions.buffered is consumer._buffered_partitions
    assert client_only[1] is None
    assert TP("agents-pings", 0) in partitions
    stream_worker.app.rebalancing = True
    assert TP("agents-pings", 0) not in partitions
    assert TP("agents-store-states-changelog", 0) in partitions
