"""Silence: worked examples of its own, a brute-force reference, and the worker's view against batch."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.engine import (
    HOUR,
    MINUTE,
    SECOND,
    WEEK,
    Closure,
    HoursRow,
    StoreProfile,
    StoreState,
    store_status,
)
from streams.engine.silences import Silence, next_silence, silences_near, store_silences
from tests.helpers import instant
from tests.reference import reference_silences
from tests.streams.engine.strategies import (
    ANCHORS,
    ZONES,
    Drawn,
    rows_strategy,
    stores,
)

TOKYO_NIGHTS = StoreProfile("Asia/Tokyo", tuple(HoursRow(day, 22 * 3600, 6 * 3600) for day in range(7)))
NEW_YORK_MONDAYS = StoreProfile("America/New_York", (HoursRow(0, 9 * 3600, 17 * 3600),))


def test_a_store_falls_silent_the_silence_time_after_its_last_ping_when_open_then() -> None:
    # 17:00 UTC is 02:00 in Tokyo, inside the night's hours; two hours later it still is.
    ping = instant("2023-01-25T17:00:00")
    calendar = TOKYO_NIGHTS.calendar
    assert store_silences("B", [ping], calendar, 2 * HOUR, ping + 2 * HOUR - 1) == []
    assert store_silences("B", [ping], calendar, 2 * HOUR, ping + 2 * HOUR) == [
        Silence("B", ping + 2 * HOUR, ping, None)
    ]


def test_closed_hours_delay_falling_silent_to_the_next_opening() -> None:
    # 20:00 UTC is 05:00 in Tokyo; two hours later it is 07:00, closed until 22:00 local (13:00 UTC).
    ping = instant("2023-01-25T20:00:00")
    opening = instant("2023-01-26T13:00:00")
    calendar = TOKYO_NIGHTS.calendar
    assert next_silence(calendar, ping, 2 * HOUR) == opening
    assert store_silences("B", [ping], calendar, 2 * HOUR, opening - 1) == []
    assert store_silences("B", [ping], calendar, 2 * HOUR, opening) == [Silence("B", opening, ping, None)]
    # A ping before the opening is heard in time: no silence at all.
    assert store_silences("B", [ping, opening - MINUTE], calendar, 2 * HOUR, opening + HOUR) == []


def test_the_specifications_store_a_is_silent_between_its_pings_and_after_the_last() -> None:
    # Mondays 09:00-17:00 New York; pings 14:30, 16:30 and 19:00 UTC (09:30, 11:30, 14:00 local).
    times = [instant(t) for t in ("2023-01-23T14:30:00", "2023-01-23T16:30:00", "2023-01-23T19:00:00")]
    calendar = NEW_YORK_MONDAYS.calendar
    # Two hours after 14:30 comes the next ping itself: heard in time. After 16:30, silent from
    # 18:30 until the 19:00 ping; after 19:00, silent from 21:00 (16:00 local).
    assert store_silences("A", times, calendar, 2 * HOUR, instant("2023-01-23T21:30:00")) == [
        Silence("A", instant("2023-01-23T18:30:00"), times[1], times[2]),
        Silence("A", instant("2023-01-23T21:00:00"), times[2], None),
    ]
    # A last ping at 15:30 local leaves under two business hours that Monday: silent next Monday.
    late = instant("2023-01-23T20:30:00")
    assert next_silence(calendar, late, 2 * HOUR) == instant("2023-01-30T14:00:00")


def test_silences_outside_the_window_are_left_out() -> None:
    calendar = StoreProfile("UTC", ()).calendar
    times = [0, 3 * HOUR, 10 * WEEK]
    long_silence = Silence("s", 5 * HOUR, 3 * HOUR, 10 * WEEK)  # reaches into every window below
    assert store_silences("s", times, calendar, 2 * HOUR, 10 * WEEK + HOUR) == [long_silence]
    assert store_silences("s", times, calendar, 2 * HOUR, 10 * WEEK + 2 * HOUR) == [
        long_silence,
        Silence("s", 10 * WEEK + 2 * HOUR, 10 * WEEK, None),
    ]
    assert store_silences("s", times, calendar, 2 * HOUR, 11 * WEEK, window=11 * WEEK) == [
        Silence("s", 2 * HOUR, 0, 3 * HOUR),
        long_silence,
        Silence("s", 10 * WEEK + 2 * HOUR, 10 * WEEK, None),
    ]


minutes = st.integers(-9 * 1440, 2 * 1440)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    store=stores(),
    pings=st.lists(minutes, min_size=1, max_size=10),
    silence_minutes=st.integers(1, 3 * 1440),
    now_offset=st.integers(-1440, 3 * 1440),
)
def test_silences_equal_the_reference(
    store: Drawn, pings: list[int], silence_minutes: int, now_offset: int
) -> None:
    now = (store.anchor + now_offset) * MINUTE
    times = sorted({(store.anchor + offset) * MINUTE for offset in pings})
    silence = silence_minutes * MINUTE
    found = store_silences("s", times, store.profile.calendar, silence, now, window=30 * WEEK)
    seconds = [t // SECOND for t in times]
    expected = reference_silences(
        store.zone, store.rows, seconds, silence_minutes * 60, now // SECOND, store.closed
    )
    assert [(s.started_at // SECOND, s.last_ping // SECOND, _seconds(s.ended_at)) for s in found] == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    rows=rows_strategy,
    anchor=st.sampled_from(ANCHORS),
    pings=st.lists(minutes, min_size=1, max_size=10),
    seed=st.integers(0, 2**32),
)
def test_applying_the_changes_near_each_arriving_ping_gives_the_batch_silences(
    zone: str, rows: list[tuple[int, int, int]], anchor: int, pings: list[int], seed: int
) -> None:
    """Pings arrive shuffled; after each, the silences near it replace those it could have changed,
    and what is published then equals the silences of all pings, as the worker relies on."""
    profile = StoreProfile(zone, tuple(HoursRow(*row) for row in rows))
    calendar, silence = profile.calendar, 3 * HOUR
    arrivals = [(anchor + offset) * MINUTE for offset in pings]
    random.Random(seed).shuffle(arrivals)
    now = max(arrivals) + WEEK
    times: list[int] = []
    published: dict[int, Silence] = {}
    for ping in arrivals:
        before = silences_near("s", times, calendar, silence, ping, ping, now)
        times = sorted({*times, ping})
        after = silences_near("s", times, calendar, silence, ping, ping, now)
        for start in before:
            published.pop(start, None)
        published.update(after)
    expected = store_silences("s", times, calendar, silence, now, window=30 * WEEK)
    assert sorted(published.values()) == expected


def _seconds(instant_us: int | None) -> int | None:
    return None if instant_us is None else instant_us // SECOND


def test_a_lookup_says_since_when_a_store_is_silent() -> None:
    ping = instant("2023-01-25T20:00:00")  # 05:00 in Tokyo: silent at the 22:00 opening, 13:00 UTC
    state = StoreState.from_pings([(ping, True)], TOKYO_NIGHTS)
    opening = instant("2023-01-26T13:00:00")

    def silent_since(as_of: int, silence: int | None) -> int | None:
        status = store_status("B", state, TOKYO_NIGHTS, as_of, silence)
        assert status is not None
        return status.silent_since

    assert silent_since(opening - 1, 2 * HOUR) is None
    assert silent_since(opening, 2 * HOUR) == opening
    assert silent_since(opening, None) is None  # not asked


def test_a_store_closed_for_a_month_falls_silent_when_it_reopens_not_never() -> None:
    refit = Closure(date(2023, 1, 30), date(2023, 3, 5), "refit")  # five weeks, Monday to Sunday
    profile = StoreProfile("America/New_York", NEW_YORK_MONDAYS.hours, (refit,))
    last_ping = instant("2023-01-27T15:00:00")
    assert next_silence(profile.calendar, last_ping, 2 * HOUR) == instant("2023-03-06T14:00:00")  # 09:00
    assert next_silence(NEW_YORK_MONDAYS.calendar, last_ping, 2 * HOUR) == instant("2023-01-30T14:00:00")
