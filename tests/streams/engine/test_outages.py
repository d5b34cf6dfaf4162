"""Outages: the specification's worked ones, a brute-force reference, and incremental against batch."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from streams.engine import MINUTE, SECOND, WEEK, StoreProfile, StoreState
from streams.engine.episodes import EpisodeEvent, episode_changes
from streams.engine.outages import Outage, may_change_outages, outages_near, store_outages
from tests.helpers import instant
from tests.reference import reference_outages
from tests.streams.engine.strategies import (
    ANCHORS,
    ZONES,
    Drawn,
    profile_of,
    rows_strategy,
    stores,
)
from tests.worked_examples import EXAMPLES, Example


def _example_state(example: Example) -> tuple[StoreState, StoreProfile]:
    profile = example.profile()
    state = StoreState()
    for at, status in example.pings:
        state.add(instant(at), status == "active", profile)
    return state, profile


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.store_id)
def test_worked_outages(example: Example) -> None:
    state, profile = _example_state(example)
    found = store_outages(example.store_id, state, profile, instant(example.as_of))
    expected = [
        (instant(start), None if end is None else instant(end), instant(business), minutes)
        for start, end, business, minutes in example.outages
    ]
    assert [
        (o.started_at, o.ended_at, o.business_started_at, o.business_downtime_minutes) for o in found
    ] == expected
    assert not any(o.began_before_window for o in found)
    assert sum(o.business_downtime_minutes for o in found) / 60 == pytest.approx(
        example.expected[-1], abs=0.01
    )


def test_an_outage_already_going_on_at_the_window_start_begins_there() -> None:
    profile = profile_of("UTC", [])
    state = StoreState.from_pings([(0, False), (10 * 86400 * SECOND, True)], profile)
    as_of = 12 * 86400 * SECOND
    (outage,) = store_outages("s", state, profile, as_of)
    assert outage.began_before_window and outage.started_at == as_of - WEEK
    assert outage.business_downtime == 10 * 86400 * SECOND - (as_of - WEEK)


def test_an_inactive_ping_in_business_hours_opens_an_outage_at_once() -> None:
    profile = profile_of("UTC", [])
    state = StoreState.from_pings([(0, True), (MINUTE, False)], profile)
    (outage,) = store_outages("s", state, profile, MINUTE)
    assert outage.is_open and outage.business_downtime == 0 and outage.business_started_at == MINUTE


def test_an_outage_entirely_in_closed_hours_is_not_listed() -> None:
    profile = profile_of("UTC", [(0, 9 * 3600, 17 * 3600)])
    monday = instant("2023-01-23 00:00")
    state = StoreState.from_pings([(monday, False), (monday + 8 * 3600 * SECOND, True)], profile)
    assert store_outages("s", state, profile, monday + 20 * 3600 * SECOND) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    store=stores(),
    pings=st.lists(st.tuples(st.integers(-9 * 1440, 2 * 1440), st.booleans()), min_size=1, max_size=14),
    as_of_offset=st.integers(-1440, 2 * 1440),
)
def test_outages_equal_reference_and_add_up_to_the_weeks_downtime(
    store: Drawn, pings: list[tuple[int, bool]], as_of_offset: int
) -> None:
    as_of_minute = store.anchor + as_of_offset
    arrivals = [((store.anchor + offset) * MINUTE, active) for offset, active in pings]
    kept = [(at, active) for at, active in arrivals if at <= as_of_minute * MINUTE]
    assume(kept)
    profile = store.profile
    as_of = as_of_minute * MINUTE
    state = StoreState.from_pings(arrivals, profile, retention=30 * 86400 * SECOND)
    found = store_outages("s", state, profile, as_of)
    seconds = [(at // SECOND, a) for at, a in arrivals]
    expected = reference_outages(store.zone, store.rows, seconds, as_of // SECOND, store.closed)
    assert [
        (
            o.started_at // SECOND,
            None if o.ended_at is None else o.ended_at // SECOND,
            o.began_before_window,
            o.business_started_at // SECOND,
            o.business_downtime // MINUTE,
        )
        for o in found
    ] == expected
    window_start = as_of - WEEK
    downtime = profile.calendar.business_between(window_start, as_of) - (
        state.active_before(profile, as_of) - state.active_before(profile, window_start)
    )
    assert sum(o.business_downtime for o in found) == downtime


def _published(
    arrivals: list[list[tuple[int, bool]]], profile: StoreProfile
) -> tuple[dict[int, Outage], StoreState]:
    """Outages as a consumer of the changes would hold them, after each batch of ``arrivals``."""
    state = StoreState()
    held: dict[int, Outage] = {}
    for batch in arrivals:
        if not may_change_outages(state, batch):  # as the worker skips deriving
            for at, active in batch:
                state.add(at, active, profile)
            continue
        low, high = min(at for at, _ in batch), max(at for at, _ in batch)
        before = outages_near("s", state, profile, low, high)
        for at, active in batch:
            state.add(at, active, profile)
        after = outages_near("s", state, profile, low, high)
        for change in episode_changes(before, after):
            start = change.episode.started_at
            if change.event is EpisodeEvent.RETRACTED:
                assert held.pop(start) == change.episode
            else:
                old = held.get(start)
                # What a notifier compares with: the outage as last published while open.
                assert change.was_open == (old if old is not None and old.is_open else None)
                if change.event is EpisodeEvent.UPDATED:
                    assert old is not None
                elif change.event is EpisodeEvent.OPENED:
                    assert old is None or not old.is_open
                else:
                    assert old is None or old.is_open
                held[start] = change.episode
    return held, state


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    rows=rows_strategy,
    pings=st.lists(st.tuples(st.integers(0, 6 * 24 * 60), st.booleans()), min_size=1, max_size=40),
    seed=st.integers(0, 2**32),
)
def test_incremental_outages_equal_a_batch_derivation(
    zone: str, rows: list[tuple[int, int, int]], pings: list[tuple[int, bool]], seed: int
) -> None:
    """Pings in any order, in batches, duplicated and conflicting: the changes add up to the batch result."""
    rng = random.Random(seed)
    base = ANCHORS[1] * MINUTE
    arrivals = [(base + minute * MINUTE, active) for minute, active in pings]
    arrivals += [rng.choice(arrivals) for _ in range(len(arrivals) // 3)]
    arrivals += [(at, not active) for at, active in rng.sample(arrivals, len(arrivals) // 4)]
    rng.shuffle(arrivals)
    batches: list[list[tuple[int, bool]]] = []
    while arrivals:
        size = rng.randint(1, 4)
        batches.append(arrivals[:size])
        arrivals = arrivals[size:]
    profile = profile_of(zone, rows)
    held, state = _published(batches, profile)
    batch = StoreState.from_pings(state.pings(), profile)
    assert held == outages_near("s", batch, profile, batch.times[0], batch.times[-1])


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    rows=rows_strategy,
    earlier=st.lists(st.tuples(st.integers(0, 3 * 24 * 60), st.booleans()), max_size=30),
    later=st.lists(st.tuples(st.integers(-120, 3 * 24 * 60), st.booleans()), min_size=1, max_size=8),
    all_up=st.booleans(),
)
def test_pings_that_cannot_change_an_outage_leave_every_outage_as_it_was(
    zone: str,
    rows: list[tuple[int, int, int]],
    earlier: list[tuple[int, bool]],
    later: list[tuple[int, bool]],
    all_up: bool,
) -> None:
    profile = profile_of(zone, rows)
    base = ANCHORS[1] * MINUTE
    state = StoreState.from_pings([(base + minute * MINUTE, active) for minute, active in earlier], profile)
    latest = state.latest if state.latest is not None else base
    batch = [(latest + minute * MINUTE, active or all_up) for minute, active in later]
    unchanged = not may_change_outages(state, batch)
    if unchanged:
        assert all(active for _, active in batch)
        assert not state.times or (state.active[-1] and min(at for at, _ in batch) > latest)
    span = (base - WEEK, latest + WEEK)
    before = outages_near("s", state, profile, *span)
    for at, active in batch:
        state.add(at, active, profile)
    if unchanged:
        assert outages_near("s", state, profile, *span) == before


def test_a_late_active_ping_splits_an_outage_and_a_conflicting_one_cancels_its_close() -> None:
    profile = profile_of("UTC", [])
    hour = 3600 * SECOND
    held, _ = _published([[(0, True)], [(hour, False)], [(4 * hour, False)], [(6 * hour, True)]], profile)
    assert [(o.started_at, o.ended_at) for o in held.values()] == [(hour, 6 * hour)]
    state = StoreState.from_pings([(0, True), (hour, False), (4 * hour, False), (6 * hour, True)], profile)
    before = outages_near("s", state, profile, 2 * hour, 2 * hour)
    state.add(2 * hour, True, profile)
    changes = episode_changes(before, outages_near("s", state, profile, 2 * hour, 2 * hour))
    assert [(c.event, c.episode.started_at, c.episode.ended_at) for c in changes] == [
        (EpisodeEvent.UPDATED, hour, 2 * hour),
        (EpisodeEvent.CLOSED, 4 * hour, 6 * hour),
    ]
    before = outages_near("s", state, profile, 2 * hour, 2 * hour)
    state.add(2 * hour, False, profile)  # inactive wins at one instant: the split is undone
    changes = episode_changes(before, outages_near("s", state, profile, 2 * hour, 2 * hour))
    assert [(c.event, c.episode.started_at, c.episode.ended_at) for c in changes] == [
        (EpisodeEvent.RETRACTED, 4 * hour, 6 * hour),
        (EpisodeEvent.UPDATED, hour, 6 * hour),
    ]
