"""A store's last hours at a glance, one letter per hour, as an uptime monitor's heartbeat bar shows it.

Each hour before ``as_of`` is read over its business time only: ``d`` when the store was down at any
business instant of it, else ``s`` when it was silent at one (no ping for the silence time), else
``u``; ``c`` when the hour holds no business time, ``n`` when it ends before the store's first ping.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from streams.engine.profile import StoreProfile
from streams.engine.state import StoreState
from streams.engine.units import HOUR

RECENT_HOURS = 24
UP, DOWN, SILENT, CLOSED, NO_DATA = "u", "d", "s", "c", "n"


def _hour(state: StoreState, start: int, end: int, silence: int) -> str:
    """The letter of the business time ``[start, end)``, which ends after the first ping."""
    times, active = state.times, state.active
    first, last = bisect_right(times, start), bisect_left(times, end)
    # The status at ``start`` (before the first ping, the back-filled first one's) and every change after.
    holding = max(first - 1, 0)
    if not all(active[holding : max(last, holding + 1)]):
        return DOWN
    # The longest wait for a ping at an instant of it: just before each ping in it, or at its end,
    # counted from the ping before (none before the first ping: no data is not silence).
    waits = [times[i] - 1 - times[i - 1] for i in range(max(first, 1), last)]
    if last:
        waits.append(end - 1 - times[last - 1])
    return SILENT if waits and max(waits) >= silence else UP


def recent_hours(
    state: StoreState, profile: StoreProfile, as_of: int, silence: int, hours: int = RECENT_HOURS
) -> str:
    """The store's last ``hours`` hours before ``as_of``, oldest first, a letter each."""
    start = as_of - hours * HOUR
    business = profile.calendar.business_intervals(start, as_of)  # read once, split per hour below
    first_ping = state.times[0] if state.times else as_of
    letters = []
    for hour_start in range(start, as_of, HOUR):
        hour_end = hour_start + HOUR
        if first_ping >= hour_end:
            letters.append(NO_DATA)
            continue
        pieces = [
            (max(a, hour_start), min(b, hour_end)) for a, b in business if a < hour_end and b > hour_start
        ]
        if not pieces:
            letters.append(CLOSED)
            continue
        letters.append(max((_hour(state, a, b, silence) for a, b in pieces), key=_SEVERITY.index))
    return "".join(letters)


_SEVERITY = (UP, SILENT, DOWN)
