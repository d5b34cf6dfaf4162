"""Answers about one store, from whichever worker holds it: its figures, profile, outages and timeline.

Each answer is its response body, serialised once where the store is held (lookups are the API's hot
path); a worker that does not hold the store forwards the question to the one that does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from api.errors import PeerUnreachable, UnknownStore
from api.ports import HistorySums, LocalWorker
from api.schemas import (
    ClosureEntry,
    HistoryDay,
    HoursEntry,
    OutageOut,
    ProfileOut,
    StoreHistory,
    StoreOutages,
    StoreUptime,
)
from api.services.peers import Peers
from api.services.timeline import timeline_svg
from streams.engine import DEFAULT_PROFILE, StoreProfile, StoreState
from streams.engine.history import DayFigures
from streams.engine.instants import iso_text, to_datetime
from streams.engine.outages import store_outages
from streams.engine.report import standing
from streams.engine.schedule import clock_text
from streams.engine.silences import DEFAULT_SILENCE
from streams.outages.records import outage_record

log = logging.getLogger(__name__)
HISTORY_SUMS_PATH = "/api/internal/history-sums"


class RoutedStoreAnswers:
    def __init__(self, peers: Peers, worker: LocalWorker, silence: int = DEFAULT_SILENCE) -> None:
        self.peers = peers
        self.worker = worker
        self.silence = silence

    async def lookup(self, store_id: str) -> bytes:
        """The store's answer at ``now``."""
        return await self._at_owner(store_id, "", self._instant(None), self.lookup_here)

    def lookup_here(self, store_id: str, as_of: int) -> bytes:
        self.peers.check_instant(as_of)
        found = self.worker.lookup(store_id, as_of)
        if found is None:
            raise UnknownStore()
        body = StoreUptime(
            as_of=to_datetime(as_of),
            status="active" if found.active else "inactive",
            standing=standing(found.open_now, found.active, found.last_ping, as_of, self.silence),
            open_now=found.open_now,
            last_ping=to_datetime(found.last_ping),
            silent_since=None if found.silent_since is None else to_datetime(found.silent_since),
            **found.row._asdict(),
        )
        return body.model_dump_json().encode()

    async def profile(self, store_id: str) -> bytes:
        return await self.peers.at_owner(store_id, "/profile", {}, lambda: self.profile_here(store_id))

    def profile_here(self, store_id: str) -> bytes:
        """The store's own profile, or the default for a store with pings and none set; a store with
        neither is unknown here, as its lookup says."""
        profile = self.worker.profile(store_id)
        if profile is None and self.worker.store_state(store_id) is None:
            raise UnknownStore()
        shown = profile or DEFAULT_PROFILE
        body = ProfileOut(
            store_id=store_id,
            is_default=profile is None,
            timezone=shown.timezone,
            effective_timezone=shown.effective_timezone,
            hours=[
                HoursEntry(
                    day=row.day, start_time_local=clock_text(row.start), end_time_local=clock_text(row.end)
                )
                for row in shown.hours
            ],
            closures=[
                ClosureEntry(
                    start_date=c.start_date.isoformat(), end_date=c.end_date.isoformat(), reason=c.reason
                )
                for c in shown.closures
            ],
        )
        return body.model_dump_json().encode()

    async def outages(self, store_id: str, as_of: int | None) -> bytes:
        """The store's outages in the week before ``as_of`` (default: ``now``)."""
        return await self._at_owner(store_id, "/outages", self._instant(as_of), self.outages_here)

    def outages_here(self, store_id: str, as_of: int) -> bytes:
        state, profile = self._held(store_id, as_of)
        zone = profile.effective_timezone
        body = StoreOutages(
            store_id=store_id,
            as_of=iso_text(as_of),
            outages=[
                OutageOut.model_validate(outage_record(outage, zone))
                for outage in store_outages(store_id, state, profile, as_of)
            ],
        )
        return body.model_dump_json().encode()

    async def history(self, store_id: str, days: int) -> bytes:
        """The store's daily history, its last ``days`` local dates through ``now``'s."""
        at = self._instant(None)
        return await self.peers.at_owner(
            store_id,
            "/history",
            {"as_of_us": at, "days": days},
            lambda: self.history_here(store_id, at, days),
        )

    def history_here(self, store_id: str, as_of: int, days: int) -> bytes:
        _, profile = self._held(store_id, as_of)
        found = self.worker.store_history(store_id, as_of, days) or []
        body = StoreHistory(
            store_id=store_id,
            timezone=profile.effective_timezone,
            as_of=iso_text(as_of),
            days=[history_day(figures) for figures in found],
        )
        return body.model_dump_json().encode()

    async def history_sums(self, store_ids: Iterable[str], as_of: int, days: int) -> HistorySums:
        """Each store's last ``days`` local dates through ``as_of``'s summed, asked of the workers
        holding them at once. A store whose holder cannot answer now (partitions moving, a worker
        unreachable) is left out: a listing shows it without its history rather than fail."""
        held: dict[str, list[str]] = {}
        for store_id in store_ids:
            owner = self.worker.owner_url(store_id)
            if owner is not None:
                held.setdefault(owner, []).append(store_id)
        found: HistorySums = self.history_sums_here(held.pop(self.peers.me, []), as_of, days)
        for part in await asyncio.gather(
            *(self._sums_at(url, ids, as_of, days) for url, ids in held.items())
        ):
            found.update(part)
        return found

    def history_sums_here(self, store_ids: Iterable[str], as_of: int, days: int) -> HistorySums:
        found: HistorySums = {}
        for store_id in store_ids:
            figures = self.worker.store_history(store_id, as_of, days)
            if figures:
                business, up = sum(day.business for day in figures), sum(day.up for day in figures)
                found[store_id] = (len(figures), business, up)
        return found

    async def _sums_at(self, url: str, store_ids: list[str], as_of: int, days: int) -> HistorySums:
        try:
            body = await self.peers.post(url, HISTORY_SUMS_PATH, {"as_of_us": as_of, "days": days}, store_ids)
        except PeerUnreachable as error:
            log.warning("history of %d stores not had: %s", len(store_ids), error)
            return {}
        return {store_id: (dates, business, up) for store_id, (dates, business, up) in body["sums"].items()}

    async def timeline(self, store_id: str, as_of: int | None) -> bytes:
        """The store's week up to ``as_of`` (default: ``now``) as an SVG timeline."""
        return await self._at_owner(store_id, "/timeline.svg", self._instant(as_of), self.timeline_here)

    def timeline_here(self, store_id: str, as_of: int) -> bytes:
        return timeline_svg(store_id, *self._held(store_id, as_of), as_of, self.silence).encode()

    def _held(self, store_id: str, as_of: int) -> tuple[StoreState, StoreProfile]:
        """State and profile of a store held here with a ping by ``as_of``, an instant near the watermark."""
        self.peers.check_instant(as_of)
        held = self.worker.store_state(store_id)
        if held is None or held[0].last_ping_at(as_of) is None:
            raise UnknownStore()
        return held

    async def _at_owner(
        self, store_id: str, suffix: str, as_of: int, here: Callable[[str, int], bytes]
    ) -> bytes:
        """``here(store_id, as_of)`` where the store is held: here, or through its holder's route."""
        return await self.peers.at_owner(store_id, suffix, {"as_of_us": as_of}, lambda: here(store_id, as_of))

    def _instant(self, as_of: int | None) -> int:
        """``as_of``, or ``now``; a group that has seen no ping knows no store."""
        at = self.peers.cached_now() if as_of is None else as_of
        if at is None:
            raise UnknownStore()
        return at


def history_day(figures: DayFigures) -> HistoryDay:
    business, up, down = figures.minutes
    return HistoryDay(
        date=figures.date.isoformat(),
        business_minutes=business,
        uptime_minutes=up,
        downtime_minutes=down,
        closed=figures.closed,
    )
