"""The agents in Faust's test context: events in, table state, progress and metrics out."""

from __future__ import annotations

import asyncio
import random

import pytest

from streams.engine import DEFAULT_PROFILE, HOUR, HoursRow, StoreProfile, StoreState
from streams.messages import encode_pings, encode_profile
from streams.worker import StreamWorker
from tests.helpers import instant

START = instant("2023-01-20T00:00:00")
PINGS = [(START + i * HOUR + 7, i % 5 != 3) for i in range(60)]
NIGHTS = StoreProfile("Asia/Tokyo", (HoursRow(0, 22 * 3600, 6 * 3600),))


def test_pings_in_any_order_and_batching_give_the_batch_state(stream_worker: StreamWorker) -> None:
    shuffled = PINGS + PINGS[:10]  # with duplicates
    random.Random(3).shuffle(shuffled)

    async def scenario() -> None:  # the test context numbers each agent's messages from offset 0
        async with stream_worker.ingest.pings.test_context() as agent:
            for start in range(0, len(shuffled), 7):
                await agent.put(encode_pings(shuffled[start : start + 7]), key=b"s1", partition=1)

    asyncio.run(scenario())
    assert stream_worker.tables.state(b"s1") == StoreState.from_pings(PINGS, DEFAULT_PROFILE)
    assert stream_worker.progress.outcomes == {"added": 60, "duplicate": 10}
    assert stream_worker.progress.next_offsets == {"agents-pings": {1: 10}}
    assert stream_worker.watermark() == PINGS[-1][0]


def test_a_profile_before_or_after_the_pings_gives_the_same_state(stream_worker: StreamWorker) -> None:
    async def scenario() -> None:
        async with (
            stream_worker.ingest.pings.test_context() as pings,
            stream_worker.ingest.profiles.test_context() as profiles,
        ):
            await profiles.put(encode_profile(NIGHTS), key=b"early", partition=0)
            for key in (b"early", b"late", b"dropped"):
                await pings.put(encode_pings(PINGS), key=key, partition=0)
            await profiles.put(encode_profile(NIGHTS), key=b"late", partition=0)
            await profiles.put(encode_profile(NIGHTS), key=b"dropped", partition=0)
            await profiles.put(None, key=b"dropped", partition=0)  # tombstone: back to the default

    asyncio.run(scenario())
    tables = stream_worker.tables
    assert tables.state(b"early") == tables.state(b"late") == StoreState.from_pings(PINGS, NIGHTS)
    assert tables.profile(b"late") == NIGHTS
    assert tables.state(b"dropped") == StoreState.from_pings(PINGS, DEFAULT_PROFILE)
    assert tables.profile(b"dropped") == DEFAULT_PROFILE


def test_messages_that_break_the_wire_format_are_counted_and_moved_past(
    stream_worker: StreamWorker,
) -> None:
    async def scenario() -> None:
        async with (
            stream_worker.ingest.pings.test_context() as pings,
            stream_worker.ingest.profiles.test_context() as profiles,
        ):
            await pings.put(b"[[1, 2, 3]]", key=b"s1", partition=0)
            await pings.put(encode_pings(PINGS), key=b"", partition=0)
            await profiles.put(b'{"hours": [[9, 0, 0]]}', key=b"s1", partition=1)

    asyncio.run(scenario())
    assert stream_worker.tables.state(b"s1") is None
    assert stream_worker.tables.profile(b"s1") == DEFAULT_PROFILE
    assert stream_worker.progress.outcomes == {"rejected_message": 3}
    assert stream_worker.progress.next_offsets == {"agents-pings": {0: 2}, "agents-profiles": {1: 1}}
    registry = stream_worker.metrics.registry
    assert registry.get_sample_value("storemon_messages_rejected_total", {"topic": "agents-pings"}) == 2


def test_a_crashed_agent_is_recorded_until_it_processes_an_event_again(
    stream_worker: StreamWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = stream_worker.tables.put_state

    def put_state_failing(key: bytes, state: StoreState) -> None:
        raise OSError("disk full")

    async def crash() -> None:
        async with stream_worker.ingest.pings.test_context() as agent:
            await agent.put(encode_pings(PINGS[:1]), key=b"s1", wait=False)
            for _ in range(100):
                if stream_worker.progress.crashed:
                    return
                await asyncio.sleep(0.01)

    async def recover() -> None:  # Faust's supervisor restarts the agent; here a fresh context stands in
        async with stream_worker.ingest.pings.test_context() as agent:
            await agent.put(encode_pings(PINGS[1:2]), key=b"s1")

    monkeypatch.setattr(stream_worker.tables, "put_state", put_state_failing)
    asyncio.run(crash())
    assert stream_worker.progress.crashed == {"ingest-pings": "OSError: disk full"}
    assert not stream_worker.ready
    monkeypatch.setattr(stream_worker.tables, "put_state", writes)
    asyncio.run(recover())
    assert stream_worker.progress.crashed == {}
