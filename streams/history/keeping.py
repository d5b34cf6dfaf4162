"""Freezing a store's dates into the history table, and reading its history back.

A store's frozen dates are kept in records keyed ``store id, 0x00, 0x01, b`` (store ids never hold a
NUL; the 0x01 names this layout), record ``b`` holding consecutive dates from day number ``8b`` to
``8b + 15`` at most: a block of ``BLOCK_DATES`` dates and the next one, into which a run of dates
begun in its block may reach. A message freezing 8 days of dates, as a replay's do, then writes one
record whatever the date it starts on, each one changelog record (``streams.state.outbox``); a live
store freezing a date a day rewrites the record of its current block, about 60 bytes a date. Dates
freeze in order and once each, so a record grows by appending; a date two records hold (a message
applied again under another zone) is read from the later one. A record is deleted once the last
date it could hold is ``days`` older than the newest frozen one.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator

from streams.engine import StoreProfile, StoreState
from streams.engine.history import (
    DayFigures,
    FrozenDay,
    day_start,
    encode_dates,
    first_open_day,
    frozen_days,
    local_day,
    store_history,
)

Ping = tuple[int, bool]
BLOCK_DATES = 8
_REACH = 2 * BLOCK_DATES  # the dates one record may hold, from the start of its block
_BLOCK = struct.Struct(">I")
_LAYOUT = b"\x00\x01"


def block_key(store: bytes, block: int) -> bytes:
    return store + _LAYOUT + _BLOCK.pack(block)


def records_of(days: range) -> range:
    """The records that may hold dates ``days``: those of their blocks and the one before."""
    return (
        range(max(days.start // BLOCK_DATES - 1, 0), (days.stop - 1) // BLOCK_DATES + 1) if days else range(0)
    )


def frozen_in(days: range, records: Iterable[tuple[int, bytes | None]]) -> dict[int, FrozenDay]:
    """The dates ``days`` that ``records`` (block and value, in block order; None for a record not
    there) hold, by day number; a date held twice is read from the later record."""
    found = {}
    for block, value in records:
        for frozen_day in () if value is None else decode_block(block, value):
            if frozen_day.figures.day in days:
                found[frozen_day.figures.day] = frozen_day
    return found


def _expired_through(stop: int, days: int) -> int:
    """The last record whose every date is ``days`` older than ``stop - 1``, the newest frozen date."""
    return (stop - 1 - days - (_REACH - 1)) // BLOCK_DATES


def decode_block(block: int, value: bytes) -> Iterator[FrozenDay]:
    """The dates the record of ``block`` holds, oldest first."""
    for frozen_day, _ in _entries(block, value):
        yield frozen_day


def _entries(block: int, value: bytes) -> Iterator[tuple[FrozenDay, int]]:
    """Each date of a record, and the offset of its entry."""
    at, first = 0, block * BLOCK_DATES
    while at < len(value):
        frozen_day, after = FrozenDay.decode_from(first + value[at], value, at + 1)
        yield frozen_day, at
        at = after


def _dates_before(block: int, value: bytes, day: int) -> bytes:
    """The entries of the record of ``block`` for the dates before ``day``."""
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
        first = start
        while first < stop:
            # The run from ``first`` in the record of its block, as far as the record reaches.
            block = first // BLOCK_DATES
            last = min(stop, block * BLOCK_DATES + _REACH)
            record = block_key(key, block)
            # The record holds the dates of an earlier run begun in its block, if any. Those from
            # ``first`` on are written again, should a message be applied twice (a worker that stopped
            # after the history's record reached its changelog and before the state's did).
            held = self.read(record) if first > block * BLOCK_DATES else None
            dates = frozen[first - start : last - start]
            self.write(
                record, _dates_before(block, held or b"", first) + encode_dates(dates, block * BLOCK_DATES)
            )
            first = last
        # The records whose reach has now fallen ``days`` behind the newest frozen date.
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
        records = ((block, self.read(block_key(key, block))) for block in records_of(frozen))
        found = [day.figures for _, day in sorted(frozen_in(frozen, records).items())]
        recent = store_history(state, profile, now, last - max(oldest, open_from) + 1)
        return found + [figures for figures in recent if figures.day >= open_from]
