"""Commit positions: computed from the set of finished offsets, so repeats cannot hold them back."""

from __future__ import annotations

import asyncio
from typing import Any

from faust.types import TP
from hypothesis import given
from hypothesis import strategies as st
from intervaltree import IntervalTree

from streams.faust_internals.commits import Deliveries, flush_delivered, next_position
from streams.faust_internals.transport import WorkerConsumer, WorkerProducer
from streams.worker import StreamWorker
from tests.streams.conftest import PARTITIONS


def test_a_gap_over_acknowledged_offsets_does_not_hold_the_position_back() -> None:
    # What a survivor's consumer held after a failover: offsets 41..263 acknowledged, and a gap
    # recorded over the same offsets when its read position was reset to the committed one.
    acked = [40, *range(41, 264), *range(264, 300)]
    assert next_position(40, acked, [(41, 265)]) == 300


def test_the_position_waits_for_the_first_unfinished_offset() -> None:
    assert next_position(10, [12, 13], []) is None  # offsets 10 and 11 are still being processed
    assert next_position(10, [11, 12, 13], []) == 14  # 10 came before 11: read before a seek back
    assert next_position(10, [10, 10, 11, 13], []) == 12
    assert next_position(None, [5, 6, 8], []) == 7
    assert next_position(10, [], []) is None
    assert next_position(10, [10], [(11, 20)]) == 11  # gaps beyond the last acknowledged offset wait


@given(
    st.integers(0, 50),
    st.sets(st.integers(0, 120)),
    st.lists(st.tuples(st.integers(0, 120), st.integers(1, 30))),
)
def test_the_position_is_the_first_offset_neither_acknowledged_nor_skipped(
    committed: int, acked: set[int], raw_gaps: list[tuple[int, int]]
) -> None:
    gaps = [(begin, begin + length) for begin, length in raw_gaps]
    done = {a for a in acked if a >= committed}
    if done:
        done |= {o for b, e in gaps for o in range(b, e) if o <= max(done)}
    expected = committed if committed in done or committed + 1 not in done else committed + 1
    start = expected
    while expected in done:
        expected += 1
    repeated = sorted(acked) * 2
    assert next_position(committed, repeated, gaps) == (expected if expected != start else None)


def test_the_workers_consumer_commits_with_it(stream_worker: StreamWorker) -> None:
    consumer: Any = stream_worker.app.consumer
    assert isinstance(consumer, WorkerConsumer)
    partition = TP("agents-pings", PARTITIONS - 1)
    consumer._committed_offset[partition] = 5
    consumer._acked[partition].extend([5, 6, 6, 7, 9])
    consumer._acked_index[partition].update({5, 6, 7, 9})
    consumer._gap[partition] = IntervalTree.from_tuples([(6, 8)])
    assert consumer._filter_committable_offsets([partition]) == {partition: 8}
    assert consumer._acked[partition] == [9]
    assert consumer._acked_index[partition] == {9}
    assert not consumer._gap[partition]


class _Flush:
    """Flushes as Faust's buffer may under backpressure: returns with records still unsent."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1


def test_a_commits_flush_hurries_gathering_records_and_waits_for_every_one_sent_before_it() -> None:
    async def scenario() -> list[str]:
        flush, deliveries, seen = _Flush(), Deliveries(), []
        loop = asyncio.get_running_loop()
        before = [loop.create_future() for _ in range(3)]
        for future in before:
            deliveries.track(future)  # changelog records through Faust's producer, outage records
        deliveries.before_flush.append(lambda: seen.append("hurried"))  # a batch of them gathering
        flushing = asyncio.ensure_future(flush_delivered(flush, deliveries))
        await asyncio.sleep(0)  # the commit's flush has begun
        later = loop.create_future()
        deliveries.track(later)  # belongs to a later commit: not waited for
        for future in before:
            await asyncio.sleep(0.01)
            assert not flushing.done()
            seen.append("acknowledged")
            future.set_result(None)
        await flushing
        seen.append("flushed")
        assert flush.calls == 1
        assert deliveries.unacknowledged == {later}
        return seen

    assert asyncio.run(scenario()) == ["hurried"] + ["acknowledged"] * 3 + ["flushed"]


def test_the_workers_producer_tracks_every_record_it_buffers_and_flushes_with_them(
    stream_worker: StreamWorker,
) -> None:
    producer = stream_worker.app.producer
    assert isinstance(producer, WorkerProducer)
    assert producer.deliveries is stream_worker.deliveries

    async def scenario() -> None:
        future = asyncio.get_running_loop().create_future()
        producer.send_soon(future)
        assert stream_worker.deliveries.unacknowledged == {future}
        future.set_result(None)
        await asyncio.sleep(0)
        assert not stream_worker.deliveries.unacknowledged

    asyncio.run(scenario())
