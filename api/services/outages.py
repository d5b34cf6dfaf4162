"""The fleet's outages at an instant, filtered, sorted and paged.

A listing is gathered from every worker (``Cluster.outages``), sorted once and kept for a short while
per ``as_of``, so paging through it reads one snapshot: a cursor names its ``as_of`` and position, and
the next page is a slice of the same list.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from api.errors import BadCursor
from api.ports import GroupRows
from api.schemas import OutageOut, OutagePage
from streams.engine.instants import iso_text
from streams.outage_records import outage_record
from streams.snapshot import PlacedOutage


class OutageStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


@dataclass(frozen=True)
class OutageFilter:
    status: OutageStatus = OutageStatus.ALL
    store_id: str | None = None
    since: int | None = None  # outages going on at or after this instant: open, or ended after it
    min_minutes: float | None = None

    def admits(self, placed: PlacedOutage) -> bool:
        outage = placed.outage
        if self.status is not OutageStatus.ALL and outage.is_open != (self.status is OutageStatus.OPEN):
            return False
        if self.store_id is not None and outage.store_id != self.store_id:
            return False
        if self.since is not None and outage.ended_at is not None and outage.ended_at <= self.since:
            return False
        return self.min_minutes is None or outage.business_downtime_minutes >= self.min_minutes

    @property
    def digest(self) -> str:
        text = f"{self.status}|{self.store_id}|{self.since}|{self.min_minutes}"
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def _listing_order(placed: PlacedOutage) -> tuple[bool, int, str, int]:
    """Open first, then the largest business downtime, then by store and start."""
    outage = placed.outage
    return (not outage.is_open, -outage.business_downtime, outage.store_id, outage.started_at)


class OutageListing:
    def __init__(
        self,
        group: GroupRows,
        keep_seconds: float = 30.0,
        kept: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.group = group
        self.keep_seconds = keep_seconds
        self.kept = kept
        self.clock = clock
        self._listings: OrderedDict[int, tuple[float, asyncio.Task[list[PlacedOutage]]]] = OrderedDict()

    async def page(
        self, where: OutageFilter, as_of: int | None, limit: int, cursor: str | None = None
    ) -> OutagePage:
        """One page of the outages ``where`` admits, at ``as_of`` (default: the group's watermark)."""
        offset = 0
        if cursor is not None:
            as_of, offset = _read_cursor(cursor, where)
        if as_of is None:
            as_of = await self.group.watermark()
            if as_of is None:
                return OutagePage(as_of="", outages=[], next_cursor=None)
        admitted = [placed for placed in await self._listing(as_of) if where.admits(placed)]
        chosen = admitted[offset : offset + limit]
        following = offset + len(chosen)
        return OutagePage(
            as_of=iso_text(as_of),
            outages=[OutageOut.model_validate(outage_record(p.outage, p.timezone)) for p in chosen],
            next_cursor=_cursor(as_of, following, where) if following < len(admitted) else None,
        )

    async def _listing(self, as_of: int) -> list[PlacedOutage]:
        """The group's outages at ``as_of`` in listing order; gathered once however many ask at once."""
        now = self.clock()
        for instant, (made, _) in list(self._listings.items()):
            if now - made > self.keep_seconds:
                del self._listings[instant]
        held = self._listings.get(as_of)
        if held is None:
            task = asyncio.get_running_loop().create_task(self._gather(as_of))
            held = self._listings[as_of] = (now, task)
            while len(self._listings) > self.kept:
                self._listings.popitem(last=False)
        task = held[1]
        try:
            return await asyncio.shield(task)
        except Exception:
            if self._listings.get(as_of, (0.0, None))[1] is task:
                del self._listings[as_of]  # a failed gathering is not kept
            raise

    async def _gather(self, as_of: int) -> list[PlacedOutage]:
        found = await self.group.outages(as_of)
        found.sort(key=_listing_order)
        return found


def _cursor(as_of: int, offset: int, where: OutageFilter) -> str:
    text = json.dumps([as_of, offset, where.digest], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _read_cursor(cursor: str, where: OutageFilter) -> tuple[int, int]:
    try:
        as_of, offset, digest = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise BadCursor() from None
    if not (isinstance(as_of, int) and isinstance(offset, int) and offset >= 0 and digest == where.digest):
        raise BadCursor()
    return as_of, offset
