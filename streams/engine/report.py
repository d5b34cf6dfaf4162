"""Report rows: a store's uptime and downtime over the last hour, day and week before ``as_of``."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Final, Literal, NamedTuple, TextIO

from streams.engine.profile import StoreProfile
from streams.engine.silences import falls_silent
from streams.engine.state import StoreState
from streams.engine.units import DAY, HOUR, MINUTE, WEEK

CSV_HEADER: Final = (
    "store_id",
    "uptime_last_hour",
    "uptime_last_day",
    "uptime_last_week",
    "downtime_last_hour",
    "downtime_last_day",
    "downtime_last_week",
)

# (window length, unit it is reported in)
WINDOWS: Final = ((HOUR, MINUTE), (DAY, HOUR), (WEEK, HOUR))
_LENGTHS: Final = tuple(length for length, _ in WINDOWS)


class UptimeRow(NamedTuple):
    """One report line; hour figures in minutes, day and week figures in hours, two decimals."""

    store_id: str
    uptime_last_hour: float
    uptime_last_day: float
    uptime_last_week: float
    downtime_last_hour: float
    downtime_last_day: float
    downtime_last_week: float

    def csv_fields(self) -> list[str]:
        return [self.store_id, *(repr(v) for v in self[1:])]


def uptime_row(store_id: str, state: StoreState, profile: StoreProfile, as_of: int) -> UptimeRow | None:
    """The row for one store, or None when it has no ping at or before ``as_of``.

    Only pings at or before ``as_of`` are read, so a report describes exactly its instant.
    """
    if not state.times or state.times[0] > as_of:
        return None
    state.refresh(profile)
    until_now = state.active_before(profile, as_of)
    ups: list[float] = []
    downs: list[float] = []
    businesses = profile.calendar.business_in_windows(as_of, _LENGTHS)
    for (length, unit), business in zip(WINDOWS, businesses, strict=True):
        up = until_now - state.active_before(profile, as_of - length)
        ups.append(round(up / unit, 2))
        downs.append(round((business - up) / unit, 2))
    return UptimeRow(store_id, *ups, *downs)


# What one word says of a store at an instant, the same on every page and in every count.
Standing = Literal["closed", "silent", "up", "down"]


def standing(open_now: bool, active: bool, last_ping: int, as_of: int, silence: int) -> Standing:
    """A store out of its business hours is closed; an open one whose last ping is ``silence`` old
    or older is silent (up or down, nobody can tell); else its last status says."""
    if not open_now:
        return "closed"
    if as_of - last_ping >= silence:
        return "silent"
    return "up" if active else "down"


class StoreStatus(NamedTuple):
    """What a live lookup answers: the store's row at ``as_of``, its status then, its last ping,
    whether it is open then, and when it fell silent if it is silent since."""

    row: UptimeRow
    active: bool
    last_ping: int
    open_now: bool
    silent_since: int | None = None


def store_status(
    store_id: str, state: StoreState, profile: StoreProfile, as_of: int, silence: int | None = None
) -> StoreStatus | None:
    """The store's status at ``as_of``, or None when it has no ping at or before then; with the
    ``silence`` time, whether it has fallen silent by then."""
    row = uptime_row(store_id, state, profile, as_of)
    last_ping = state.last_ping_at(as_of)
    if row is None or last_ping is None:
        return None
    silent_since = None
    if silence is not None and as_of - last_ping >= silence:
        silent_since = falls_silent(profile.calendar, last_ping, silence, as_of + 1)
    open_now = profile.calendar.first_business(as_of, as_of + 1) is not None
    return StoreStatus(row, bool(state.status_at(as_of)), last_ping, open_now, silent_since)


def write_report_csv(rows: Iterable[UptimeRow], handle: TextIO) -> int:
    """Write the report's header and rows; returns the number of rows."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    count = 0
    for row in rows:
        writer.writerow(row.csv_fields())
        count += 1
    return count
