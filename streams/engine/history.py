"""Daily history: per local date, a store's business minutes and how many of them it was up and down.

A date's instants are those whose local wall clock reads that date. Within a stretch of constant UTC
offset they form one interval, so a date is at most a few UTC intervals (one, but for a clock change
that crosses midnight), and its figures are the report's arithmetic over them: business time from
the calendar (closures included, so a closed date has none) and up time from the state's running
totals, with the status function's back-fill before the first ping.

A date is exact while the pings it depends on are kept. Once it has left the pings' retention it is
frozen: its figures, and the same split by UTC date for the fleet's sums, are written once
(``FrozenDay``), and a ping that would change them (one before its end) is refused ``too_late``.
Pings are kept ``HISTORY_MARGIN`` longer than the retention, so every date not frozen yet can be
computed.
"""

from __future__ import annotations

import csv
import struct
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Final, NamedTuple, TextIO

from streams.engine.profile import StoreProfile
from streams.engine.state import StoreState
from streams.engine.units import DAY, HOUR, MINUTE
from streams.engine.zones import ZoneTimeline

_EPOCH = date(1970, 1, 1)
DEFAULT_HISTORY_DAYS = 400

# Pings kept past the retention while history is kept: from the last ping before the first date not
# frozen, the one holding the retention's horizon, which starts at most a day and a clock change
# before it.
HISTORY_MARGIN: Final = DAY + 2 * HOUR
_FROZEN = struct.Struct("<qq?B")  # business, up, closed, UTC parts
_PART = struct.Struct("<iqq")


@lru_cache(maxsize=1024)
def _encoding(shape: tuple[int, ...]) -> struct.Struct:
    """Frozen dates with ``shape[i]`` UTC parts each, packed at once, each after its place (a byte)."""
    return struct.Struct(
        "<" + "".join("B" + _FROZEN.format[1:] + _PART.format[1:] * parts for parts in shape)
    )


HISTORY_HEADER: Final = ("store_id", "date", "business_minutes", "uptime_minutes", "downtime_minutes")


class DayFigures(NamedTuple):
    """One local date of one store; microseconds, ``up`` of ``business`` (the rest is down)."""

    day: int  # local date, as days since 1970-01-01
    business: int
    up: int
    closed: bool  # the date lies in one of the store's closures

    @property
    def date(self) -> date:
        return day_date(self.day)

    @property
    def minutes(self) -> tuple[float, float, float]:
        return minutes(self.business, self.up)


def minutes(business: int, up: int) -> tuple[float, float, float]:
    """(business, up, down) in minutes, two decimals, from business and up microseconds."""
    return round(business / MINUTE, 2), round(up / MINUTE, 2), round((business - up) / MINUTE, 2)


def local_day(zone: ZoneTimeline, instant: int) -> int:
    """The local date at ``instant``, as days since 1970-01-01."""
    offset, _ = zone.segment(instant)
    return (instant + offset) // DAY


def day_spans(zone: ZoneTimeline, day: int) -> list[tuple[int, int]]:
    """The UTC intervals whose local date is ``day``, sorted and disjoint (offsets stay within a day)."""
    return _dates_spans(zone, day, day + 1)[0]


def day_figures(state: StoreState, profile: StoreProfile, day: int, now: int) -> DayFigures:
    """The figures of local date ``day`` up to ``now``, from the state's pings at or before ``now``."""
    business = up = 0
    for start, end in day_spans(profile.calendar.zone, day):
        end = min(end, now)
        if start < end:
            business += profile.calendar.business_between(start, end)
            up += state.active_before(profile, end) - state.active_before(profile, start)
    return DayFigures(day, business, up, profile.closed_on(day_date(day)))


def day_date(day: int) -> date:
    """The date of day number ``day`` (days since 1970-01-01)."""
    return _EPOCH + timedelta(days=day)


def utc_parts(state: StoreState, profile: StoreProfile, start: int, end: int) -> list[UtcPart]:
    """Business and up time in ``[start, end)``, split at UTC midnights: what the fleet sums per UTC date."""
    parts = []
    while start < end:
        utc_day = start // DAY
        stop = min(end, (utc_day + 1) * DAY)
        business = profile.calendar.business_between(start, stop)
        up = state.active_before(profile, stop) - state.active_before(profile, start)
        parts.append(UtcPart(utc_day, business, up))
        start = stop
    return parts


def first_open_day(zone: ZoneTimeline, latest: int, retention: int) -> int:
    """The first local date not frozen for a store whose latest ping is ``latest``: every date before
    it has left the retention."""
    return local_day(zone, latest - retention)


def day_start(zone: ZoneTimeline, day: int) -> int:
    """The first instant of local date ``day`` (of the next, for a date a zone skipped)."""
    spans = day_spans(zone, day) or day_spans(zone, day + 1)
    return spans[0][0]


class UtcPart(NamedTuple):
    """The part of a local date that falls on one UTC date; microseconds."""

    utc_day: int
    business: int
    up: int


class FrozenDay(NamedTuple):
    """A local date's figures once frozen, and the same split by UTC date (a date spans two or three)."""

    figures: DayFigures
    parts: tuple[UtcPart, ...]

    @classmethod
    def decode_from(cls, day: int, value: bytes, at: int = 0) -> tuple[FrozenDay, int]:
        """The date encoded at offset ``at`` of ``value``, and the offset after it."""
        business, up, closed, count = _FROZEN.unpack_from(value, at)
        at += _FROZEN.size
        parts = tuple(UtcPart(*_PART.unpack_from(value, at + i * _PART.size)) for i in range(count))
        return cls(DayFigures(day, business, up, bool(closed)), parts), at + count * _PART.size


def encode_dates(frozen: Sequence[FrozenDay], first: int) -> bytes:
    """Frozen dates, each its place after day number ``first`` (a byte) and its figures; one ``pack``
    for them all (``FrozenDay.decode_from`` reads one back)."""
    values: list[int] = []
    for day, parts in frozen:
        values += (day.day - first, day.business, day.up, day.closed, len(parts))
        for part in parts:
            values += part
    return _encoding(tuple(len(day.parts) for day in frozen)).pack(*values)


def frozen_days(state: StoreState, profile: StoreProfile, start: int, stop: int) -> list[FrozenDay]:
    """Local dates ``start`` to ``stop`` (excluded) as they freeze, from the state's pings (kept back to
    the one before ``start``'s first instant, or from the store's first ping on).

    A date's parts run between cuts: its spans' ends and the UTC midnights inside them. Business and up
    time are read once per cut, cumulatively (``StoreState.active_at``), and each part is the difference
    of two readings: what ``utc_parts`` gives, with fewer reads of the calendar, each cut read once
    though consecutive dates share it.
    """
    zone = profile.calendar.zone
    offset = _one_offset(zone, start, stop)
    if offset is None:
        return _frozen_spans(state, profile, start, stop)
    # One offset throughout: each date is one span, and the UTC midnight inside it (none at offset
    # zero) lies the same time after its start.
    first, last = start * DAY - offset, stop * DAY - offset
    midnight = -first % DAY
    if midnight:
        cuts = [cut for begin in range(first, last, DAY) for cut in (begin, begin + midnight)]
    else:
        cuts = list(range(first, last, DAY))
    cuts.append(last)
    business, up = state.active_at(profile, cuts)
    closed = profile.closed_on if profile.closures else None
    frozen = []
    step = 2 if midnight else 1
    for i in range(0, len(cuts) - 1, step):
        day = start + i // step
        j = i + step
        if midnight:
            parts: tuple[UtcPart, ...] = (
                UtcPart(cuts[i] // DAY, business[i + 1] - business[i], up[i + 1] - up[i]),
                UtcPart(cuts[i + 1] // DAY, business[j] - business[i + 1], up[j] - up[i + 1]),
            )
        else:
            parts = (UtcPart(cuts[i] // DAY, business[j] - business[i], up[j] - up[i]),)
        is_closed = closed is not None and closed(day_date(day))
        frozen.append(FrozenDay(DayFigures(day, business[j] - business[i], up[j] - up[i], is_closed), parts))
    return frozen


def _one_offset(zone: ZoneTimeline, start: int, stop: int) -> int | None:
    """The UTC offset of local dates ``start`` to ``stop`` (excluded) and of the day on either side,
    if it does not change there (so no instant outside the dates reads one of them); else None."""
    offset, until = zone.segment(start * DAY - DAY)
    while until <= stop * DAY + DAY:
        found, until = zone.segment(until)
        if found != offset:
            return None
    return offset


def _frozen_spans(state: StoreState, profile: StoreProfile, start: int, stop: int) -> list[FrozenDay]:
    """``frozen_days`` in general: dates of one or more spans (a clock change), read from the zone's
    offsets one by one."""
    spans = _dates_spans(profile.calendar.zone, start, stop)
    instants = sorted({cut for date_spans in spans for a, b in date_spans for cut in _cuts(a, b)})
    business, up = state.active_at(profile, instants)
    first_cut = {instant: i for i, instant in enumerate(instants)}
    closed = profile.closed_on if profile.closures else None
    frozen = []
    for day, date_spans in enumerate(spans, start):
        parts = []
        for a, b in date_spans:
            # A span's cuts are consecutive instants: no other date's cut falls inside it.
            i = first_cut[a]
            while instants[i] < b:
                parts.append(UtcPart(instants[i] // DAY, business[i + 1] - business[i], up[i + 1] - up[i]))
                i += 1
        total_business = sum(part.business for part in parts)
        total_up = sum(part.up for part in parts)
        is_closed = closed is not None and closed(day_date(day))
        frozen.append(FrozenDay(DayFigures(day, total_business, total_up, is_closed), tuple(parts)))
    return frozen


def _dates_spans(zone: ZoneTimeline, start: int, stop: int) -> list[list[tuple[int, int]]]:
    """``day_spans`` of each local date ``start`` to ``stop`` (excluded), reading each offset of the
    zone once rather than once per date."""
    spans: list[list[tuple[int, int]]] = [[] for _ in range(start, stop)]
    instant, end = start * DAY - DAY, stop * DAY + DAY
    while instant < end:
        offset, until = zone.segment(instant)
        until = min(until, end)
        for day in range(max((instant + offset) // DAY, start), min((until - 1 + offset) // DAY + 1, stop)):
            a, b = max(instant, day * DAY - offset), min(until, (day + 1) * DAY - offset)
            own = spans[day - start]
            if own and own[-1][1] == a:
                own[-1] = (own[-1][0], b)
            else:
                own.append((a, b))
        instant = until
    return spans


def _cuts(start: int, end: int) -> list[int]:
    """``start``, the UTC midnights after it and before ``end``, and ``end``."""
    return [start, *range((start // DAY + 1) * DAY, end, DAY), end]


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
