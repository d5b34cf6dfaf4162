"""The specification's worked examples (the four stores, and A with a closure), as whole datasets,
shared by several test modules."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from replay.parsing import parse_clock
from streams.engine import Closure, HoursRow, StoreProfile


class Example(NamedTuple):
    store_id: str
    timezone: str | None
    hours: list[tuple[int, str, str]]  # (day, start, end) as in the hours file
    pings: list[tuple[str, str]]  # (UTC timestamp, status)
    as_of: str
    expected: tuple[float, ...]
    # (started_at, ended_at or None, business_started_at, business downtime in minutes), UTC
    outages: list[tuple[str, str | None, str, float]]
    closures: tuple[tuple[str, str, str], ...] = ()  # (start_date, end_date, reason), as in the file

    def profile(self) -> StoreProfile:
        hours = tuple(HoursRow(d, parse_clock(s), parse_clock(e)) for d, s, e in self.hours)
        closures = tuple(
            Closure(date.fromisoformat(s), date.fromisoformat(e), reason) for s, e, reason in self.closures
        )
        return StoreProfile(self.timezone, hours, closures)


A_PINGS = [
    ("2023-01-23 14:30:00", "active"),
    ("2023-01-23 16:30:00", "inactive"),
    ("2023-01-23 19:00:00", "active"),
]

EXAMPLES = [
    Example(
        "A",
        "America/New_York",
        [(0, "09:00", "17:00")],
        A_PINGS,
        "2023-01-23 21:30:00",
        (60.0, 5.0, 5.5, 0.0, 2.5, 2.5),
        [("2023-01-23 16:30:00", "2023-01-23 19:00:00", "2023-01-23 16:30:00", 150.0)],
    ),
    Example(
        "B",
        "Asia/Tokyo",
        [(day, "22:00", "06:00") for day in range(7)],
        [("2023-01-25 17:00:00", "active")],
        "2023-01-25 18:13:00",
        (60.0, 8.0, 56.0, 0.0, 0.0, 0.0),
        [],
    ),
    Example(
        "C",
        None,
        [(6, "00:30", "02:30")],
        [("2023-11-04 12:00:00", "active"), ("2023-11-05 07:30:00", "inactive")],
        "2023-11-06 12:00:00",
        (0.0, 0.0, 2.0, 0.0, 0.0, 1.0),
        [("2023-11-05 07:30:00", None, "2023-11-05 07:30:00", 60.0)],
    ),
    Example(
        "D",
        "America/Chicago",
        [(6, "01:30", "03:30")],
        [("2023-03-12 06:00:00", "active")],
        "2023-03-13 12:00:00",
        (0.0, 0.0, 1.0, 0.0, 0.0, 0.0),
        [],
    ),
    # A again, closed on the day of its pings: only Monday 16 January 16:30-17:00 local, a week before
    # as_of, remains in the week; its outage lies wholly on the closed day and is not listed.
    Example(
        "A-closed",
        "America/New_York",
        [(0, "09:00", "17:00")],
        A_PINGS,
        "2023-01-23 21:30:00",
        (0.0, 0.0, 0.5, 0.0, 0.0, 0.0),
        [],
        (("2023-01-23", "2023-01-23", "refit"),),
    ),
]
