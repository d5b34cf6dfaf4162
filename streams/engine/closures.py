"""Closures: date ranges on a store's local calendar with no business time (holidays, refits).

A closure removes whole local dates, whatever the weekly hours say. The rule looks at each
instant's own local date, so an overnight row that starts the evening before a closed day stops at
midnight, and the early hours after a closed day still count. In the calendar's local coordinates
a closure is one span from a local midnight to another, so the open time it takes away is two
readings of the weekly schedule, and the open time up to any instant stays a bisection away.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from streams.engine.schedule import WeeklySchedule
from streams.engine.units import DAY

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class Closure(NamedTuple):
    """Dates ``start_date`` through ``end_date`` (both inclusive, local) on which the store is closed."""

    start_date: date
    end_date: date
    reason: str = ""


def local_day(day: date) -> int:
    """Local microseconds from 1970-01-01 00:00 to ``day``'s midnight, on the same local calendar."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY


def closed_spans(closures: Iterable[Closure]) -> tuple[tuple[int, int], ...]:
    """The closed dates as disjoint, sorted local spans (overlapping and adjacent closures merged)."""
    merged: list[list[int]] = []
    for start, end in sorted((local_day(c.start_date), local_day(c.end_date) + DAY) for c in closures):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


@dataclass(frozen=True, slots=True)
class ClosedSchedule:
    """A weekly schedule with closed spans taken out, in the schedule's local coordinates.

    ``lost[i]`` is the schedule's open time inside the spans before span ``i`` (``lost[-1]`` inside
    them all), so the open time up to any instant is the schedule's minus one of these.
    """

    schedule: WeeklySchedule
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    lost: tuple[int, ...]

    @classmethod
    def of(cls, schedule: WeeklySchedule, spans: Iterable[tuple[int, int]]) -> ClosedSchedule:
        starts: list[int] = []
        ends: list[int] = []
        lost = [0]
        for start, end in spans:
            starts.append(start)
            ends.append(end)
            lost.append(lost[-1] + schedule.open_before(end) - schedule.open_before(start))
        return cls(schedule, tuple(starts), tuple(ends), tuple(lost))

    def open_before(self, local: int) -> int:
        """Open time up to ``local`` (from the coordinates' origin) outside the closed spans."""
        schedule = self.schedule
        i = bisect_right(self.starts, local) - 1
        if i < 0:
            return schedule.open_before(local)
        if local < self.ends[i]:
            return schedule.open_before(self.starts[i]) - self.lost[i]
        return schedule.open_before(local) - self.lost[i + 1]

    def next_open(self, local: int) -> int:
        """The first open instant at or after ``local`` (past the last span nothing is closed, and
        every schedule opens within a week)."""
        while True:
            candidate = self.schedule.next_open(local)
            i = bisect_right(self.starts, candidate) - 1
            if i < 0 or candidate >= self.ends[i]:
                return candidate
            local = self.ends[i]

    def pieces(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """``[start, end)`` without the closed spans, as disjoint sorted pieces."""
        i = max(bisect_right(self.starts, start) - 1, 0)
        while start < end and i < len(self.starts):
            span_start, span_end = self.starts[i], self.ends[i]
            if span_start > start:
                yield start, min(end, span_start)
            start = max(start, span_end)
            i += 1
        if start < end:
            yield start, end
