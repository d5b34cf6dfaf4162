"""Daily history: per local date, a store's business minutes and how many of them it was up and down.

A date's instants are those whose local wall clock reads that date. Within a stretch of constant UTC
offset they form one interval, so a date is at most a few UTC intervals (one, but for a clock change
that crosses midnight), and its figures are the report's arithmetic over them: business time from
the calendar (closures included, so a closed date has none) and up time from the state's running
totals, with the status function's back-fill before the first ping.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final, NamedTuple, TextIO

from streams.engine.profile import StoreProfile
from streams.engine.state import StoreState
from streams.engine.units import DAY, MINUTE
from streams.engine.zones import ZoneTimeline

_EPOCH = date(1970, 1, 1)
DEFAULT_HISTORY_DAYS = 400

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


def day_figures(state: StoreState, profile: StoreProfile, day: int, now: int) -> DayFigures:
    """The figures of local date ``day`` up to ``now``, from the state's pings at or before ``now``."""
    calendar = profile.calendar
    business = up = 0
    for start, end in day_spans(calendar.zone, day):
        end = min(end, now)
        if start < end:
            business += calendar.business_between(start, end)
            up += state.active_before(profile, end) - state.active_before(profile, start)
    when = _EPOCH + timedelta(days=day)
    closed = any(c.start_date <= when <= c.end_date for c in profile.closures)
    return DayFigures(day, business, up, closed)


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
