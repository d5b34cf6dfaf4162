"""Freezing a store's dates into the history table, and reading its history back.

Each frozen date is one record, ``store id, 0x00, date`` (store ids never hold a NUL), so a date costs
about 75 bytes of changelog once, whatever the store's pings, and a date ``days`` older is deleted as
a new one freezes: the table holds at most ``days`` dates per store.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

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
_DAY = struct.Struct(">I")


def frozen_key(store: bytes, day: int) -> bytes:
    return store + b"\x00" + _DAY.pack(day)


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
        frozen = frozen_days(state, profile, start, stop) if start < stop else []
        for day in frozen:
            self.write(frozen_key(key, day.figures.day), day.encode())
            expired = frozen_key(key, day.figures.day - self.days)
            if self.read(expired) is not None:
                self.write(expired, None)
        return len(frozen)

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
        found = []
        for day in range(oldest, min(open_from, last + 1)):
            raw = self.read(frozen_key(key, day))
            if raw is not None:
                found.append(FrozenDay.decode(day, raw).figures)
        recent = store_history(state, profile, now, last - max(oldest, open_from) + 1)
        return found + [figures for figures in recent if figures.day >= open_from]
