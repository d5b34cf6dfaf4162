"""Report rows, outages, fleet rows and CSV from the tables' raw bytes, computed in separate processes.

A gathering reads every store a worker holds. The worker's own event loop answers lookups and
ingests pings, so the reading and computing happen in child processes (``ReportProcesses``), each
reading its share of the worker's RocksDB databases itself (``streams.secondaries``): decoding states
and computing rows costs a few hundred milliseconds per 10,000 stores, at a lower scheduling priority
than the worker. Nothing here touches Kafka.
"""

from __future__ import annotations

import asyncio
import csv
import heapq
import io
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import islice
from multiprocessing import get_context
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple, ParamSpec, TypeVar

from rocksdict import Rdict

from streams.engine import (
    CSV_HEADER,
    DEFAULT_PROFILE,
    StoreProfile,
    StoreState,
    UptimeRow,
    store_status,
    uptime_row,
)
from streams.engine.outages import Outage, store_outages
from streams.messages import decode_profile
from streams.secondaries import Secondaries, items

P = ParamSpec("P")
T = TypeVar("T")
# What a slice of a cut turns into: tuples that sort by store id first (rows, outages).
R = TypeVar("R", bound=tuple[Any, ...])

# (store id, encoded state, encoded profile or None for the default profile), as the tables hold them
RawStore = tuple[bytes, bytes, bytes | None]
# Stores decoded and computed at a time, so a partition is never held whole in memory.
SLICE = 2_000


def decoded_profile(raw: bytes | None) -> StoreProfile:
    """A profile as the tables hold it (None: the default profile)."""
    return DEFAULT_PROFILE if raw is None else decode_profile(raw)


# Decoded once per distinct profile in a report process, which sees its share of every store at each
# gathering: stores with the same hours and zone share the object.
profile_from = lru_cache(maxsize=1 << 16)(decoded_profile)


def rows_at(stores: list[RawStore], as_of: int) -> list[UptimeRow]:
    """Rows, sorted by store id, of the stores that have a ping at or before ``as_of``."""
    rows = [
        row
        for key, state, profile in stores
        if (row := uptime_row(key.decode(), StoreState.decode(state), profile_from(profile), as_of))
    ]
    rows.sort(key=lambda row: row.store_id)
    return rows


class PlacedOutage(NamedTuple):
    """An outage with the zone its business time was read in, which people want to see it in."""

    outage: Outage
    timezone: str

    @property
    def store_id(self) -> str:
        return self.outage.store_id


def outages_at(stores: list[RawStore], as_of: int) -> list[PlacedOutage]:
    """Outages in the week before ``as_of`` of the given stores (``of_cut`` sorts them)."""
    found = []
    for key, state, raw_profile in stores:
        profile = profile_from(raw_profile)
        zone = profile.effective_timezone
        for outage in store_outages(key.decode(), StoreState.decode(state), profile, as_of):
            found.append(PlacedOutage(outage, zone))
    return found


class FleetRow(NamedTuple):
    """A store as the fleet view shows it: its report row, status and last ping, whether it is open."""

    row: UptimeRow
    active: bool
    last_ping: int
    open_now: bool
    timezone: str

    @property
    def store_id(self) -> str:
        return self.row.store_id


def fleet_at(stores: list[RawStore], as_of: int) -> list[FleetRow]:
    """Fleet rows of the stores that have a ping at or before ``as_of`` (``of_cut`` sorts them)."""
    found = []
    for key, raw, raw_profile in stores:
        state, profile = StoreState.decode(raw), profile_from(raw_profile)
        status = store_status(key.decode(), state, profile, as_of)
        if status is not None:
            open_now = profile.calendar.first_business(as_of, as_of + 1) is not None
            found.append(
                FleetRow(status.row, status.active, status.last_ping, open_now, profile.effective_timezone)
            )
    return found


@dataclass(frozen=True, slots=True)
class Cut:
    """Where the tables of the partitions a worker holds lie, for its report process to read them."""

    partitions: tuple[tuple[Path, Path], ...]  # per partition: its states' and its profiles' database
    hidden: bytes  # the worker's own bookkeeping key in each database, not a store
    scratch: Path  # where the report process keeps its secondary instances' own files


_secondaries: dict[Path, Secondaries] = {}


def of_cut(cut: Cut, as_of: int, of_slice: Callable[[list[RawStore], int], list[R]]) -> list[R]:
    """What ``of_slice`` makes of every store of ``cut`` at ``as_of``, sorted by store id; run in the
    report process, which reads the worker's databases itself (see ``streams.secondaries``).

    Every database is caught up before any is read, so all are read as they were within moments of
    each other. A store's state and profile lie in two of them; should its hours change in between,
    the engine recomputes the state's totals with the profile read (``StoreState.refresh``).
    """
    found: list[R] = []
    for states, profiles in _caught_up(cut):
        if states is None:
            continue  # a partition nothing was written to yet
        held = {} if profiles is None else dict(items(profiles, cut.hidden))
        stored = items(states, cut.hidden)
        while piece := list(islice(stored, SLICE)):
            found.extend(of_slice([(key, raw, held.get(key)) for key, raw in piece], as_of))
    found.sort(key=itemgetter(0))
    return found


def _caught_up(cut: Cut) -> list[tuple[Rdict | None, Rdict | None]]:
    """Every database of ``cut`` (states, profiles) as the worker has written it so far."""
    reader = _secondaries.get(cut.scratch) or _secondaries.setdefault(cut.scratch, Secondaries(cut.scratch))
    reader.keep_only({path for pair in cut.partitions for path in pair})
    return [(reader.caught_up(states), reader.caught_up(profiles)) for states, profiles in cut.partitions]


def warm(cut: Cut, as_of: int) -> int:
    """Catch up ``cut``'s databases and decode their profiles, so that the next gathering finds both
    done; returns the number of profiles held. ``as_of`` is not used: a warm-up runs where a
    gathering does."""
    held = 0
    for _, profiles in _caught_up(cut):
        if profiles is not None:
            for _, raw in items(profiles, cut.hidden):
                profile_from(raw)
                held += 1
    return held


def report_part_at(cut: Cut, as_of: int) -> str:
    """The report's CSV lines (no header) of ``cut``'s stores at ``as_of``, sorted by store id.

    Text, because it crosses from the report process into the worker and on to the worker that
    gathers the report: one string costs a copy where rows would cost an object each.
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(row.csv_fields() for row in of_cut(cut, as_of, rows_at))
    return buffer.getvalue()


class StoresHeldTwice(ValueError):
    """Two parts of a gathering name the same store: its partition moved while they were taken."""


def merged_report(parts: list[str]) -> tuple[str, int]:
    """The report's CSV text from every worker's part (``report_part_at``), and its number of rows.

    The parts are each sorted by store id, so they are merged as they are read, row by row.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    count, previous, twice = 0, None, set()
    for fields in heapq.merge(*(csv.reader(io.StringIO(part)) for part in parts), key=itemgetter(0)):
        if fields[0] == previous:
            twice.add(previous)
        previous = fields[0]
        writer.writerow(fields)
        count += 1
    if twice:
        raise StoresHeldTwice(f"stores held in two partitions: {', '.join(sorted(twice)[:5])}")
    return buffer.getvalue(), count


# How much less the report process counts for the scheduler than the worker (``nice``): when the
# cores are busy, lookups and ingestion come before reports.
NICENESS = 10


def _child_setup(parent: int) -> None:
    """Yield the cores to the worker, and exit with it: a worker killed with SIGKILL cannot stop its
    child, so the child watches for that itself."""
    os.nice(NICENESS)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class SideProcess:
    """One child process for a report's CPU-heavy steps, started with a clean interpreter.

    ``spawn`` rather than ``fork``: the worker runs Kafka client and RocksDB threads, which a fork
    would copy in whatever state they were in.
    """

    def __init__(self) -> None:
        self._pool = self._new_pool()

    @staticmethod
    def _new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=get_context("spawn"),
            initializer=_child_setup,
            initargs=(os.getpid(),),
        )

    async def start(self) -> None:
        """Start the child now, so the first report does not wait for its interpreter and imports."""
        await self.run(rows_at, [], 0)

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``function(*args, **kwargs)`` in the child; it and its arguments must pickle."""
        call = partial(function, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, call)
        except BrokenProcessPool:
            # This report fails; the next one gets a fresh child.
            broken, self._pool = self._pool, self._new_pool()
            broken.shutdown(wait=False)
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class ReportProcesses:
    """The worker's report processes: a gathering splits the partitions held here among them.

    Each reads its share through its own secondary instances and keeps its own decoded profiles, so
    the same partitions keep going to the same process while the worker's partitions stay the same.
    The first also runs the other CPU-heavy steps (merging a report's parts).
    """

    def __init__(self, count: int) -> None:
        self._children = [SideProcess() for _ in range(count)]

    async def start(self) -> None:
        await asyncio.gather(*(child.start() for child in self._children))

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._children[0].run(function, *args, **kwargs)

    async def each(
        self,
        read: Callable[[Cut, int], T],
        partitions: frozenset[int],
        cut: Callable[[frozenset[int], int], Cut],
        as_of: int,
    ) -> list[T]:
        """What ``read`` makes of each process's share of ``partitions`` (``cut(share, process)``)."""
        shares = shares_of(partitions, len(self._children))
        return list(
            await asyncio.gather(
                *(
                    child.run(read, cut(share, index), as_of)
                    for index, (child, share) in enumerate(zip(self._children, shares, strict=True))
                    if share
                )
            )
        )

    def close(self) -> None:
        for child in self._children:
            child.close()


def shares_of(partitions: frozenset[int], count: int) -> list[frozenset[int]]:
    """``partitions`` dealt round-robin in order into ``count`` shares, as even as they can be."""
    ordered = sorted(partitions)
    return [frozenset(ordered[index::count]) for index in range(count)]
