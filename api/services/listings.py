"""Listings gathered from the whole group, kept while they are read, and cursors that page through them.

Listings (outages, the fleet's stores) are gathered at one moment (an instant and the version of the
group's state then) and kept while they are read, so paging reads one listing however the stream
moves meanwhile: a cursor names its moment, its position and a digest of the filters it was made
for, and the next page is a slice of the same list. A gathering at ``now`` is kept ready in the
background (``Ready``) for readers that accept an answer a few seconds old.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from api.errors import BadCursor
from api.ports import GroupMoment, Moment
from api.services.repeating import repeating
from streams.engine.hourly import Stretch, hours_through, span_at, stores_per_hour

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


# How long what is made from a kept gathering (a filtered page's listing, counts) is kept unasked:
# past a quiet spell of the dashboard (``Ready.idle``), so that the next visitor finds it made.
QUIET_KEEP = 900.0


class Listings(Generic[K, T]):
    """``gather(key)`` once per key however many ask at once; kept while it is asked for at least every
    ``keep_seconds``, at most ``kept`` of them (the least recently asked go first)."""

    def __init__(
        self,
        gather: Callable[[K], Coroutine[Any, Any, list[T]]],
        keep_seconds: float = 30.0,
        kept: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gather = gather
        self.keep_seconds = keep_seconds
        self.kept = kept
        self.clock = clock
        self._held: OrderedDict[K, tuple[float, asyncio.Task[list[T]]]] = OrderedDict()

    async def at(self, key: K) -> list[T]:
        now = self.clock()
        for old, (asked, _) in list(self._held.items()):
            if now - asked > self.keep_seconds:
                del self._held[old]
        held = self._held.pop(key, None)
        task = held[1] if held is not None else asyncio.get_running_loop().create_task(self.gather(key))
        self._held[key] = (now, task)
        while len(self._held) > self.kept:
            self._held.popitem(last=False)
        try:
            return await asyncio.shield(task)
        except Exception:
            if key in self._held and self._held[key][1] is task:
                del self._held[key]  # a failed gathering is not kept
            raise


class RecentNow:
    """``now`` of the group (with its state's version) as the default of listings, the same for
    ``fresh`` seconds.

    While pings stream in (or the wall clock runs) ``now`` moves all the time; listings asked for
    "now" within a few seconds of each other then share one gathering instead of each making its own.
    """

    def __init__(
        self,
        now: GroupMoment,
        fresh: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.now = now
        self.fresh = fresh
        self.clock = clock
        self._known: tuple[float, Moment] | None = None

    async def __call__(self) -> Moment | None:
        now = self.clock()
        if self._known is not None and now - self._known[0] < self.fresh:
            return self._known[1]
        latest = await self.now()
        if latest is not None:
            self._known = (now, latest)
        return latest


class Ready:
    """A gathering at ``now`` kept ready in the background, for readers that accept an answer some
    seconds old (``Cache-Control: max-stale``), as the dashboard does.

    Gathering the whole group costs about what a report does: too long to wait for on a page load,
    and while pings stream in ``now`` moves with nearly every one. ``refresh`` runs every few
    seconds and gathers (``warm``) at ``now`` of the moment (a new state version at the same
    instant is a new gathering), but only while such readers keep asking (the last within ``idle``
    seconds), and never sooner after a gathering than twice the time it took: at most a third of the
    report processes' time goes to keeping listings ready. With no such reader for longer, the ready
    gathering is still kept (and stays fresh while the state does not move), and made anew at most
    every ``idle_every`` seconds: the next reader after a quiet spell finds one ready too.
    """

    def __init__(
        self,
        recent: RecentNow,
        warm: Callable[[Moment], Coroutine[Any, Any, object]],
        idle: float = 300.0,
        idle_every: float = 50.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recent = recent
        self.warm = warm
        self.idle = idle
        self.idle_every = idle_every
        self.clock = clock
        self._newest: tuple[float, Moment] | None = None  # when its moment was read, and the moment
        self._asked = -math.inf  # when a reader last accepted a stale answer
        self._rest_until = -math.inf
        self._running: asyncio.Task[Moment | None] | None = None

    async def at_most(self, max_stale: float) -> Moment | None:
        """ "Now" for a reader that accepts ``max_stale`` seconds: the newest gathering's moment when
        it is that fresh, else a gathering's at ``now`` (``recent`` for a reader that
        accepts nothing stale)."""
        if max_stale <= 0:
            return await self.recent()
        self._asked = self.clock()
        newest = self._newest
        if newest is not None and self._asked - newest[0] <= max_stale:
            return newest[1]
        return await self._gather()

    async def refresh(self) -> None:
        """Gather at ``now`` once the last gathering's rest is over (a gathering already made at that
        moment is only kept): each time while readers keep asking, else when the state has not moved
        (which costs nothing) or the ready gathering is ``idle_every`` seconds old."""
        now = self.clock()
        if now < self._rest_until or (self._newest is None and now - self._asked > self.idle):
            return
        if now - self._asked > self.idle and self._newest is not None:
            read_at, ready = self._newest
            if now - read_at < self.idle_every and await self.recent.now() != ready:
                return
        await self._gather()

    async def _gather(self) -> Moment | None:
        """One gathering at ``now`` however many ask at once (a page asks for several views)."""
        if self._running is None or self._running.done():
            self._running = asyncio.get_running_loop().create_task(self._gather_once())
        return await asyncio.shield(self._running)

    async def _gather_once(self) -> Moment | None:
        started = self.clock()
        latest = await self.recent.now()
        if latest is not None:
            await self.warm(latest)
            if self._newest is None or latest.instant >= self._newest[1].instant:
                self._newest = (started, latest)
        finished = self.clock()
        self._rest_until = finished + 2 * (finished - started)
        return latest

    def refreshing(self, every: float) -> AbstractAsyncContextManager[None]:
        """Meanwhile, ``refresh`` every ``every`` seconds (after the previous one has finished)."""
        return repeating(every, self.refresh, "listing refresh")


@dataclass(frozen=True)
class Page(Generic[T]):
    at: Moment
    offset: int
    items: list[T]
    total: int  # items the filters admit, on every page
    next_cursor: str | None
    previous_cursor: str | None


async def page_of(
    listing: Callable[[Moment], Coroutine[Any, Any, list[T]]],
    moment_of: Callable[[int | None], Coroutine[Any, Any, Moment | None]],
    as_of: int | None,
    cursor: str | None,
    filters: str,
    limit: int,
) -> Page[T] | None:
    """A page of ``listing`` at a moment: the cursor's, from its position, else ``moment_of(as_of)``
    from the start; None when there is no instant yet (no pings seen)."""
    offset = 0
    if cursor is not None:
        at, offset = read_cursor(cursor, filters)
    else:
        found = await moment_of(as_of)
        if found is None:
            return None
        at = found
    items = await listing(at)
    chosen = items[offset : offset + limit]
    following = offset + len(chosen)
    return Page(
        at,
        offset,
        chosen,
        len(items),
        make_cursor(at, following, filters) if following < len(items) else None,
        make_cursor(at, max(0, offset - limit), filters) if offset else None,
    )


def digest(*filters: object) -> str:
    return hashlib.blake2b("|".join(map(str, filters)).encode(), digest_size=6).hexdigest()


def make_cursor(at: Moment, offset: int, filters: str) -> str:
    text = json.dumps([at.instant, at.version, offset, filters], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_cursor(cursor: str, filters: str) -> tuple[Moment, int]:
    """(moment, offset) of a cursor made for the same ``filters``; BadCursor otherwise."""
    try:
        instant, version, offset, made_for = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
    except (ValueError, TypeError, binascii.Error):
        raise BadCursor() from None
    valid = isinstance(instant, int) and isinstance(version, str) and isinstance(offset, int)
    if not (valid and offset >= 0 and made_for == filters):
        raise BadCursor()
    return Moment(instant, version), offset


class MomentOf:
    """The moment of a listing asked at ``as_of``: that instant with the group's state version as
    recently known, or by default ``now`` (the ready gathering's, for a reader that accepts
    ``max_stale`` seconds)."""

    def __init__(self, ready: Ready, max_stale: float) -> None:
        self.ready = ready
        self.max_stale = max_stale

    async def __call__(self, as_of: int | None) -> Moment | None:
        if as_of is None:
            return await self.ready.at_most(self.max_stale)
        recent = await self.ready.recent()
        return Moment(as_of, "" if recent is None else recent.version)


class EpisodeFilter(Protocol[T_contra]):
    """Which episodes a listing's page admits; hashable and equal by value, so that a filtered
    listing is kept per gathering and filter, and ``digest`` ties cursors to it."""

    def admits(self, item: T_contra, /) -> bool: ...

    @property
    def digest(self) -> str: ...

    def __hash__(self) -> int: ...


class EpisodeListing(Generic[T]):
    """Outages or silences of the group: gathered per moment, sorted once and kept, with a
    gathering at ``now`` kept ready in the background for readers that accept one a few seconds old.

    What a page filters and the stores per hour are kept per gathering as well: at 100,000 stores a
    listing holds about a million episodes, and a pass over them costs the event loop a second.
    """

    def __init__(
        self,
        gather: Callable[[int], Coroutine[Any, Any, list[T]]],
        order: Callable[[T], Any],
        stretch: Callable[[T], Stretch],
        now: GroupMoment,
    ) -> None:
        self.gather = gather
        self.order = order
        self.stretch = stretch  # the outage or silence an item holds
        self.now = Ready(RecentNow(now), self._warm)
        self.listings: Listings[Moment, T] = Listings(self._gather)
        # Kept for as long as the background keeps the gathering itself (a quiet spell included).
        self.filtered: Listings[tuple[Moment, EpisodeFilter[T]], T] = Listings(
            self._filter, keep_seconds=QUIET_KEEP, kept=8
        )
        self.hourly: Listings[tuple[Moment, int], int] = Listings(self._count_hours, keep_seconds=QUIET_KEEP)

    async def _warm(self, at: Moment) -> None:
        await self.listings.at(at)

    async def _gather(self, at: Moment) -> list[T]:
        found = await self.gather(at.instant)
        found.sort(key=self.order)
        return found

    async def _filter(self, key: tuple[Moment, EpisodeFilter[T]]) -> list[T]:
        at, where = key
        return [item for item in await self.listings.at(at) if where.admits(item)]

    async def _count_hours(self, key: tuple[Moment, int]) -> list[int]:
        at, hours = key
        spans = (span_at(self.stretch(item), at.instant) for item in await self.listings.at(at))
        return stores_per_hour(spans, hours_through(at.instant, hours), hours)

    async def per_hour(self, hours: int, max_stale: float) -> tuple[Moment, int, list[int]] | None:
        """The stores with an episode reaching into each of the last ``hours`` UTC hours through
        ``now``'s (or the ready gathering's, at most ``max_stale`` seconds old), with the first hour's
        start; None before any ping."""
        at = await self.now.at_most(max_stale)
        if at is None:
            return None
        return at, hours_through(at.instant, hours), await self.hourly.at((at, hours))

    async def page_of(
        self,
        where: EpisodeFilter[T],
        as_of: int | None,
        limit: int,
        cursor: str | None,
        max_stale: float,
    ) -> Page[T] | None:
        """One page of those ``where`` admits at ``as_of`` (default: ``now``, or the ready gathering
        when it is at most ``max_stale`` seconds old); None before any ping."""

        async def admitted(at: Moment) -> list[T]:
            return await self.filtered.at((at, where))

        return await page_of(admitted, MomentOf(self.now, max_stale), as_of, cursor, where.digest, limit)
