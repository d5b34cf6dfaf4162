"""The outage and silence topics read once per worker and handed to every event-stream client.

A client reading the topic through a consumer of its own costs the worker that consumer's fetching,
decoding and bookkeeping, on the event loop lookups share: with 50 open dashboards a burst of 2,000
outage changes took ~40 CPU-seconds and reached clients up to a minute late. Instead one reader
follows the topic and keeps its latest notices; every client is served from those, so the cost of
reading grows with the changes, not with clients times changes, and each notice is encoded once. A
client resuming from a position older than the notices kept, or one so slow that they moved past
it, reads the topic on its own until it reaches them, then joins the others. The positions it is
sent are the ones a reader of its own would send: ids stay valid on any worker.

The follower reads only while clients listen, and for a while after the last one leaves (a client
that reconnects then is served from memory): a worker without event-stream clients reads nothing of
the topics it writes, which during a replay's backfill is every outage of the fleet.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress

from prometheus_client import CollectorRegistry, Gauge

from alerts.feed import EpisodeFeed, EpisodeReader, Notice, Position

# Notices kept for clients to be served from: a burst of this many changes reaches every client
# without a reader of its own. About 2 KiB each.
KEPT = 4096
# Seconds the topics are still followed after the last client left.
KEEP_FOLLOWING = 300.0
# Seconds a client from now waits for the follower to start before it reads on its own.
FOLLOWER_START = 10.0


class EpisodeBroadcast:
    """One follower of the episode topics per worker, and the notices it read lately."""

    def __init__(
        self,
        feed: EpisodeFeed,
        registry: CollectorRegistry,
        kept: int = KEPT,
        keep_following: float = KEEP_FOLLOWING,
    ) -> None:
        self.feed = feed
        self.kept = kept
        self.keep_following = keep_following
        self.listening = 0  # clients connected
        self.quiet_since = -math.inf  # when the last client left (monotonic seconds)
        self.wanted = asyncio.Event()  # set while the topics are to be followed
        self.started = asyncio.Event()  # set while they are
        self.notices: list[Notice] = []  # the latest read, oldest first
        self.first = 0  # the number, counting from the start, of ``notices[0]``
        # Clients at a position from ``_floor`` to ``_head`` are served from the notices kept; both
        # None until the topic is followed.
        self._floor: Position | None = None
        self._head: Position | None = None
        self.arrived = asyncio.Event()
        self.clients = Gauge("storemon_event_clients", "event-stream clients connected", registry=registry)
        self.readers = Gauge(
            "storemon_event_readers",
            "readers of the outage and silence topics open for event streams: the worker's own, and one "
            "per client catching up from an older position",
            registry=registry,
        )

    def position(self, text: str) -> Position:
        return self.feed.position(text)

    @property
    def end(self) -> int:
        return self.first + len(self.notices)

    async def follow(self) -> None:
        """Once clients listen, read the topic into the notices kept, from where the last reading
        stopped (the first time, and after a quiet spell: from now on), until no client has listened
        for ``keep_following`` seconds or it fails; the worker runs it again after a pause
        (``repeating``)."""
        await self.wanted.wait()
        async with self.counted_reader(self._head) as reader:
            if reader.position != self._head:  # the first time, or a log made anew
                # Past every number a client holds: each reads on its own from where it is.
                self.first, self.notices = self.end + 1, []
                self._floor = self._head = reader.position
            self.started.set()
            while self.listening or time.monotonic() - self.quiet_since < self.keep_following:
                self._add(await reader.read(1.0), reader.position)
            # Quiet: nothing is read until a client comes, and then from now on. Forgotten before the
            # reader closes, so that a client arriving meanwhile waits for the next reading.
            self.first, self.notices = self.end + 1, []
            self._floor = self._head = None
            self.started.clear()
            self.wanted.clear()

    def _add(self, notices: list[Notice], head: Position) -> None:
        self._head = head
        if not notices:
            return
        self.notices.extend(notices)
        surplus = len(self.notices) - self.kept
        if surplus >= self.kept:  # dropped in chunks, so the cost per notice stays constant
            self._floor = self.notices[surplus - 1].position
            del self.notices[:surplus]
            self.first += surplus
        arrived, self.arrived = self.arrived, asyncio.Event()
        arrived.set()

    @asynccontextmanager
    async def counted_reader(self, start: Position | None) -> AsyncIterator[EpisodeReader]:
        self.readers.inc()
        try:
            async with self.feed.reading(start) as reader:
                yield reader
        finally:
            self.readers.dec()

    def serves(self, position: Position) -> bool:
        """Whether a client at ``position`` can be served from the notices kept."""
        return self._floor is not None and self._head is not None and position.within(self._floor, self._head)

    @asynccontextmanager
    async def reading(self, start: Position | None) -> AsyncIterator[Listener]:
        """A client's reader from ``start`` (None: from now on), as ``EpisodeFeed.reading`` gives."""
        self.clients.inc()
        self.listening += 1
        self.wanted.set()
        try:
            async with AsyncExitStack() as own:
                listener = Listener(self, own)
                if start is None and self._head is None:
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self.started.wait(), FOLLOWER_START)
                if start is None and self._head is not None:
                    listener.join(self._head, self.end)
                elif start is not None and self.serves(start):
                    listener.join(start, self.first)
                else:
                    await listener.read_alone(start)
                yield listener
        finally:
            self.clients.dec()
            self.listening -= 1
            if not self.listening:
                self.quiet_since = time.monotonic()


class Listener:
    """One client's place: in the broadcast's notices, or, until it reaches them, a reader of its own."""

    def __init__(self, broadcast: EpisodeBroadcast, own: AsyncExitStack) -> None:
        self.broadcast = broadcast
        self.own = own
        self.alone: EpisodeReader | None = None
        self.position = Position(())
        self.next = 0  # the number of the next notice of the broadcast to look at

    def join(self, position: Position, first: int) -> None:
        self.position, self.next = position, first

    async def read_alone(self, start: Position | None) -> None:
        self.alone = await self.own.enter_async_context(self.broadcast.counted_reader(start))
        self.position = self.alone.position

    async def read(self, timeout: float) -> list[Notice]:
        """The next notices, none when none came within ``timeout`` seconds."""
        broadcast = self.broadcast
        if self.alone is not None:
            notices = [notice for notice in await self.alone.read(timeout) if notice.body is not None]
            self.position = self.alone.position
            if broadcast.serves(self.position):
                # Caught up: the broadcast serves it from here, its own reader closes. It joins before
                # the close, which takes a moment in which the broadcast may drop the notices it needs
                # (then it reads alone again, as any listener too slow for them).
                self.join(self.position, broadcast.first)
                self.alone = None
                await self.own.aclose()
            return notices
        if self.next >= broadcast.end:
            with suppress(TimeoutError):
                await asyncio.wait_for(broadcast.arrived.wait(), timeout)
        if self.next < broadcast.first:  # so slow that the notices it needs were dropped
            await self.read_alone(self.position)
            return []
        kept = broadcast.notices[self.next - broadcast.first :]
        self.next = broadcast.end
        found = []
        for notice in kept:
            if notice.offset >= self.position.offsets[notice.partition]:  # not sent to it before
                self.position = self.position.joined(notice.position)
                if notice.body is None:
                    continue
                found.append(
                    notice
                    if self.position is notice.position
                    else Notice(self.position, notice.body, notice.partition)
                )
        return found
