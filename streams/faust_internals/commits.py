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
message's pings after a failover). ``flush_delivered`` makes the flush wait until every record put
in the buffer before it is acknowledged by the broker, and every outage record sent before it
through the outage producer (``streams.sender``), which does not go through that buffer.

The worker's consumer and producer (``transport``) commit and flush with these.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any


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


async def flush_delivered(flush: Callable[[], Awaitable[None]], deliveries: Deliveries) -> None:
    """Flush (Faust's producer's ``flush``), then wait until every record tracked in ``deliveries``
    before the call is acknowledged or failed; a record sent later belongs to a later commit."""
    for hurry in deliveries.before_flush:
        hurry()
    waiting = list(deliveries.unacknowledged)
    await flush()
    if waiting:
        _, pending = await asyncio.wait(waiting, timeout=DELIVERY_WAIT)
        if pending:  # a record whose send raised before reaching the client never resolves
            log.warning("committing with %d records unacknowledged after %.0f s", len(pending), DELIVERY_WAIT)
