"""Answers that span every worker: the group's watermark, lookups wherever a store is held, and report
rows gathered from all partitions.

Each worker holds some partitions of the tables. A lookup is answered by the worker holding the store
(forwarded over HTTP when that is another one). A report asks every worker (itself directly, the others
over HTTP) for the rows of the partitions it holds (as CSV lines) and checks that together they cover
every partition exactly once; during a rebalance that check fails and the gathering is retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

import httpx

from api.errors import OutsideHorizon, PartitionsMoving, PeerUnreachable, UnknownStore
from api.ports import LocalWorker, OffLoop
from api.schemas import HoursEntry, OutageOut, ProfileOut, StoreOutages, StoreUptime
from api.services.repeating import repeating
from api.services.timeline import timeline_svg
from streams.engine import DEFAULT_PROFILE, DEFAULT_RETENTION, WEEK, StoreProfile, StoreState, UptimeRow
from streams.engine.instants import iso_text, to_datetime
from streams.engine.outages import Outage, store_outages
from streams.engine.schedule import clock_text
from streams.gathering import FleetRow, PlacedOutage, StoresHeldTwice, merged_report
from streams.outages.records import outage_record

log = logging.getLogger(__name__)
R = TypeVar("R", PlacedOutage, FleetRow)
P = TypeVar("P")  # what a part of a gathering holds
T = TypeVar("T")
Part = tuple[frozenset[int], list[R]]


class IncompleteCoverage(RuntimeError):
    pass


# How far a peer's instant may lie beyond this worker's view of the group's watermark (refreshed every
# second; a replay at full speed moves it days per second). It bounds what one request can cost: the
# engine's work grows with the time between a store's last ping and the instant asked about.
PEER_SLACK = WEEK

# How long a gathering keeps retrying while partitions move. A listing answers a waiting reader; a report
# runs in the background and must outlast a failover: the group notices a dead worker only after its
# session timeout, and the survivor then restores the dead worker's partitions from their changelogs.
LISTING_PATIENCE = 10.0
REPORT_PATIENCE = 300.0
LONGEST_PAUSE = 5.0  # between two tries of a gathering


def _latest(*instants: int | None) -> int | None:
    known = [instant for instant in instants if instant is not None]
    return max(known) if known else None


class Cluster:
    def __init__(
        self,
        worker: LocalWorker,
        side: OffLoop,
        partitions: int,
        token: str | None = None,
        retention: int = DEFAULT_RETENTION,
    ) -> None:
        self.worker = worker
        self.side = side  # merges the report's parts
        self.partitions = partitions
        self.retention = retention
        self.me = worker.canonical_url
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        self.client = httpx.AsyncClient(timeout=30.0, headers=headers)
        self._watermark: int | None = None

    async def close(self) -> None:
        await self.client.aclose()

    def others(self) -> list[str]:
        return [url for url in self.worker.peer_urls() if url != self.me]

    async def watermark(self) -> int | None:
        """Latest ping instant held by any worker."""
        bodies = await asyncio.gather(*(self._get(url, "/api/internal/watermark") for url in self.others()))
        return _latest(self.worker.watermark(), *(body["watermark_us"] for body in bodies))

    def cached_watermark(self) -> int | None:
        """The group's watermark as last refreshed, never older than this worker's own."""
        return _latest(self._watermark, self.worker.watermark())

    def refreshing(self, every: float = 1.0) -> AbstractAsyncContextManager[None]:
        """Keeps lookups off the network: the group watermark is gathered once a second, not per call."""
        return repeating(every, self._refresh_watermark, "watermark refresh")

    async def _refresh_watermark(self) -> None:
        self._watermark = await self.watermark() if self.others() else None

    async def lookup(self, store_id: str) -> bytes:
        """The store's answer at the group's watermark, from whichever worker holds it."""
        as_of = self.cached_watermark()
        if as_of is None:
            raise UnknownStore()
        return await self._at_owner(
            store_id, "", {"as_of_us": as_of}, lambda: self.lookup_here(store_id, as_of)
        )

    async def profile(self, store_id: str) -> bytes:
        """The store's profile, from whichever worker holds it."""
        return await self._at_owner(store_id, "/profile", {}, lambda: self.profile_here(store_id))

    async def _at_owner(
        self, store_id: str, suffix: str, params: dict[str, int], here: Callable[[], bytes]
    ) -> bytes:
        """``here()`` when this worker holds the store, else the holder's internal route for it."""
        owner = self.worker.owner_url(store_id)
        if owner is None:
            raise PartitionsMoving()
        if owner == self.me:
            return here()
        try:
            response = await self.client.get(f"{owner}/api/internal/stores/{store_id}{suffix}", params=params)
        except httpx.HTTPError as error:
            raise PeerUnreachable(owner, error) from None
        if response.status_code == httpx.codes.NOT_FOUND:
            raise UnknownStore()
        if response.is_error:
            raise PeerUnreachable(owner, f"answered {response.status_code}")
        return response.content

    def profile_here(self, store_id: str) -> bytes:
        profile = self.worker.profile(store_id)
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
        )
        return body.model_dump_json().encode()

    def check_here(self, as_of: int) -> None:
        """Refuse an instant a peer could not have asked about: too far from the group's watermark."""
        known = self.cached_watermark()
        if known is not None and not known - self.retention <= as_of <= known + PEER_SLACK:
            raise OutsideHorizon(
                f"as_of {iso_text(as_of)} is too far from the watermark {iso_text(known)} known here"
            )

    def lookup_here(self, store_id: str, as_of: int) -> bytes:
        """The answer for a store held here, serialised once (lookups are the API's hot path)."""
        self.check_here(as_of)
        found = self.worker.lookup(store_id, as_of)
        if found is None:
            raise UnknownStore()
        body = StoreUptime(
            as_of=to_datetime(as_of),
            status="active" if found.active else "inactive",
            last_ping=to_datetime(found.last_ping),
            **found.row._asdict(),
        )
        return body.model_dump_json().encode()

    async def store_outages(self, store_id: str, as_of: int | None) -> bytes:
        """The store's outages in the week before ``as_of`` (default: the group's watermark)."""
        at = self._instant(as_of)
        return await self._at_owner(
            store_id, "/outages", {"as_of_us": at}, lambda: self.store_outages_here(store_id, at)
        )

    async def timeline(self, store_id: str, as_of: int | None) -> bytes:
        """The store's week up to ``as_of`` (default: the group's watermark) as an SVG timeline."""
        at = self._instant(as_of)
        return await self._at_owner(
            store_id, "/timeline.svg", {"as_of_us": at}, lambda: self.timeline_here(store_id, at)
        )

    def timeline_here(self, store_id: str, as_of: int) -> bytes:
        return timeline_svg(store_id, *self._held(store_id, as_of), as_of).encode()

    def _held(self, store_id: str, as_of: int) -> tuple[StoreState, StoreProfile]:
        """State and profile of a store held here with a ping by ``as_of``, an instant near the watermark."""
        self.check_here(as_of)
        held = self.worker.store_state(store_id)
        if held is None or held[0].last_ping_at(as_of) is None:
            raise UnknownStore()
        return held

    def _instant(self, as_of: int | None) -> int:
        """``as_of``, or the group's watermark; a group that has seen no ping knows no store."""
        at = self.cached_watermark() if as_of is None else as_of
        if at is None:
            raise UnknownStore()
        return at

    def store_outages_here(self, store_id: str, as_of: int) -> bytes:
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

    async def report_part_here(self, as_of: int) -> tuple[frozenset[int], list[str]]:
        """The partitions held here and the report's CSV lines of their stores at ``as_of``, in texts
        each sorted by store id."""
        return await self._part_here(self.worker.report_part, as_of)

    async def fleet_part_here(self, as_of: int) -> Part[FleetRow]:
        """The partitions held here and their stores as the fleet view shows them at ``as_of``."""
        return await self._part_here(self.worker.fleet_part, as_of)

    async def outages_part_here(self, as_of: int) -> Part[PlacedOutage]:
        """The partitions held here and the outages of their stores in the week before ``as_of``."""
        return await self._part_here(self.worker.outages_part, as_of)

    async def _part_here(
        self, part: Callable[[int], Awaitable[tuple[frozenset[int], P]]], as_of: int
    ) -> tuple[frozenset[int], P]:
        """This worker's part of a gathering; refused while its partitions move or recover, when it
        may already name partitions whose tables are still filling (the gathering retries)."""
        self.check_here(as_of)
        if not self.worker.settled:
            raise PartitionsMoving()
        return await part(as_of)

    async def report_csv(self, as_of: int, patience: float = REPORT_PATIENCE) -> tuple[str, int]:
        """The report's CSV text at ``as_of`` and its number of rows, every store of the group in it."""
        return await self._gathered(
            as_of, self.report_part_here, "report-part", itemgetter("csv"), self._merged_report, patience
        )

    async def outages(self, as_of: int, patience: float = LISTING_PATIENCE) -> list[PlacedOutage]:
        """Outages of every store in the group in the week before ``as_of``, by store and start."""
        return await self._gathered(
            as_of, self.outages_part_here, "outages-part", _rows(_placed_outage), _merged_rows, patience
        )

    async def fleet(self, as_of: int, patience: float = LISTING_PATIENCE) -> list[FleetRow]:
        """Every store in the group as the fleet view shows it at ``as_of``, sorted by store id."""
        return await self._gathered(
            as_of, self.fleet_part_here, "fleet-part", _rows(_fleet_row), _merged_rows, patience
        )

    async def _gathered(
        self,
        as_of: int,
        here: Callable[[int], Awaitable[tuple[frozenset[int], P]]],
        path: str,
        decode: Callable[[dict[str, Any]], P],
        merge: Callable[[list[P]], Awaitable[T]],
        patience: float,
    ) -> T:
        """Every worker's part at ``as_of`` (this one's from ``here``, the others' bodies from their
        ``path``), merged; retried while partitions move, for at most ``patience`` seconds."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + patience
        failed = 0
        while True:
            try:
                return await merge(await self._gather(as_of, here, path, decode))
            except (IncompleteCoverage, PeerUnreachable, PartitionsMoving) as error:
                failed += 1
                pause = min(float(failed), LONGEST_PAUSE)
                if loop.time() + pause > give_up:
                    raise
                log.warning("gathering %s retried in %.0f s: %s", path, pause, error)
                await asyncio.sleep(pause)

    async def _gather(
        self,
        as_of: int,
        here: Callable[[int], Awaitable[tuple[frozenset[int], P]]],
        path: str,
        decode: Callable[[dict[str, Any]], P],
    ) -> list[P]:
        """Every worker's part, once they are seen to cover every partition exactly once."""
        parts = [await here(as_of)]
        bodies = await asyncio.gather(
            *(self._get(url, f"/api/internal/{path}", {"as_of_us": as_of}) for url in self.others())
        )
        parts.extend((frozenset(body["partitions"]), decode(body)) for body in bodies)
        covered: list[int] = sorted(p for held, _ in parts for p in held)
        if covered != list(range(self.partitions)):
            raise IncompleteCoverage(f"partitions held {covered} do not cover 0..{self.partitions - 1}")
        return [payload for _, payload in parts]

    async def _merged_report(self, parts: list[list[str]]) -> tuple[str, int]:
        try:
            return await self.side.run(merged_report, [text for texts in parts for text in texts])
        except StoresHeldTwice as error:
            raise IncompleteCoverage(str(error)) from None

    async def _get(self, base: str, path: str, params: dict[str, int] | None = None) -> dict[str, Any]:
        try:
            response = await self.client.get(base + path, params=params)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise PeerUnreachable(base, error) from None
        body: dict[str, Any] = response.json()
        return body


async def _merged_rows(parts: list[list[R]]) -> list[R]:
    """The parts' rows sorted by store id; a store in two parts means partitions moved meanwhile."""
    # Within a part a store's items are adjacent; a store whose items come from two parts is held twice.
    owners: dict[str, int] = {}
    twice: set[str] = set()
    for index, items in enumerate(parts):
        for item in items:
            store = item.store_id
            if owners.setdefault(store, index) != index:
                twice.add(store)
    if twice:
        raise IncompleteCoverage(f"stores held in two partitions: {', '.join(sorted(twice)[:5])}")
    merged = [item for items in parts for item in items]
    merged.sort(key=attrgetter("store_id"))
    return merged


def _rows(decode: Callable[[list[Any]], R]) -> Callable[[dict[str, Any]], list[R]]:
    """How the rows of a peer's part are read from its body."""
    return lambda body: [decode(fields) for fields in body["rows"]]


def _placed_outage(fields: list[Any]) -> PlacedOutage:
    """An outage as a peer sends it: the outage's fields, then its zone."""
    *outage, zone = fields
    return PlacedOutage(Outage(*outage), zone)


def _fleet_row(fields: list[Any]) -> FleetRow:
    """A fleet row as a peer sends it: the report row's fields, then the rest."""
    row, *rest = fields
    return FleetRow(UptimeRow(*row), *rest)
