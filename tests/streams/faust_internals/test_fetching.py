"""Fetched records are taken from aiokafka only for partitions Faust will deliver them from."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from faust.app.base import App
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP

from streams.faust_internals.fetching import DeliverablePartitions
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


def test_the_workers_consumer_thread_fetches_with_it(stream_worker: StreamWorker) -> None:
    """Pins the replaced method to the installed faust-streaming: what it is called with, and that the
    worker installs it from the first rebalance on, before any partition is assigned."""
    consumer: Any = stream_worker.app.consumer
    thread = consumer._thread  # noqa: SLF001
    calls: list[Any] = []

    async def recorded(
        aiokafka_consumer: Any, active: Any, timeout: float | None = None, max_records: int | None = None
    ) -> Any:
        calls.append((aiokafka_consumer, active, timeout, max_records))
        return {}

    thread._fetch_records = recorded  # noqa: SLF001 (Faust's own, before)
    active = {TP("agents-pings", 0), TP("agents-store-states-changelog", 0)}
    asyncio.run(stream_worker.app.on_partitions_revoked.send(set()))  # a rebalance's first step
    asyncio.run(thread._fetch_records("aiokafka", active, timeout=1.0, max_records=10))  # noqa: SLF001
    asyncio.run(stream_worker.app.on_partitions_assigned.send(set()))  # installed once only
    asyncio.run(thread._fetch_records("aiokafka", active, timeout=1.0))  # noqa: SLF001
    asyncio.run(thread._fetch_records("aiokafka", None, timeout=1.0))  # noqa: SLF001 (client only)
    first, again, client_only = calls
    assert first[0::2] == ("aiokafka", 1.0) and first[3] == 10
    for partitions in (first[1], again[1]):
        assert isinstance(partitions, DeliverablePartitions) and partitions.active is active
        assert partitions.buffered is consumer._buffered_partitions  # noqa: SLF001
    assert client_only[1] is None
    partitions = first[1]
    stream_worker.app.rebalancing = True
    assert TP("agents-pings", 0) not in partitions
    assert TP("agents-store-states-changelog", 0) in partitions


def test_faust_passes_its_live_active_set_and_resumes_sources_before_the_rebalance_ends() -> None:
    """What ``DeliverablePartitions`` relies on in the pinned faust-streaming."""
    assert "self._get_active_partitions()" in inspect.getsource(Consumer._wait_next_records)  # noqa: SLF001
    delivered = "tp in active_partitions\n                    or tp in self._buffered_partitions"
    assert delivered in inspect.getsource(Consumer.getmany)
    getmany = inspect.getsource(AIOKafkaConsumerThread.getmany)
    assert "self._fetch_records," in getmany and "active_partitions," in getmany
    fetch = inspect.getsource(AIOKafkaConsumerThread._fetch_records)  # noqa: SLF001
    assert "fetcher.fetched_records(\n                    active_partitions," in fetch
    assert "self.rebalancing = True" in inspect.getsource(App.on_rebalance_start)
    assert "self.rebalancing = False" in inspect.getsource(App.on_rebalance_end)
    completed = inspect.getsource(Recovery.on_recovery_completed)
    resumed = completed.index("consumer.resume_partitions(")
    assert (
        resumed < completed.index("consumer.perform_seek()") < completed.index("self.app.on_rebalance_end()")
    )
