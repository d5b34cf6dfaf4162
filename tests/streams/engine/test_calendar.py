"""Schedules, zone timelines and business time between instants."""

from __future__ import annotations

import weakref
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.engine import (
    DAY,
    HOUR,
    MINUTE,
    SECOND,
    WEEK,
    HoursRow,
    StoreProfile,
    WeeklySchedule,
    zone_timeline,
)
from streams.engine.schedule import Interner
from tests.helpers import instant
from tests.reference import is_business
from tests.streams.engine.strategies import (
    Drawn,
    stores,
)


def test_no_rows_is_open_all_week() -> None:
    schedule = WeeklySchedule.from_rows([])
    assert schedule.always_open
    assert schedule.open_before(3 * WEEK + 5) == 3 * WEEK + 5


def test_overnight_row_spills_into_next_day_and_sunday_into_monday() -> None:
    schedule = WeeklySchedule.from_rows([HoursRow(6, 22 * 3600, 2 * 3600)])
    assert schedule.starts == (0, 6 * DAY + 22 * HOUR)
    assert schedule.ends == (2 * HOUR, WEEK)
    assert schedule.total == 4 * HOUR


def test_equal_start_and_end_is_a_full_day() -> None:
    schedule = WeeklySchedule.from_rows([HoursRow(2, 9 * 3600, 9 * 3600)])
    assert schedule.total == DAY
    assert schedule.starts == (2 * DAY + 9 * HOUR,)


def test_overlapping_and_touching_rows_count_once() -> None:
    rows = [
        HoursRow(0, 9 * 3600, 12 * 3600),
        HoursRow(0, 11 * 3600, 14 * 3600),
        HoursRow(0, 14 * 3600, 15 * 3600),
    ]
    schedule = WeeklySchedule.from_rows(rows)
    assert schedule.starts == (9 * HOUR,)
    assert schedule.total == 6 * HOUR


def test_zone_timeline_finds_clock_changes_to_the_second() -> None:
    timeline = zone_timeline("America/New_York")
    spring, autumn = instant("2023-03-12 07:00:00"), instant("2023-11-05 06:00:00")
    assert timeline.segment(spring - 1) == (-5 * HOUR, spring)
    assert timeline.segment(spring)[0] == -4 * HOUR
    assert timeline.segment(autumn - 1) == (-4 * HOUR, autumn)
    assert timeline.segment(autumn)[0] == -5 * HOUR


def test_repeated_autumn_hour_counts_twice_and_skipped_spring_hour_never() -> None:
    # Open 01:00-03:00 local on Sunday: the autumn Sunday has three real hours of it, the spring Sunday one.
    profile = StoreProfile("America/New_York", (HoursRow(6, 3600, 3 * 3600),))
    calendar = profile.calendar
    autumn_day = instant("2023-11-05 04:00:00"), instant("2023-11-05 12:00:00")
    spring_day = instant("2023-03-12 04:00:00"), instant("2023-03-12 12:00:00")
    assert calendar.business_between(*autumn_day) == 3 * HOUR
    assert calendar.business_between(*spring_day) == 1 * HOUR


def test_running_business_equals_pairwise_business() -> None:
    profile = StoreProfile("America/Chicago", (HoursRow(5, 20 * 3600, 3 * 3600), HoursRow(6, 0, 4 * 3600)))
    times = [instant("2023-11-03 00:00:00") + k * 37 * MINUTE for k in range(200)]
    readings = profile.calendar.running_business(times)
    assert readings == [profile.calendar.business_between(times[0], t) for t in times]


def test_business_in_windows_equals_business_between_for_every_end_asked_in_any_order() -> None:
    calendar = StoreProfile("America/Chicago", (HoursRow(5, 20 * 3600, 3 * 3600),)).calendar
    lengths = (HOUR, DAY, WEEK)
    # across the autumn clock change, more ends than are remembered, some asked again after others
    ends = [instant("2023-11-05 12:00:00") + k * 5 * HOUR for k in range(-12, 12)] * 2
    for end in ends[::3] + ends:
        windows = calendar.business_in_windows(end, lengths)
        assert windows == tuple(calendar.business_between(end - length, end) for length in lengths)
    assert calendar.business_in_windows(ends[0], (HOUR,)) == (
        calendar.business_between(ends[0] - HOUR, ends[0]),
    )


def test_unknown_or_missing_timezone_falls_back_to_chicago() -> None:
    assert StoreProfile(None).effective_timezone == "America/Chicago"
    unknown = StoreProfile("Mars/Olympus_Mons")
    assert unknown.effective_timezone == "America/Chicago"
    assert not unknown.timezone_known
    assert StoreProfile("Asia/Tokyo").timezone_known


@settings(max_examples=150, deadline=None)
@given(store=stores(), offset=st.integers(-3 * 1440, 3 * 1440), minutes=st.integers(0, 9 * 1440))
def test_business_intervals_and_first_business_agree_with_business_time(
    store: Drawn, offset: int, minutes: int
) -> None:
    zone, rows, closed = store.zone, store.rows, store.closed
    calendar = store.profile.calendar
    start = (store.anchor + offset) * MINUTE
    end = start + minutes * MINUTE
    intervals = calendar.business_intervals(start, end)
    assert sum(b - a for a, b in intervals) == calendar.business_between(start, end)
    assert all(start <= a < b <= end for a, b in intervals)
    assert all(b1 < a2 for (_, b1), (a2, _) in pairwise(intervals))  # disjoint, not touching
    assert calendar.first_business(start, end) == (intervals[0][0] if intervals else None)
    for a, b in intervals:  # inside is business by the wall-clock rule, just outside is not
        assert is_business(ZoneInfo(zone), rows, a // SECOND, closed)
        if b < end:
            assert not is_business(ZoneInfo(zone), rows, b // SECOND, closed)


def test_profiles_share_a_calendar_while_one_of_them_holds_it() -> None:
    rows = (HoursRow(2, 7 * 3600, 19 * 3600), HoursRow(3, 23 * 3600, 3600))
    first = StoreProfile("Pacific/Chatham", rows)
    second = StoreProfile("Pacific/Chatham", tuple(reversed(rows)))
    assert first.calendar is second.calendar
    assert StoreProfile("Asia/Kolkata", rows).calendar is not first.calendar
    held = weakref.ref(first.calendar)
    del first, second
    assert held() is None  # kept by no cache: what stays is what the caller's profiles hold


def test_profiles_share_equal_rows_and_an_interner_stays_within_its_limit() -> None:
    rows = (HoursRow(0, 9 * 3600, 17 * 3600), HoursRow(1, 9 * 3600, 17 * 3600))
    copies = tuple(HoursRow(*row) for row in rows)
    first, second = StoreProfile("America/Chicago", rows), StoreProfile("Asia/Kolkata", copies)
    assert all(a is b for a, b in zip(first.hours, second.hours, strict=True))
    intern: Interner[int] = Interner(limit=2)
    kept = [intern(int(text)) for text in ("1000000", "2000000")]
    assert intern(int("1000000")) is kept[0]
    late, again = int("3000000"), int("3000000")  # equal, two objects: the interner is full
    assert intern(late) is late and intern(again) is again
