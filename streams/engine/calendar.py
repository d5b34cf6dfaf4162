"""Business time of one store: its weekly schedule read through its zone's wall clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from streams.engine.closures import ClosedSchedule
from streams.engine.schedule import WeeklySchedule
from streams.engine.units import DAY, WEEK
from streams.engine.zones import ZoneTimeline

# 1970-01-01 was a Thursday: shifting local time by three days puts a Monday 00:00 at zero.
_MONDAY_SHIFT = 3 * DAY


@dataclass(frozen=True, slots=True, weakref_slot=True)
class BusinessCalendar:
    """Answers "how much business time lies between two UTC instants" for one store.

    Instant t is business time when the wall clock at t falls in the schedule and its local date in
    no closure. Within a stretch of constant UTC offset that is a difference of the schedule's
    running total, so a skipped spring hour contributes nothing and a repeated autumn hour
    contributes twice, with no special case.
    """

    zone: ZoneTimeline
    schedule: WeeklySchedule
    # Closed local spans from one local midnight to another, in local microseconds from 1970-01-01.
    closed: tuple[tuple[int, int], ...] = ()
    # The last answer of ``business_in_windows`` as (end, lengths, answer): during a report every store
    # sharing this calendar asks the same. A tuple of ints, which the cyclic collector stops tracking.
    _windows: tuple[int, tuple[int, ...], tuple[int, ...]] | None = field(
        default=None, init=False, compare=False, repr=False
    )
    # The schedule's own readings, or those of it with the closed spans taken out.
    _open_before: Callable[[int], int] = field(init=False, compare=False, repr=False)
    _next_open: Callable[[int], int] = field(init=False, compare=False, repr=False)
    _pieces: Callable[[int, int], Iterator[tuple[int, int]]] = field(init=False, compare=False, repr=False)
    always_open: bool = field(init=False, compare=False, repr=False)
    closed_until: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        readings: WeeklySchedule | ClosedSchedule = self.schedule
        pieces = _whole
        if self.closed:
            shifted = [(start + _MONDAY_SHIFT, end + _MONDAY_SHIFT) for start, end in self.closed]
            readings = ClosedSchedule.of(self.schedule, shifted)
            pieces = readings.pieces
        object.__setattr__(self, "_open_before", readings.open_before)
        object.__setattr__(self, "_next_open", readings.next_open)
        object.__setattr__(self, "_pieces", pieces)
        object.__setattr__(self, "always_open", self.schedule.always_open and not self.closed)
        # A UTC instant after which no closure applies (local offsets stay within a day of UTC).
        object.__setattr__(self, "closed_until", self.closed[-1][1] + DAY if self.closed else 0)

    def business_between(self, start: int, end: int) -> int:
        """Business microseconds in the UTC interval ``[start, end)``; zero when ``end <= start``."""
        if self.always_open:
            return max(end - start, 0)
        open_before = self._open_before
        total = 0
        while start < end:
            offset, until = self.zone.segment(start)
            stop = min(end, until)
            shift = offset + _MONDAY_SHIFT
            total += open_before(stop + shift) - open_before(start + shift)
            start = stop
        return total

    def business_in_windows(self, end: int, lengths: tuple[int, ...]) -> tuple[int, ...]:
        """``business_between(end - length, end)`` for each of ``lengths``; the last answer is kept."""
        last = self._windows
        if last is not None and last[0] == end and last[1] == lengths:
            return last[2]
        found = tuple(self.business_between(end - length, end) for length in lengths)
        object.__setattr__(self, "_windows", (end, lengths, found))
        return found

    def first_business(self, start: int, end: int) -> int | None:
        """The first business instant in the UTC interval ``[start, end)``; None when there is none."""
        if self.always_open:
            return start if start < end else None
        while start < end:
            offset, until = self.zone.segment(start)
            shift = offset + _MONDAY_SHIFT
            candidate = self._next_open(start + shift) - shift
            if candidate < min(until, end):
                return candidate
            start = until
        return None

    def business_intervals(self, start: int, end: int) -> list[tuple[int, int]]:
        """The business time in ``[start, end)`` as disjoint, sorted UTC intervals (for drawing it).

        Their lengths add up to ``business_between(start, end)``: a repeated autumn hour inside the
        hours appears once per pass, a skipped spring hour not at all.
        """
        found: list[tuple[int, int]] = []
        schedule = self.schedule
        while start < end:
            offset, until = self.zone.segment(start)
            stop = min(end, until)
            shift = offset + _MONDAY_SHIFT
            local, local_stop = start + shift, stop + shift
            week = local // WEEK * WEEK
            while week < local_stop:
                for open_at, close_at in zip(schedule.starts, schedule.ends, strict=True):
                    for a, b in self._pieces(max(week + open_at, local), min(week + close_at, local_stop)):
                        if found and found[-1][1] == a - shift:
                            found[-1] = (found[-1][0], b - shift)
                        else:
                            found.append((a - shift, b - shift))
                week += WEEK
            start = stop
        return found

    def running_business(self, times: Sequence[int]) -> list[int]:
        """Business time from ``times[0]`` to each of the sorted ``times``, cumulatively.

        Equal to ``business_between(times[0], t)`` for each t, but reads the schedule about once per
        instant instead of twice, which is what rebuilding a store's totals costs.
        """
        if not times:
            return []
        first = times[0]
        if self.always_open:
            return [t - first for t in times]
        open_before = self._open_before
        readings = [0] * len(times)
        offset, until = self.zone.segment(first)
        shift = offset + _MONDAY_SHIFT
        previous, previous_open, running = first, open_before(first + shift), 0
        for i in range(1, len(times)):
            instant = times[i]
            if instant < until:
                current_open = open_before(instant + shift)
                running += current_open - previous_open
            else:
                running += self.business_between(previous, instant)
                offset, until = self.zone.segment(instant)
                shift = offset + _MONDAY_SHIFT
                current_open = open_before(instant + shift)
            readings[i] = running
            previous, previous_open = instant, current_open
        return readings


def _whole(start: int, end: int) -> Iterator[tuple[int, int]]:
    """``[start, end)`` as its one piece, or none when it is empty."""
    if start < end:
        yield start, end
