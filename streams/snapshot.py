"""Report rows and CSV from a consistent cut of the tables' raw bytes, computed in a separate process.

A report must see every store at one instant. The worker opens RocksDB iterators over every
partition it holds in one synchronous step (a consistent cut: no ping lands half-way), then reads
them a slice at a time, yielding the event loop between slices, so lookups and ingestion wait for
one slice at most, never for the whole table. Turning bytes into rows takes a few hundred
milliseconds per 10,000 stores; a separate process does that on another core while the next slice
is read. Nothing here touches Kafka.
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache, partial
from itertools import chain, islice
from multiprocessing import get_context
from operator import itemgetter
from typing import Any, NamedTuple, ParamSpec, TypeVar

from streams.engine import (
    DEFAULT_PROFILE,
    StoreProfile,
    StoreState,
    UptimeRow,
    store_status,
    uptime_row,
    write_report_csv,
)
from streams.engine.outages import Outage, store_outages
from streams.messages import decode_profile

P = ParamSpec("P")
T = TypeVar("T")
# What a slice of a cut turns into: tuples that sort by store id first (rows, outages).
R = TypeVar("R", bound=tuple[Any, ...])

# (store id, encoded state, encoded profile or None for the default profile), as the tables hold them
RawStore = tuple[bytes, bytes, bytes | None]
# Stores read per turn of the event loop: about 2 ms of it, and one batch for the side process.
SLICE = 2_000


@lru_cache(maxsize=1 << 16)
def profile_from(raw: bytes | None) -> StoreProfile:
    """Decoded once per distinct profile; stores with the same hours and zone share the object."""
    return DEFAULT_PROFILE if raw is None else decode_profile(raw)


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
    """Outages in the week before ``as_of`` of the given stores (``rows_of_cut`` sorts them)."""
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
    """Fleet rows of the stores that have a ping at or before ``as_of`` (``rows_of_cut`` sorts them)."""
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


async def rows_of_cut(
    states: Iterable[Iterator[tuple[bytes, bytes]]],
    profiles: Iterable[Iterator[tuple[bytes, bytes]]],
    as_of: int,
    side: SideProcess,
    of_slice: Callable[[list[RawStore], int], list[R]],
) -> list[R]:
    """What ``of_slice`` makes of a cut at ``as_of``, read slice by slice, each slice done in ``side``;
    sorted by store id."""
    held: dict[bytes, bytes] = {}
    for piece in _slices(chain.from_iterable(profiles)):
        held.update(piece)
        await asyncio.sleep(0)
    rows: list[R] = []
    running: asyncio.Future[list[R]] | None = None
    for piece in _slices(chain.from_iterable(states)):
        stores = [(key, raw, held.get(key)) for key, raw in piece]
        if running is not None:
            rows.extend(await running)
        running = asyncio.ensure_future(side.run(of_slice, stores, as_of))
        await asyncio.sleep(0)
    if running is not None:
        rows.extend(await running)
    rows.sort(key=itemgetter(0))
    return rows


def _slices(items: Iterator[tuple[bytes, bytes]]) -> Iterator[list[tuple[bytes, bytes]]]:
    while piece := list(islice(items, SLICE)):
        yield piece


def csv_text(rows: list[UptimeRow]) -> tuple[str, int]:
    """The report's CSV text and its number of rows."""
    buffer = io.StringIO()
    count = write_report_csv(rows, buffer)
    return buffer.getvalue(), count


def _exit_with_parent(parent: int) -> None:
    """A worker killed with SIGKILL cannot stop its child, so the child watches for that itself."""

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
            initializer=_exit_with_parent,
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
