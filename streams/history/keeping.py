"""Freezing a store's dates into the history table, and reading its history back.

A store's frozen dates are kept in blocks of ``BLOCK_DATES`` consecutive dates (day numbers ``8b`` to
``8b + 7``), one record per block keyed ``store id, 0x00, 0x01, b`` (store ids never hold a NUL; the
0x01 names this layout). A message freezing 8 days of dates, as a replay's do, then writes one or two
records rather than eight, each one changelog record (``streams.state.outbox``); a live store freezing
a date a day rewrites its current block, about 60 bytes a date. Dates freeze in order and once each,
so a block grows by appending. A block whose last date is ``days`` older than the newest frozen one is
deleted.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

from streams.engine import StoreProfile, StoreState
from streams.engine.history import (
    DayFigures,
    FrozenDay,
    day_start,
    first_open_day,
    frozen_days,
    local_day,
    store_history,
)

Ping = tuple[int, bool]
BLOCK_DATES = 8
_BLOCK = struct.Struct(">I")
_LAYOUT = b"\x00\x01"


def block_key(store: bytes, block: int) -> bytes:
    return store + _LAYOUT + _BLOCK.pack(block)


def blocks_of(days: range) -> range:
    """The blocks holding dates ``days``."""
    return range(days.start // BLOCK_DATES, (days.stop - 1) // BLOCK_DATES + 1) if days else range(0)


def encode_dates(frozen: list[FrozenDay]) -> bytes:
    """Dates of one block, each its place in the block (a byte) and its figures."""
    return b"".join(bytes((day.figures.day % BLOCK_DATES,)) + day.encode() for day in frozen)


def _expired_through(stop: int, days: int) -> int:
    """The last block whose every date is ``days`` older than ``stop - 1``, the newest frozen date."""
    return (stop - 1 - days - (BLOCK_DATES - 1)) // BLOCK_DATES


def decode_block(block: int, value: bytes) -> Iterator[FrozenDay]:
    """The dates a block's record holds, oldest first."""
    for frozen_day, _ in _entries(block, value):
        yield frozen_day


def _entries(block: int, value: bytes) -> Iterator[tuple[FrozenDay, int]]:
    """Each date of a block's record, and the offset of its entry."""
    at, first = 0, block * BLOCK_DATES
    while at < len(value):
        frozen_day, after = FrozenDay.decode_from(first + value[at], value, at + 1)
        yield frozen_day, at
        at = after


def _dates_before(block: int, value: bytes, day: int) -> bytes:
    """The entries of a block's record for the dates before ``day``."""
    for frozen_day, at in _entries(block, value):
        if frozen_day.figures.day >= day:
            return value[:at]
    return value


class HistoryKeeping:
    """What the worker does for the history: refuse pings on frozen dates, freeze the dates a message
    moves past the retention, and answer a store's history from its frozen dates and its state.

    ``read(key)`` and ``write(key, value or None)`` reach the history table in the store's partition.
    """

    def __init__(
        self,
        retention: int,
        days: int,
        read: Callable[[bytes], bytes | None],
        write: Callable[[bytes, bytes | None], None],
    ) -> None:
        self.retention = retention
        self.days = days
        self.read = read
        self.write = write

    def too_late(self, state: StoreState, profile: StoreProfile, pings: list[Ping]) -> list[Ping]:
        """The pings that fall on a date already frozen; a store with no ping yet has none."""
        if state.latest is None:
            return []
        # The usual case, told at C speed: no ping before the retention's horizon, which lies on the
        # first date not frozen.
        if not pings or min(pings)[0] >= state.latest - self.retention:
            return []
        zone = profile.calendar.zone
        until = day_start(zone, first_open_day(zone, state.latest, self.retention))
        return [ping for ping in pings if ping[0] < until]

    def freeze(self, key: bytes, state: StoreState, profile: StoreProfile, latest_before: int | None) -> int:
        """Freeze the dates the state's latest ping (before: ``latest_before``) moved past the
        retention, from its pings before they are pruned; returns how many were frozen."""
        if not state.times:
            return 0
        zone = profile.calendar.zone
        # From the store's first date (a young store's is after the retention's horizon), or from
        # the first one not frozen yet (the state's first ping then lies before it).
        start = local_day(zone, state.times[0])
        if latest_before is not None:
            start = max(start, first_open_day(zone, latest_before, self.retention))
        stop = first_open_day(zone, state.times[-1], self.retention)
        if start >= stop:
            return 0
        frozen = frozen_days(state, profile, start, stop)
        for block in blocks_of(range(start, stop)):
            dates = frozen[max(block * BLOCK_DATES, start) - start : (block + 1) * BLOCK_DATES - start]
            record = block_key(key, block)
            # Dates freeze in order: the block holds older ones unless ``start`` is its first. Those from
            # ``start`` on are written again, should a message be applied twice (a worker that stopped
            # after the history's record reached its changelog and before the state's did).
            held = self.read(record) if start > block * BLOCK_DATES else None
            self.write(record, _dates_before(block, held or b"", start) + encode_dates(dates))
        # The blocks whose last date is now ``days`` older than the newest frozen one, newly so.
        newly = range(max(_expired_through(start, self.days) + 1, 0), _expired_through(stop, self.days) + 1)
        for block in newly:
            record = block_key(key, block)
            if self.read(record) is not None:
                self.write(record, None)
        return stop - start

    def history(
        self, key: bytes, state: StoreState, profile: StoreProfile, now: int, days: int
    ) -> list[DayFigures]:
        """The store's last ``days`` local dates through ``now``'s: frozen ones from the table, the
        others from the state."""
        if state.latest is None or state.times[0] > now:
            return []
        zone = profile.calendar.zone
        last = local_day(zone, now)
        oldest = max(last - min(days, self.days) + 1, 0)
        open_from = first_open_day(zone, state.latest, self.retention)
        frozen = range(oldest, min(open_from, last + 1))
        found = []
        for block in blocks_of(frozen):
            raw = self.read(block_key(key, block))
            if raw is not None:
                found += [day.figures for day in decode_block(block, raw) if day.figures.day in frozen]
        recent = store_history(state, profile, now, last - max(oldest, open_from) + 1)
        return found + [figures for figures in recent if figures.day >= open_from]
