"""Property-based tests of the engine against the brute-force reference and against itself."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from streams.engine import DAY, MINUTE, SECOND, StoreState, uptime_row
from tests.reference import reference_row
from tests.streams.engine.strategies import (
    ANCHORS,
    ZONES,
    Drawn,
    closed_dates,
    closures_strategy,
    ping_strategy,
    profile_of,
    rows_strategy,
    stores,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    store=stores(),
    pings=st.lists(ping_strategy, min_size=1, max_size=12),
    as_of_offset=st.integers(-1440, 2 * 1440),
)
def test_report_row_equals_reference(store: Drawn, pings: list[tuple[int, bool]], as_of_offset: int) -> None:
    as_of_minute = store.anchor + as_of_offset
    minutes = [(store.anchor + offset, active) for offset, active in pings]
    kept = [(m * MINUTE, active) for m, active in minutes if m <= as_of_minute]
    assume(kept)
    profile = store.profile
    row = uptime_row("s", StoreState.from_pings(kept, profile), profile, as_of_minute * MINUTE)
    assert row is not None
    minutes_s = [(m * 60, a) for m, a in minutes]
    expected = reference_row(store.zone, store.rows, minutes_s, as_of_minute * 60, store.closed)
    assert row[1:] == pytest.approx(expected, abs=0.006)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    rows=rows_strategy,
    anchor=st.sampled_from(ANCHORS),
    pings=st.lists(ping_strategy, min_size=1, max_size=12),
    seed=st.integers(0, 2**32),
    as_of_back=st.integers(0, 1440),
)
def test_incremental_state_answers_inside_its_horizon(
    zone: str,
    rows: list[tuple[int, int, int]],
    anchor: int,
    pings: list[tuple[int, bool]],
    seed: int,
    as_of_back: int,
) -> None:
    """Pings arrive shuffled and duplicated, the state prunes, and any as_of in the horizon is exact."""
    profile = profile_of(zone, rows)
    arrivals = [((anchor + offset) * MINUTE, active) for offset, active in pings]
    arrivals += random.Random(seed).sample(arrivals, len(arrivals) // 2)
    random.Random(seed).shuffle(arrivals)
    state = StoreState()
    for at, active in arrivals:
        state.add(at, active, profile)
    latest = max(at for at, _ in arrivals)
    as_of = latest - as_of_back * MINUTE
    assume(min(at for at, _ in arrivals) <= as_of)
    row = uptime_row("s", state, profile, as_of)
    assert row is not None
    expected = reference_row(zone, rows, [(at // SECOND, a) for at, a in arrivals], as_of // SECOND)
    assert row[1:] == pytest.approx(expected, abs=0.006)


@settings(max_examples=200, deadline=None)
@given(
    rows_before=rows_strategy,
    rows_after=rows_strategy,
    zone=st.sampled_from(ZONES),
    pings=st.lists(st.tuples(st.integers(0, 20 * 24 * 60), st.booleans()), min_size=1, max_size=40),
    seed=st.integers(0, 2**32),
    switch=st.integers(0, 40),
    retention_days=st.integers(1, 9),
    closures=closures_strategy,
)
def test_incremental_equals_batch(
    rows_before: list[tuple[int, int, int]],
    rows_after: list[tuple[int, int, int]],
    zone: str,
    pings: list[tuple[int, bool]],
    seed: int,
    switch: int,
    retention_days: int,
    closures: list[tuple[int, int]],
) -> None:
    """Any arrival order, duplicates and a late profile change (new hours and closures) give the
    batch-built state, to the byte."""
    rng = random.Random(seed)
    base = ANCHORS[0] * MINUTE
    arrivals = [(base + minute * MINUTE + rng.randrange(SECOND), active) for minute, active in pings]
    arrivals += [rng.choice(arrivals) for _ in range(len(arrivals) // 3)]
    arrivals += [(at, not active) for at, active in rng.sample(arrivals, len(arrivals) // 4)]
    rng.shuffle(arrivals)
    retention = retention_days * DAY
    first, final = (
        profile_of(zone, rows_before),
        profile_of(zone, rows_after, closed_dates(ANCHORS[0] + 10 * 1440, closures)),
    )
    state = StoreState()
    for i, (at, active) in enumerate(arrivals):
        state.add(at, active, first if i < switch else final, retention)
    state.refresh(final)
    batch = StoreState.from_pings(arrivals, final, retention)
    assert state.encode() == batch.encode()
    assert StoreState.decode(state.encode()) == state


@settings(max_examples=200, deadline=None)
@given(
    rows=rows_strategy,
    zone=st.sampled_from(ZONES),
    before=st.lists(st.tuples(st.integers(0, 12 * 24 * 60), st.booleans()), max_size=30),
    message=st.lists(st.tuples(st.integers(0, 16 * 24 * 60), st.booleans()), min_size=1, max_size=30),
    in_order=st.booleans(),
    at_latest=st.booleans(),
    retention_days=st.integers(1, 9),
    prune=st.booleans(),
    closures=closures_strategy,
)
def test_adding_a_message_at_once_equals_adding_its_pings_in_turn(
    rows: list[tuple[int, int, int]],
    zone: str,
    before: list[tuple[int, bool]],
    message: list[tuple[int, bool]],
    in_order: bool,
    at_latest: bool,
    retention_days: int,
    prune: bool,
    closures: list[tuple[int, int]],
) -> None:
    """Same state to the byte and same result per ping, whether the message is in time order after
    the latest kept ping (appended at once, equal instants included) or anywhere (one by one)."""
    profile = profile_of(zone, rows, closed_dates(ANCHORS[0] + 10 * 1440, closures))
    base, retention = ANCHORS[0] * MINUTE, retention_days * DAY
    kept = [(base + minute * MINUTE, active) for minute, active in before]
    pings = [(base + minute * MINUTE, active) for minute, active in message]
    if in_order:
        latest = max((at for at, _ in kept), default=base)
        pings = sorted(((latest + at - base, active) for at, active in pings), key=lambda ping: ping[0])
        if at_latest:  # one at the latest kept instant: a duplicate or a restatement
            pings[0] = (latest, pings[0][1])
    one_by_one, at_once = StoreState(), StoreState()
    for at, active in kept:
        one_by_one.add(at, active, profile, retention)
        at_once.add(at, active, profile, retention)
    expected = [one_by_one.add(at, active, profile, retention, prune=prune) for at, active in pings]
    assert at_once.add_all(pings, profile, retention, prune=prune) == expected
    assert at_once.encode() == one_by_one.encode()
