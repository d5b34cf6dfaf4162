"""The fleet's outages at an instant, filtered, sorted and paged.

A listing is gathered from every worker (``GroupGathering.outages``), sorted once and kept for a short
while per ``as_of`` (``api.services.listings``), so paging through it reads one listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter

from api.ports import Gathering, GroupMoment
from api.schemas import OutageOut, OutagePage
from api.services.listings import EpisodeListing, digest
from streams.engine.instants import iso_text
from streams.gathering import PlacedOutage
from streams.outages.records import outage_record


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
        return digest(self.status, self.store_id, self.since, self.min_minutes)


def _listing_order(placed: PlacedOutage) -> tuple[bool, int, str, int]:
    """Open first, then the largest business downtime, then by store and start."""
    outage = placed.outage
    return (not outage.is_open, -outage.business_downtime, outage.store_id, outage.started_at)


class OutageListing(EpisodeListing[PlacedOutage]):
    def __init__(self, gathering: Gathering, now: GroupMoment) -> None:
        super().__init__(gathering.outages, _listing_order, attrgetter("outage"), now)

    async def page(
        self,
        where: OutageFilter,
        as_of: int | None,
        limit: int,
        cursor: str | None = None,
        max_stale: float = 0.0,
    ) -> OutagePage:
        """One page of the outages ``where`` admits, at ``as_of`` (default: ``now``, or the ready
        gathering when it is at most ``max_stale`` seconds old)."""
        page = await self.page_of(where, as_of, limit, cursor, max_stale)
        if page is None:
            return OutagePage(as_of="", outages=[], next_cursor=None)
        return OutagePage(
            as_of=iso_text(page.at.instant),
            outages=[OutageOut.model_validate(outage_record(p.outage, p.timezone)) for p in page.items],
            next_cursor=page.next_cursor,
        )
