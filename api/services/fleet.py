"""The fleet at an instant: how many stores are open, up, down or silent, how their uptime spreads,
and every store sortable, searchable and paged (``api.services.listings`` keeps the gathering)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from operator import attrgetter
from typing import Any, Literal

from api.ports import Gathering, GroupMoment, LocalWorker, Moment, StoreAnswers
from api.schemas import (
    FleetHistory,
    FleetHistoryDay,
    FleetPage,
    FleetProgress,
    FleetStore,
    FleetSummary,
    RecentDates,
)
from api.services.listings import QUIET_KEEP, Listings, MomentOf, Ready, RecentNow, digest, page_of
from streams.engine.history import day_date, minutes
from streams.engine.instants import iso_text
from streams.engine.report import Standing, standing
from streams.engine.silences import DEFAULT_SILENCE
from streams.gathering import FleetRow

Window = Literal["day", "week"]


class FleetSort(StrEnum):
    STORE_ID = "store_id"
    UPTIME_LAST_HOUR = "uptime_last_hour"
    UPTIME_LAST_DAY = "uptime_last_day"
    UPTIME_LAST_WEEK = "uptime_last_week"
    DOWNTIME_LAST_HOUR = "downtime_last_hour"
    DOWNTIME_LAST_DAY = "downtime_last_day"
    DOWNTIME_LAST_WEEK = "downtime_last_week"
    LAST_PING = "last_ping"


DEFAULT_SORT = FleetSort.DOWNTIME_LAST_WEEK  # the worst stores first, descending
# A listed store's daily history is summed over its last dates through now's: read for the page's stores
# only (from the workers holding them), as reading it for the whole fleet would cost a gathering.
RECENT_DATES = 30


def row_standing(row: FleetRow, as_of: int, silence: int) -> Standing:
    return standing(row.open_now, row.active, row.last_ping, as_of, silence)


def tenth_of(fleet_row: FleetRow, window: Window) -> int | None:
    """Which tenth of uptime (0: under 10 %, ..., 9: 90 % and more) the store's business time in the
    last ``window`` falls in; None without business time in it."""
    uptime = getattr(fleet_row.row, f"uptime_last_{window}")
    downtime = getattr(fleet_row.row, f"downtime_last_{window}")
    return min(9, int(uptime / (uptime + downtime) * 10)) if uptime + downtime > 0 else None


def _tenths(rows: list[FleetRow], window: Window) -> list[int]:
    counts = [0] * 10
    for fleet_row in rows:
        tenth = tenth_of(fleet_row, window)
        if tenth is not None:
            counts[tenth] += 1
    return counts


@dataclass(frozen=True)
class StoreFilter:
    """Which stores a listing admits: an id holding ``search``, a standing, a timezone, a tenth of
    uptime over the last day or week (``band``, as the histograms count them); None admits all."""

    search: str | None = None
    standing: Standing | None = None
    timezone: str | None = None
    band: tuple[Window, int] | None = None

    @property
    def admits_all(self) -> bool:
        return self == StoreFilter()

    @cached_property
    def _needle(self) -> str:
        return (self.search or "").casefold()

    def admits(self, row: FleetRow, as_of: int, silence: int) -> bool:
        return (
            self._needle in row.store_id.casefold()
            and (self.standing is None or row_standing(row, as_of, silence) == self.standing)
            and (self.timezone is None or row.timezone == self.timezone)
            and (self.band is None or tenth_of(row, self.band[0]) == self.band[1])
        )

    @property
    def digest(self) -> str:
        return digest(self.search, self.standing, self.timezone, self.band)


def _sort_key(sort: FleetSort) -> attrgetter[Any]:
    """Figures live in the report row; the id and the last ping on the fleet row itself."""
    own = sort in (FleetSort.STORE_ID, FleetSort.LAST_PING)
    return attrgetter(sort.value if own else f"row.{sort.value}")


class FleetView:
    def __init__(
        self,
        gathering: Gathering,
        now: GroupMoment,
        worker: LocalWorker,
        answers: StoreAnswers,
        silence: int = DEFAULT_SILENCE,
    ) -> None:
        self.gathering = gathering
        self.worker = worker
        self.answers = answers
        self.silence = silence
        self.now = Ready(RecentNow(now), self._warm)
        # The rows, by id, for the other orders and filters: the ready gathering keeps the default order.
        self.rows: Listings[Moment, FleetRow] = Listings(self._gather, keep_seconds=QUIET_KEEP, kept=2)
        self.ordered: Listings[tuple[Moment, FleetSort, bool], FleetRow] = Listings(self._order, kept=8)
        # One summary per gathering (a list of one): counting 100,000 rows takes a tenth of a second.
        self.counted: Listings[Moment, FleetSummary] = Listings(self._count)
        # The fleet's daily history costs a gathering of its own: each page load asks for it again.
        self.histories: Listings[tuple[Moment, int], FleetHistoryDay] = Listings(
            self._history, keep_seconds=QUIET_KEEP
        )

    async def _warm(self, at: Moment) -> None:
        """The fleet at ``at`` in the fleet page's first order (which gathers it), and its summary."""
        await self.ordered.at((at, DEFAULT_SORT, True))
        await self.counted.at(at)

    async def _gather(self, at: Moment) -> list[FleetRow]:
        return await self.gathering.fleet(at.instant)

    async def _order(self, key: tuple[Moment, FleetSort, bool]) -> list[FleetRow]:
        at, sort, descending = key
        # The rows come sorted by id, and a sort keeps ties in order (reversed too): ties stay by id.
        return sorted(await self.rows.at(at), key=_sort_key(sort), reverse=descending)

    async def history(self, days: int, max_stale: float) -> FleetHistory:
        """The fleet's last ``days`` UTC dates through ``now``'s: every store's figures summed."""
        at = await self.now.at_most(max_stale)
        if at is None:
            return FleetHistory(as_of="", days=[])
        return FleetHistory(as_of=iso_text(at.instant), days=await self.histories.at((at, days)))

    async def _history(self, key: tuple[Moment, int]) -> list[FleetHistoryDay]:
        at, days = key
        sums = await self.gathering.fleet_history(at.instant, days)
        return [
            FleetHistoryDay(date=day_date(day).isoformat(), **_in_minutes(business, up), stores=stores)
            for day, (business, up, stores) in sorted(sums.items())
        ]

    async def progress(self) -> FleetProgress:
        """The group's watermark and this worker's lag: what every page shows, cheap to answer."""
        at = await self.now.recent()
        return FleetProgress(as_of="" if at is None else iso_text(at.instant), lag_messages=self.worker.lag())

    async def summary(self, as_of: int | None, max_stale: float = 0.0) -> FleetSummary:
        """The fleet at ``as_of``; by default at the watermark, or the ready gathering when it is at
        most ``max_stale`` seconds old."""
        at = await MomentOf(self.now, max_stale)(as_of)
        counted = fleet_summary(None, [], self.silence) if at is None else (await self.counted.at(at))[0]
        return counted.model_copy(update={"lag_messages": self.worker.lag()})

    async def _count(self, at: Moment) -> list[FleetSummary]:
        return [fleet_summary(at.instant, await self.rows.at(at), self.silence)]

    async def stores(
        self,
        sort: FleetSort,
        descending: bool,
        where: StoreFilter,
        as_of: int | None,
        limit: int,
        cursor: str | None,
        max_stale: float = 0.0,
    ) -> FleetPage:
        """One page of the stores ``where`` admits, sorted by ``sort`` (ties by id); the default
        ``as_of`` as for ``summary``."""

        async def admitted(at: Moment) -> list[FleetRow]:
            rows = await self.ordered.at((at, sort, descending))
            if where.admits_all:
                return rows
            return [row for row in rows if where.admits(row, at.instant, self.silence)]

        filters = digest(sort, descending, where.digest)
        page = await page_of(admitted, MomentOf(self.now, max_stale), as_of, cursor, filters, limit)
        if page is None:
            return FleetPage(as_of="", total=0, offset=0, stores=[], next_cursor=None, previous_cursor=None)
        at = page.at.instant
        recent = await self.answers.history_sums((row.store_id for row in page.items), at, RECENT_DATES)
        return FleetPage(
            as_of=iso_text(at),
            total=page.total,
            offset=page.offset,
            stores=[_shown(row, at, self.silence, recent.get(row.store_id)) for row in page.items],
            next_cursor=page.next_cursor,
            previous_cursor=page.previous_cursor,
        )


def fleet_summary(as_of: int | None, rows: list[FleetRow], silence: int) -> FleetSummary:
    """The counts and spreads of ``rows`` at ``as_of`` (the lag is the caller's to fill in)."""
    standings = Counter(row_standing(row, as_of, silence) for row in rows) if as_of is not None else Counter()
    return FleetSummary(
        as_of="" if as_of is None else iso_text(as_of),
        stores=len(rows),
        open_now=sum(1 for row in rows if row.open_now),
        up=standings["up"],
        down=standings["down"],
        silent=standings["silent"],
        closed=standings["closed"],
        uptime_last_day=_tenths(rows, "day"),
        uptime_last_week=_tenths(rows, "week"),
        timezones=dict(Counter(row.timezone for row in rows).most_common()),
        lag_messages=0,
    )


def _shown(row: FleetRow, as_of: int, silence: int, recent: tuple[int, int, int] | None) -> FleetStore:
    return FleetStore(
        **row.row._asdict(),
        status="active" if row.active else "inactive",
        standing=row_standing(row, as_of, silence),
        last_ping=iso_text(row.last_ping),
        open_now=row.open_now,
        timezone=row.timezone,
        recent=row.recent,
        last_30_days=None if recent is None else RecentDates(dates=recent[0], **_in_minutes(*recent[1:])),
    )


def _in_minutes(business: int, up: int) -> dict[str, float]:
    """Business and up microseconds as the schemas' three minute fields."""
    return dict(
        zip(("business_minutes", "uptime_minutes", "downtime_minutes"), minutes(business, up), strict=True)
    )
