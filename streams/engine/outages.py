"""Outages: the maximal stretches in which a store's status is ``inactive``, with the business time they cost.

They come from the same state and calendar as the report rows, so per store the business downtimes of
the outages in the week window add up to the row's ``downtime_last_week``. Runs of inactive pings are
found with ``bytes.find`` over the state's status column, so a store with no outage costs one scan in C.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from typing import NamedTuple

from streams.engine.calendar import BusinessCalendar
from streams.engine.profile import StoreProfile
from streams.engine.state import StoreState
from streams.engine.units import MINUTE, WEEK


class Outage(NamedTuple):
    """One outage; instants in microseconds, ``ended_at`` None while it goes on at the instant asked."""

    store_id: str
    started_at: int
    ended_at: int | None
    began_before_window: bool
    business_started_at: int
    business_downtime: int

    @property
    def business_downtime_minutes(self) -> float:
        return round(self.business_downtime / MINUTE, 2)

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


def _runs(active: bytearray, first: int, count: int) -> Iterator[tuple[int, int]]:
    """(index of the inactive ping starting a run, of the active ping ending it or -1), from ``first``."""
    position = first
    while (start := active.find(0, position, count)) >= 0:
        end = active.find(1, start, count)
        yield start, end
        if end < 0:
            return
        position = end


def _outage(
    store_id: str,
    calendar: BusinessCalendar,
    started_at: int,
    ended_at: int | None,
    as_of: int,
    began_before_window: bool,
) -> Outage | None:
    """The outage from ``started_at``, or None when it holds no business time.

    A closed outage is listed when business time lies in ``[started_at, ended_at)``; an open one also
    when ``as_of`` itself is business time, so an inactive ping in opening hours opens an outage at once.
    """
    stop = as_of if ended_at is None else ended_at
    first = calendar.first_business(started_at, stop + 1 if ended_at is None else stop)
    if first is None:
        return None
    downtime = calendar.business_between(started_at, stop)
    return Outage(store_id, started_at, ended_at, began_before_window, first, downtime)


def store_outages(
    store_id: str, state: StoreState, profile: StoreProfile, as_of: int, window: int = WEEK
) -> list[Outage]:
    """The store's outages in ``[as_of - window, as_of)`` from its pings at or before ``as_of``, by start."""
    times, active = state.times, state.active
    count = bisect_right(times, as_of)
    if not count:
        return []
    calendar = profile.calendar
    window_start = as_of - window
    before = bisect_right(times, window_start) - 1
    found: list[Outage] = []
    first = before + 1
    # Status at the window's start: the ping at or before it, else the first ping's (back-fill).
    if not active[max(before, 0)]:
        end = active.find(1, first, count)
        outage = _outage(
            store_id,
            calendar,
            window_start,
            times[end] if end >= 0 else None,
            as_of,
            began_before_window=True,
        )
        if outage is not None:
            found.append(outage)
        if end < 0:
            return found
        first = end
    for start, end in _runs(active, first, count):
        outage = _outage(store_id, calendar, times[start], times[end] if end >= 0 else None, as_of, False)
        if outage is not None:
            found.append(outage)
    return found


def outages_near(
    store_id: str, state: StoreState, profile: StoreProfile, low: int, high: int
) -> dict[int, Outage]:
    """Outages, by start, that pings in ``[low, high]`` can have changed, as of the store's latest ping.

    A ping can shorten, split or cancel the run it falls in and merge it with the run that starts at
    the next ping, so the runs from the one holding the ping before ``low`` up to the one starting at
    the ping after ``high`` are all it can touch. These are the outages the worker publishes: over
    everything the state keeps, no window, and open ones measured up to the store's latest ping.
    """
    times, active = state.times, state.active
    count = len(times)
    if not count:
        return {}
    calendar = profile.calendar
    first = max(bisect_left(times, low) - 1, 0)
    if not active[first]:
        first = active.rfind(1, 0, first) + 1
    last = bisect_right(times, high)
    as_of = times[-1]
    found: dict[int, Outage] = {}
    for start, end in _runs(active, first, count):
        if start > last:
            break
        outage = _outage(store_id, calendar, times[start], times[end] if end >= 0 else None, as_of, False)
        if outage is not None:
            found[outage.started_at] = outage
    return found


def may_change_outages(state: StoreState, pings: list[tuple[int, bool]]) -> bool:
    """Whether applying ``pings`` to ``state`` can change the store's outages at all.

    Not when every one is active and later than an active latest ping (or the store's first): a
    store that stays up, most messages of a fleet. The worker then skips deriving.
    """
    if not all(active for _, active in pings):
        return True
    times = state.times
    return bool(times) and (min(instant for instant, _ in pings) <= times[-1] or not state.active[-1])


def open_outage(store_id: str, state: StoreState, profile: StoreProfile) -> Outage | None:
    """The outage going on at the store's latest ping, if one is."""
    if not state.times or state.active[-1]:
        return None
    latest = state.times[-1]
    found = outages_near(store_id, state, profile, latest, latest)
    return next((outage for outage in found.values() if outage.is_open), None)
