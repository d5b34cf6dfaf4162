"""A store's last hours, a letter each: against a minute-by-minute reading of the same pings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.engine import HoursRow, StoreProfile, StoreState
from streams.engine.recent import recent_hours
from streams.engine.units import HOUR, MINUTE
from tests.helpers import instant

AS_OF = instant("2023-01-25 12:00")
SILENCE = 2 * HOUR


def by_minutes(pings: list[tuple[int, bool]], profile: StoreProfile, hours: int) -> str:
    """Each hour's worst minute among its business minutes, read one minute at a time."""
    times = sorted(when for when, _ in pings)
    status = dict(pings)
    letters = []
    for index in range(hours, 0, -1):
        start, end = AS_OF - index * HOUR, AS_OF - (index - 1) * HOUR
        if times[0] >= end:
            letters.append("n")
            continue
        seen = set()
        for minute in range(start, end, MINUTE):
            if profile.calendar.first_business(minute, minute + 1) is None:
                continue
            before = [when for when in times if when <= minute]
            held = status[before[-1]] if before else status[times[0]]
            seen.add("d" if not held else "s" if before and minute - before[-1] >= SILENCE else "u")
        letters.append("c" if not seen else "d" if "d" in seen else "s" if "s" in seen else "u")
    return "".join(letters)


def test_an_hour_is_down_silent_up_closed_or_without_data() -> None:
    mornings = StoreProfile("UTC", tuple(HoursRow(day, 0, 6 * 3600) for day in range(7)))  # 00:00-06:00
    pings = [
        (instant("2023-01-25 01:30"), True),
        (instant("2023-01-25 02:10"), False),
        (instant("2023-01-25 02:40"), True),
    ]
    state = StoreState.from_pings(pings, mornings)
    # 00:00-06:00 UTC of the 25th: no data until 01:00; 01:xx up; 02:xx down; 03:xx up; from 04:40
    # silent; then closed until noon.
    assert recent_hours(state, mornings, AS_OF, SILENCE, hours=12) == "nudusscccccc"[:12]
    assert recent_hours(state, mornings, AS_OF, SILENCE, hours=12) == by_minutes(pings, mornings, 12)


minutes = st.integers(min_value=0, max_value=8 * 60 - 1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(minutes, st.booleans()), min_size=1, max_size=8, unique_by=lambda ping: ping[0]),
    st.sampled_from([(0, 24 * 3600), (1 * 3600 + 1800, 5 * 3600), (22 * 3600, 3 * 3600)]),
)
def test_the_letters_are_the_minute_by_minute_ones(
    drawn: list[tuple[int, bool]], hours: tuple[int, int]
) -> None:
    profile = StoreProfile("UTC", tuple(HoursRow(day, *hours) for day in range(7)))
    pings = [(AS_OF - 8 * HOUR + minute * MINUTE, up) for minute, up in drawn]
    state = StoreState.from_pings(pings, profile)
    assert recent_hours(state, profile, AS_OF, SILENCE, hours=8) == by_minutes(pings, profile, 8)
