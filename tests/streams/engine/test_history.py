"""Daily history: the specification's worked example, and a brute-force reference across clock
changes and closures."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from streams.engine import DAY, HOUR, MINUTE, SECOND, StoreState
from streams.engine.history import day_figures, day_spans, frozen_days, local_day, store_history, utc_parts
from streams.engine.units import LATEST
from streams.engine.zones import zone_timeline
from tests.helpers import instant
from tests.reference import is_business, merge_pings, reference_history, status_at
from tests.streams.engine.strategies import (
    Drawn,
    profile_of,
    stores,
)
from tests.worked_examples import EXAMPLES


def _history(store_id: str) -> list[tuple[date, float, float, float, bool]]:
    example = next(e for e in EXAMPLES if e.store_id == store_id)
    profile = example.profile()
    state = StoreState.from_pings([(instant(at), s == "active") for at, s in example.pings], profile)
    return [
        (d.date, *d.minutes, d.closed) for d in store_history(state, profile, instant(example.as_of), 400)
    ]


def test_the_worked_example_with_and_without_its_closure() -> None:
    assert _history("A") == [(date(2023, 1, 23), 450.0, 300.0, 150.0, False)]
    assert _history("A-closed") == [(date(2023, 1, 23), 0.0, 0.0, 0.0, True)]


def test_a_date_is_its_local_day_whatever_the_clock_does() -> None:
    new_york = zone_timeline("America/New_York")
    spring = local_day(new_york, instant("2023-03-12T12:00:00"))
    assert sum(b - a for a, b in day_spans(new_york, spring)) == 23 * HOUR
    assert sum(b - a for a, b in day_spans(new_york, spring + 238)) == 25 * HOUR  # 5 November
    # Santiago moves its clocks at midnight: 2023-09-03 begins at 01:00 and lasts 23 hours.
    santiago = zone_timeline("America/Santiago")
    (span,) = day_spans(santiago, local_day(santiago, instant("2023-09-03T12:00:00")))
    assert span == (instant("2023-09-03T04:00:00"), instant("2023-09-04T03:00:00"))
    assert sum(b - a for a, b in day_spans(zone_timeline("UTC"), 19_000)) == DAY


def test_only_the_last_days_asked_for_are_given() -> None:
    profile = profile_of("UTC", [])
    first = instant("2023-01-01T12:00:00")
    state = StoreState.from_pings([(first, True), (first + 9 * DAY, False)], profile, retention=30 * DAY)
    found = store_history(state, profile, first + 9 * DAY + HOUR, 3)
    assert [d.date for d in found] == [date(2023, 1, 8), date(2023, 1, 9), date(2023, 1, 10)]
    assert [d.minutes for d in found] == [(1440.0, 1440.0, 0.0), (1440.0, 1440.0, 0.0), (780.0, 720.0, 60.0)]
    assert store_history(state, profile, first - 1, 3) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    store=stores(),
    pings=st.lists(st.tuples(st.integers(-4 * 1440, 2 * 1440), st.booleans()), min_size=1, max_size=10),
    now_offset=st.integers(-1440, 3 * 1440),
)
def test_history_equals_the_reference(store: Drawn, pings: list[tuple[int, bool]], now_offset: int) -> None:
    now = (store.anchor + now_offset) * MINUTE
    arrivals = [((store.anchor + offset) * MINUTE, active) for offset, active in pings]
    assume(any(at <= now for at, _ in arrivals))
    profile = store.profile
    state = StoreState.from_pings([p for p in arrivals if p[0] <= now], profile, retention=30 * DAY)
    found = store_history(state, profile, now, 400)
    seconds = [(at // SECOND, a) for at, a in arrivals]
    expected = reference_history(store.zone, store.rows, seconds, now // SECOND, store.closed)
    assert [(d.date, d.business // MINUTE, d.up // MINUTE) for d in found] == expected
    assert all(d.closed == any(a <= d.date <= b for a, b in store.closed) for d in found)


# A few pings in minutes around the drawn store's anchor, up to four days before it.
PINGS = st.lists(st.tuples(st.integers(-4 * 1440, 2 * 1440), st.booleans()), min_size=1, max_size=10)
EXAMPLES_60 = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _arrivals(store: Drawn, pings: list[tuple[int, bool]]) -> tuple[list[tuple[int, bool]], StoreState]:
    """The drawn pings as instants, and the state holding them all."""
    arrivals = [((store.anchor + offset) * MINUTE, active) for offset, active in pings]
    return arrivals, StoreState.from_pings(arrivals, store.profile, retention=30 * DAY)


@EXAMPLES_60
@given(
    store=stores(), pings=PINGS, span=st.tuples(st.integers(-5 * 1440, 2 * 1440), st.integers(0, 4 * 1440))
)
def test_utc_parts_split_business_and_up_time_at_utc_midnights(
    store: Drawn, pings: list[tuple[int, bool]], span: tuple[int, int]
) -> None:
    """What the fleet sums per UTC date, against one sample per minute."""
    profile = store.profile
    arrivals, state = _arrivals(store, pings)
    start = (store.anchor + span[0]) * MINUTE
    parts = utc_parts(state, profile, start, start + span[1] * MINUTE)
    zone, merged = ZoneInfo(store.zone), merge_pings([(at // SECOND, a) for at, a in arrivals])
    expected: dict[int, list[int]] = {}
    for minute in range(span[1]):
        instant_s = start // SECOND + minute * 60
        entry = expected.setdefault(instant_s // 86400, [0, 0])
        if is_business(zone, store.rows, instant_s, store.closed):
            entry[0] += 1
            entry[1] += status_at(merged, instant_s)
    assert [(p.utc_day, p.business // MINUTE, p.up // MINUTE) for p in parts] == [
        (day, business, up) for day, (business, up) in sorted(expected.items())
    ]


@EXAMPLES_60
@given(store=stores(), pings=PINGS, dates=st.tuples(st.integers(-5, 2), st.integers(0, 5)))
def test_frozen_dates_are_their_figures_and_utc_parts_computed_one_by_one(
    store: Drawn, pings: list[tuple[int, bool]], dates: tuple[int, int]
) -> None:
    """Frozen dates share their cuts' readings; each must equal its own date's arithmetic."""
    profile = store.profile
    _, state = _arrivals(store, pings)
    zone = profile.calendar.zone
    first = local_day(zone, store.anchor * MINUTE) + dates[0]
    frozen = frozen_days(state, profile, first, first + dates[1])
    assert [day.figures for day in frozen] == [
        day_figures(state, profile, day, LATEST - 1) for day in range(first, first + dates[1])
    ]
    assert [list(day.parts) for day in frozen] == [
        [part for a, b in day_spans(zone, day) for part in utc_parts(state, profile, a, b)]
        for day in range(first, first + dates[1])
    ]


@EXAMPLES_60
@given(store=stores(), pings=PINGS, offsets=st.lists(st.integers(-11 * 1440, 3 * 1440), max_size=12))
def test_active_at_reads_what_active_before_and_business_between_read_one_instant_at_a_time(
    store: Drawn, pings: list[tuple[int, bool]], offsets: list[int]
) -> None:
    """Instants before the first ping, on pings, between and after them, across clock changes."""
    profile = store.profile
    _, state = _arrivals(store, pings)
    instants = sorted({(store.anchor + offset) * MINUTE for offset in offsets})
    business, up = state.active_at(profile, instants)
    assert up == [state.active_before(profile, at) for at in instants]
    assert [b - business[0] for b in business] == [
        profile.calendar.business_between(instants[0], at) for at in instants
    ]
