"""Rows of every store in the group at an instant: each worker's part, checked to cover every partition
exactly once, then merged.

A gathering asks every worker (itself directly, the others over HTTP) for the part of the partitions it
holds. During a rebalance the parts miss or repeat partitions; the gathering is then retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from api.errors import PartitionsMoving, PeerUnreachable
from api.ports import LocalWorker, OffLoop, PartOf
from api.services.peers import Peers
from streams.engine import UptimeRow
from streams.engine.outages import Outage
from streams.engine.silences import Silence
from streams.gathering import (
    DaySums,
    FleetRow,
    PlacedOutage,
    PlacedSilence,
    StoresHeldTwice,
    merged_report,
    summed,
)

log = logging.getLogger(__name__)
R = TypeVar("R", PlacedOutage, PlacedSilence, FleetRow)
P = TypeVar("P")  # what a part of a gathering holds
T = TypeVar("T")

# How long a gathering keeps retrying while partitions move. A listing answers a waiting reader; a report
# runs in the background and must outlast a failover: the group notices a dead worker only after its
# session timeout, and the survivor then restores the dead worker's partitions from their changelogs.
LISTING_PATIENCE = 10.0
REPORT_PATIENCE = 300.0
LONGEST_PAUSE = 5.0  # between two tries of a gathering


class IncompleteCoverage(RuntimeError):
    pass


class GroupGathering:
    def __init__(self, peers: Peers, worker: LocalWorker, side: OffLoop, partitions: int) -> None:
        self.peers = peers
        self.worker = worker
        self.side = side  # merges the report's parts
        self.partitions = partitions

    async def here(self, part: PartOf[P], as_of: int) -> tuple[frozenset[int], P]:
        """This worker's ``part`` of a gathering; refused while its partitions move or recover, when it
        may already name partitions whose tables are still filling (the gathering retries)."""
        self.peers.check_instant(as_of)
        if not self.worker.settled:
            raise PartitionsMoving()
        return await part(as_of)

    async def report_csv(self, as_of: int, patience: float = REPORT_PATIENCE) -> tuple[str, int]:
        """The report's CSV text at ``as_of`` and its number of rows, every store of the group in it."""
        return await self._gathered(
            as_of, self.worker.report_part, "report-part", itemgetter("csv"), self._merged_report, patience
        )

    async def outages(self, as_of: int, patience: float = LISTING_PATIENCE) -> list[PlacedOutage]:
        """Outages of every store in the group in the week before ``as_of``, by store and start."""
        return await self._gathered(
            as_of, self.worker.outages_part, "outages-part", _rows(placed_outage), _merged_rows, patience
        )

    async def silences(self, as_of: int, patience: float = LISTING_PATIENCE) -> list[PlacedSilence]:
        """Silences of every store in the group reaching into the week before ``as_of``, by store."""
        return await self._gathered(
            as_of, self.worker.silences_part, "silences-part", _rows(placed_silence), _merged_rows, patience
        )

    async def fleet(self, as_of: int, patience: float = LISTING_PATIENCE) -> list[FleetRow]:
        """Every store in the group as the fleet view shows it at ``as_of``, sorted by store id."""
        return await self._gathered(
            as_of, self.worker.fleet_part, "fleet-part", _rows(fleet_row), _merged_rows, patience
        )

    async def fleet_history(
        self, as_of: int, days: int, patience: float = LISTING_PATIENCE
    ) -> dict[int, list[int]]:
        """Every store in the group summed per UTC date, the last ``days`` through ``as_of``'s:
        business and up microseconds, and the number of stores."""
        part = partial(self.worker.fleet_history_part, days=days)
        return await self._gathered(
            as_of, part, "fleet-history-part", _day_sums, _summed, patience, {"days": days}
        )

    async def _gathered(
        self,
        as_of: int,
        part: PartOf[P],
        path: str,
        decode: Callable[[dict[str, Any]], P],
        merge: Callable[[list[P]], Awaitable[T]],
        patience: float,
        params: dict[str, int] | None = None,
    ) -> T:
        """Every worker's part at ``as_of`` (this one's from ``part``, the others' bodies from their
        ``path``, asked with ``params`` too), merged; retried while partitions move, for at most
        ``patience`` seconds."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + patience
        failed = 0
        while True:
            try:
                return await merge(await self._gather(as_of, part, path, decode, params or {}))
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
        part: PartOf[P],
        path: str,
        decode: Callable[[dict[str, Any]], P],
        params: dict[str, int],
    ) -> list[P]:
        """Every worker's part, once they are seen to cover every partition exactly once."""
        parts = [await self.here(part, as_of)]
        bodies = await asyncio.gather(
            *(
                self.peers.get(url, f"/api/internal/{path}", {"as_of_us": as_of, **params})
                for url in self.peers.others()
            )
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


async def _summed(parts: list[DaySums]) -> DaySums:
    return summed(parts)


def _day_sums(body: dict[str, Any]) -> DaySums:
    """A peer's fleet history part: its JSON object's keys are the dates' numbers."""
    return {int(day): sums for day, sums in body["days"].items()}


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


def placed_outage(fields: list[Any]) -> PlacedOutage:
    """An outage from the fields a peer sent (``placed_fields``)."""
    *outage, zone = fields
    return PlacedOutage(Outage(*outage), zone)


def placed_fields(placed: PlacedOutage | PlacedSilence) -> list[Any]:
    """An outage or silence as a peer sends it: its fields, then its zone."""
    return [*placed[0], placed.timezone]


def placed_silence(fields: list[Any]) -> PlacedSilence:
    """A silence from the fields a peer sent (``placed_fields``)."""
    *silence, zone = fields
    return PlacedSilence(Silence(*silence), zone)


def fleet_row_fields(row: FleetRow) -> list[Any]:
    """A fleet row as a peer sends it: the report row's fields, then the rest."""
    return list(row)


def fleet_row(fields: list[Any]) -> FleetRow:
    """A fleet row from the fields a peer sent (``fleet_row_fields``)."""
    row, *rest = fields
    return FleetRow(UptimeRow(*row), *rest)
