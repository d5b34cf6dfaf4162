"""Daily history: per local date, a store's business minutes and how many of them it was up and down.

A date's instants are those whose local wall clock reads that date. Within a stretch of constant UTC
offset they form one interval, so a date is at most a few UTC intervals (one, but for a clock change
that crosses midnight), and its figures are the report's arithmetic over them: business time from
the calendar (closures included, so a closed date has none) and up time from the state's running
totals, with the status function's back-fill before the first ping.

A date is exact while the pings it depends on are kept. Once it has left the pings' retention, on the
store's local calendar and on UTC's (the fleet sums stores per UTC date), it is frozen: its figures
are written once (``FrozenDay``), and a ping that would change them is refused ``too_late``. Pings
are kept ``HISTORY_MARGIN`` longer than the retention, so every date not frozen yet can be computed.
"""

from __future__ import annotations

import csv
import struct
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final, NamedTuple, TextIO

from streams.engine.profile import StoreProfile
from streams.engine.state import StoreState
from streams.engine.units import DAY, HOUR, MINUTE
from streams.engine.zones import ZoneTimeline, zone_timeline

_EPOCH = date(1970, 1, 1)
DEFAULT_HISTORY_DAYS = 400

# Pings kept past the retention while history is kept: from the last ping before the first date not
# frozen, which starts at most a day and a clock change before the retention's horizon, on the local
# calendar or UTC's (whichever is earlier, local offsets reaching a day either way).
HISTORY_MARGIN: Final = 2 * DAY + 2 * HOUR
UTC: Final = zone_timeline("UTC")
_FROZEN = struct.Struct("<qqqqB")
_LOCAL, _ON_UTC, _CLOSED = 1, 2, 4

HISTORY_HEADER: Final = ("store_id", "date", "business_minutes", "uptime_minutes", "downtime_minutes")


class DayFigures(NamedTuple):
    """One local date of one store; microseconds, ``up`` of ``business`` (the rest is down)."""

    day: int  # local date, as days since 1970-01-01
    business: int
    up: int
    closed: bool  # the date lies in one of the store's closures

    @property
    def date(self) -> date:
        return _EPOCH + timedelta(days=self.day)

    @property
    def minutes(self) -> tuple[float, float, float]:
        """(business, up, down) in minutes, two decimals."""
        return (
            round(self.business / MINUTE, 2),
            round(self.up / MINUTE, 2),
            round((self.business - self.up) / MINUTE, 2),
        )


def local_day(zone: ZoneTimeline, instant: int) -> int:
    """The local date at ``instant``, as days since 1970-01-01."""
    offset, _ = zone.segment(instant)
    return (instant + offset) // DAY


def day_spans(zone: ZoneTimeline, day: int) -> list[tuple[int, int]]:
    """The UTC intervals whose local date is ``day``, sorted and disjoint (offsets stay within a day)."""
    spans: list[tuple[int, int]] = []
    start, end = day * DAY, (day + 1) * DAY
    instant, stop = start - DAY, end + DAY
    while instant < stop:
        offset, until = zone.segment(instant)
        until = min(until, stop)
        a, b = max(instant, start - offset), min(until, end - offset)
        if a < b:
            if spans and spans[-1][1] == a:
                spans[-1] = (spans[-1][0], b)
            else:
                spans.append((a, b))
        instant = until
    return spans


def day_figures(
    state: StoreState, profile: StoreProfile, day: int, now: int, zone: ZoneTimeline | None = None
) -> DayFigures:
    """The figures of local date ``day`` up to ``now``, from the state's pings at or before ``now``;
    with ``zone``, of that zone's date ``day`` (the business time is still the store's own)."""
    calendar = profile.calendar
    business = up = 0
    for start, end in day_spans(zone or calendar.zone, day):
        end = min(end, now)
        if start < end:
            business += calendar.business_between(start, end)
            up += state.active_before(profile, end) - state.active_before(profile, start)
    when = _EPOCH + timedelta(days=day)
    closed = any(c.start_date <= when <= c.end_date for c in profile.closures)
    return DayFigures(day, business, up, closed)


def first_open_day(zone: ZoneTimeline, latest: int, retention: int) -> int:
    """The first date not frozen for a store whose latest ping is ``latest``: every date before it has
    left the retention both on the local calendar and on UTC's."""
    horizon = latest - retention
    return min(local_day(zone, horizon), horizon // DAY)


def frozen_until(zone: ZoneTimeline, latest: int, retention: int) -> int:
    """The instant before which a ping falls on a frozen date, local or UTC, and is refused."""
    day = first_open_day(zone, latest, retention)
    spans = day_spans(zone, day) or day_spans(zone, day + 1)  # a date a zone skipped has no instant
    return max(spans[0][0], day * DAY)


class FrozenDay(NamedTuple):
    """A date's figures once frozen: on the store's calendar and on UTC's, None before the date of
    the store's first ping on that calendar."""

    day: int
    local: DayFigures | None
    utc: DayFigures | None

    def encode(self) -> bytes:
        local = self.local or DayFigures(self.day, 0, 0, False)
        utc = self.utc or DayFigures(self.day, 0, 0, False)
        flags = (
            (_LOCAL if self.local else 0) | (_ON_UTC if self.utc else 0) | (_CLOSED if local.closed else 0)
        )
        return _FROZEN.pack(local.business, local.up, utc.business, utc.up, flags)

    @classmethod
    def decode(cls, day: int, value: bytes) -> FrozenDay:
        local_business, local_up, utc_business, utc_up, flags = _FROZEN.unpack(value)
        return cls(
            day,
            DayFigures(day, local_business, local_up, bool(flags & _CLOSED)) if flags & _LOCAL else None,
            DayFigures(day, utc_business, utc_up, False) if flags & _ON_UTC else None,
        )


def frozen_days(state: StoreState, profile: StoreProfile, start: int, stop: int) -> list[FrozenDay]:
    """Dates ``start`` to ``stop`` (excluded) as they freeze, from the state's pings (kept back to the
    one before ``start``, or from the store's first ping on)."""
    zone = profile.calendar.zone
    first = state.times[0]
    first_local, first_utc = local_day(zone, first), first // DAY
    end = state.times[-1]
    return [
        FrozenDay(
            day,
            day_figures(state, profile, day, end) if day >= first_local else None,
            day_figures(state, profile, day, end, UTC) if day >= first_utc else None,
        )
        for day in range(start, stop)
    ]


def store_history(state: StoreState, profile: StoreProfile, now: int, days: int) -> list[DayFigures]:
    """The store's last ``days`` dates through the one holding ``now``, from the date of its first
    ping (oldest first); none before its first ping. Exact for the dates its pings cover."""
    state.refresh(profile)
    first = state.times[0] if state.times else None
    if first is None or first > now:
        return []
    zone = profile.calendar.zone
    last = local_day(zone, now)
    oldest = max(local_day(zone, first), last - days + 1)
    return [day_figures(state, profile, day, now) for day in range(oldest, last + 1)]


def write_history_csv(rows: Iterable[tuple[str, DayFigures]], handle: TextIO) -> int:
    """Write the history's header and one row per (store, date); returns the number of rows."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(HISTORY_HEADER)
    count = 0
    for store_id, figures in rows:
        writer.writerow([store_id, figures.date.isoformat(), *map(repr, figures.minutes)])
        count += 1
    return count
