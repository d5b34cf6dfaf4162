"""Silence: a store open for business that has stopped pinging, so nobody can tell whether it is up.

A store *falls silent* at the first business instant at or after its latest ping plus the silence
time, and is *heard* again at its next ping. So a store whose pings stop after closing time falls
silent at the next opening, not in the night. Silence is not downtime (the report keeps the latest
ping's status); it is a signal of its own. Like outages, a store's silences are a function of its
pings and calendar alone, so they are exact whatever order the pings arrive in; only whether the
last one has begun depends on ``now``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import NamedTuple

from streams.engine.calendar import BusinessCalendar
from streams.engine.units import HOUR, WEEK

DEFAULT_SILENCE = 2 * HOUR
# A store with no business instant this long after a moment has none after it at all: its hours
# repeat every week, and a clock change shifts them by an hour or so.
HORIZON = 2 * WEEK


class Silence(NamedTuple):
    """One silence; instants in microseconds, ``ended_at`` None while it goes on at the instant asked."""

    store_id: str
    started_at: int  # when the store fell silent
    last_ping: int  # the ping it fell silent after
    ended_at: int | None  # the ping it was heard again at

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


def falls_silent(calendar: BusinessCalendar, last_ping: int, silence: int, before: int) -> int | None:
    """When a store whose latest ping is ``last_ping`` falls silent, if that is before ``before``."""
    return calendar.first_business(last_ping + silence, before)


def next_silence(calendar: BusinessCalendar, last_ping: int, silence: int) -> int | None:
    """When a store that pings no more after ``last_ping`` falls silent; None when it never opens.
    Past its last closure a store that opens at all opens within the horizon."""
    start = last_ping + silence
    return calendar.first_business(start, max(start, calendar.closed_until) + HORIZON)


def _gaps(
    store_id: str,
    times: Sequence[int],
    calendar: BusinessCalendar,
    silence: int,
    first: int,
    last: int,
    now: int,
) -> list[Silence]:
    """The silences after the pings ``times[first:last]`` (the last of them followed by ``now``)."""
    found: list[Silence] = []
    count = len(times)
    for i in range(first, last):
        ping = times[i]
        heard = times[i + 1] if i + 1 < count else None
        before = now + 1 if heard is None else heard
        if before - ping <= silence:  # pinged again in time: most gaps, no calendar read
            continue
        start = falls_silent(calendar, ping, silence, before)
        if start is not None:
            found.append(Silence(store_id, start, ping, heard))
    return found


def store_silences(
    store_id: str,
    times: Sequence[int],
    calendar: BusinessCalendar,
    silence: int,
    now: int,
    window: int = WEEK,
) -> list[Silence]:
    """The store's silences that reach into ``[now - window, now]``, from its pings at or before
    ``now`` (sorted ``times``), by start; an open one has begun by ``now``."""
    count = bisect_right(times, now)
    first = max(bisect_right(times, now - window) - 1, 0)
    silences = _gaps(store_id, times[:count], calendar, silence, first, count, now)
    return [s for s in silences if s.ended_at is None or s.ended_at > now - window]


def silences_near(
    store_id: str,
    times: Sequence[int],
    calendar: BusinessCalendar,
    silence: int,
    low: int,
    high: int,
    now: int,
) -> dict[int, Silence]:
    """Silences, by start, that pings in ``[low, high]`` can have changed, as of ``now``.

    A ping splits, shortens or ends the silence after the ping before it, and starts its own gap: so
    the gaps after the ping before ``low`` through the last ping at or before ``high`` are all it can
    touch. The worker publishes these, with ``times`` every ping it keeps.
    """
    first = max(bisect_left(times, low) - 1, 0)
    last = bisect_right(times, high)
    return {s.started_at: s for s in _gaps(store_id, times, calendar, silence, first, last, now)}
