"""Committed offsets that keep up with processing after a rebalance.

faust-streaming commits, per partition, the end of the first run of consecutive offsets among those
its streams acknowledged plus the "gaps" its fetcher saw (offsets a compacted topic never delivers).
After a rebalance its fetcher can record a gap over offsets that were acknowledged too; the repeated
offsets break its run, and the committed offset then creeps forward by one or two per commit while
everything is processed (seen: 146 of 1,068 on a partition a survivor took over, minutes later).
A restart would then process most of the partition again. Here the position is computed from the
*set* of finished offsets, so a repeat cannot split the run.

Faust also flushes its producer before a commit, so that no record a processed message wrote (a
changelog or outage record) is still unsent when its offset is committed. But its buffer's flush
gives up once 0.1 s pass without a message leaving it, records still inside: under backpressure a
commit could pass them, and a worker killed just after lost them for good (seen: a store missing one
message's pings after a failover). ``commit_after_delivery`` makes the flush wait until every record
put in the buffer before it is acknowledged by the broker, and every outage record sent before it
through the outage producer (``streams.outages.sender``), which does not go through that buffer.

These replace one method of Faust's consumer and two of its producer, behind this module only;
``tests/streams/faust_internals/test_commits.py`` checks them against the pinned faust-streaming.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from faust.types import TP


def next_position(committed: int | None, acked: Iterable[int], gaps: Iterable[tuple[int, int]]) -> int | None:
    """The offset to commit next (the first not yet finished), or None when it would not move.

    ``committed`` is the committed position (the next offset to read), ``acked`` the offsets
    processed since, in any order and possibly repeated, ``gaps`` half-open ranges of offsets never
    delivered. Only a run that starts at ``committed`` moves it, with one allowance Faust makes
    too: the message at ``committed`` itself may be missing when the next one is done. A partition
    is processed in order, so that message was delivered before (its consumer seeked back to the
    committed position after a rebalance, and dropped the message as already read); any other
    missing offset is a message not processed yet.
    """
    done = set(acked)
    if not done:
        return None
    highest = max(done)
    for begin, end in gaps:
        done.update(range(begin, min(end, highest + 1)))
    position = min(done) if committed is None else committed
    if position not in done:
        if position + 1 not in done:
            return None
        position += 1
    while position in done:
        position += 1
    return position


def keep_commits_moving(consumer: Any) -> None:
    """Make ``consumer`` (a faust-streaming Consumer) compute its commit positions with ``next_position``."""

    def new_offset(tp: TP) -> int | None:
        acked: list[int] = consumer._acked[tp]  # noqa: SLF001 (see the module docstring)
        gaps = consumer._gap[tp]  # noqa: SLF001
        committed: int | None = consumer._committed_offset[tp]  # noqa: SLF001
        position = next_position(committed, acked, ((gap.begin, gap.end) for gap in gaps))
        if position is None:
            return None
        finished = [offset for offset in acked if offset < position]
        acked[:] = sorted({offset for offset in acked if offset >= position})
        consumer._acked_index[tp].difference_update(finished)  # noqa: SLF001
        gaps.chop(0, position)
        return position

    consumer._new_offset = new_offset  # noqa: SLF001


# Longest a commit waits for the records before it; acknowledgements take milliseconds to seconds.
DELIVERY_WAIT = 30.0
log = logging.getLogger(__name__)


class Deliveries:
    """Records sent and not yet acknowledged by the broker, through whichever producer sent them."""

    def __init__(self) -> None:
        self.unacknowledged: set[asyncio.Future[Any]] = set()
        # Called before a commit's flush: a producer that holds records back sends them now.
        self.before_flush: list[Callable[[], None]] = []

    def track(self, future: asyncio.Future[Any]) -> None:
        self.unacknowledged.add(future)
        future.add_done_callback(self.unacknowledged.discard)


def commit_after_delivery(producer: Any, deliveries: Deliveries) -> None:
    """Make ``producer.flush()`` (a faust-streaming Producer's, which its consumer awaits before each
    commit) return only once every record put in its buffer, or tracked in ``deliveries``, before the
    call was acknowledged or failed; a record sent later belongs to a later commit."""
    if getattr(producer, "_storemon_delivery", False):
        return  # already done for this producer (partitions are assigned many times)
    buffer = producer.buffer
    put, flush = buffer.put, producer.flush

    def tracked_put(future: asyncio.Future[Any]) -> None:
        deliveries.track(future)
        put(future)

    async def flush_delivered() -> None:
        for hurry in deliveries.before_flush:
            hurry()
        waiting = list(deliveries.unacknowledged)
        await flush()
        if waiting:
            _, pending = await asyncio.wait(waiting, timeout=DELIVERY_WAIT)
            if pending:  # a record whose send raised before reaching the client never resolves
                log.warning(
                    "committing with %d records unacknowledged after %.0f s", len(pending), DELIVERY_WAIT
                )

    buffer.put = tracked_put
    producer.flush = flush_delivered
    producer._storemon_delivery = True  # noqa: SLF001
