"""The worker's history keeping over a dict for a table: a stream of messages, as the agent applies
them, gives the history that all the pings give at once."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.engine import DAY, HOUR, MINUTE, StoreState
from streams.engine.history import HISTORY_MARGIN, day_start, first_open_day, local_day, store_history
from streams.history import BLOCK_DATES, HistoryKeeping, block_key, decode_block
from tests.helpers import instant
from tests.streams.engine.strategies import (
    ZONES,
    closed_dates,
    closures_strategy,
    profile_of,
    rows_strategy,
)

RETENTION = 8 * DAY
START = instant("2023-03-01T00:00:00")  # both US clock changes of 2023 lie within 250 days of it


class Store:
    """One store's state and history table, fed messages the way the pings agent feeds them."""

    def __init__(self, days: int = 400) -> None:
        self.table: dict[bytes, bytes] = {}
        self.keeping = HistoryKeeping(RETENTION, days, self.table.get, self._write)
        self.state = StoreState()
        self.refused: list[tuple[int, bool]] = []

    def _write(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            del self.table[key]
        else:
            self.table[key] = value

    def message(self, pings: list[tuple[int, bool]], profile) -> None:  # type: ignore[no-untyped-def]
        late = self.keeping.too_late(self.state, profile, pings)
        self.refused += late
        before = self.state.latest
        for at, active in pings:
            if (at, active) not in late:
                self.state.add(at, active, profile, RETENTION + HISTORY_MARGIN, prune=False)
        self.keeping.freeze(b"s", self.state, profile, before)
        self.state.prune(RETENTION + HISTORY_MARGIN)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    rows=rows_strategy,
    gaps=st.lists(st.tuples(st.integers(1, 3 * 24 * 60), st.booleans()), min_size=1, max_size=60),
    per_message=st.integers(1, 5),
    start_day=st.integers(0, 250),
    closures=closures_strategy,
)
def test_messages_in_time_order_give_the_history_of_all_their_pings(
    zone: str,
    rows: list[tuple[int, int, int]],
    gaps: list[tuple[int, bool]],
    per_message: int,
    start_day: int,
    closures: list[tuple[int, int]],
) -> None:
    """Over weeks, frozen dates (read back from the table) and open ones (from the state) together
    equal the history of every ping kept, across clock changes and closures."""
    first = START + start_day * DAY
    profile = profile_of(zone, rows, closed_dates(first // MINUTE + 10 * 1440, closures))
    pings, at = [], first
    for gap, active in gaps:
        pings.append((at, active))
        at += gap * MINUTE
    store = Store()
    for i in range(0, len(pings), per_message):
        store.message(pings[i : i + per_message], profile)
    now = pings[-1][0] + 5 * HOUR
    everything = StoreState.from_pings(pings, profile, retention=400 * DAY)
    assert store.refused == []
    assert store.keeping.history(b"s", store.state, profile, now, 400) == store_history(
        everything, profile, now, 400
    )


def test_a_ping_on_a_frozen_date_is_refused_and_old_dates_are_deleted() -> None:
    profile = profile_of("UTC", [])
    store = Store(days=5)
    day_one = instant("2023-01-01T12:00:00")
    for day in range(20):
        store.message([(day_one + day * DAY, day % 3 != 0)], profile)
    # The last ping is 2023-01-20 12:00: dates before 12 January (8 days earlier) are frozen, and
    # kept while their block holds one of the last five: 3 to 11 January, a block from the 3rd on.
    assert held_dates(store) == [f"2023-01-{day:02d}" for day in range(3, 12)]
    assert (local_day(profile.calendar.zone, instant("2023-01-03T00:00:00"))) % BLOCK_DATES == 0
    zone = profile.calendar.zone
    until = day_start(zone, first_open_day(zone, store.state.times[-1], RETENTION))
    assert until == instant("2023-01-12T00:00:00")
    store.message([(until - 1, False), (until, False)], profile)
    assert store.refused == [(until - 1, False)]
    # An answer holds the last five dates at most, however many are asked for.
    history = store.keeping.history(b"s", store.state, profile, day_one + 19 * DAY, 30)
    assert [d.date.isoformat() for d in history] == [f"2023-01-{day}" for day in range(16, 21)]
    assert block_key(b"s", 1) == b"s\x00\x01\x00\x00\x00\x01"


def held_dates(store: Store) -> list[str]:
    """The dates the store's history records hold, as the table has them."""
    blocks = ((int.from_bytes(key[-4:], "big"), value) for key, value in store.table.items())
    return sorted(
        day.figures.date.isoformat() for block, value in blocks for day in decode_block(block, value)
    )


def test_a_message_applied_twice_freezes_its_dates_once() -> None:
    """A worker may stop after a message's history record reached its changelog and before its state
    did: its replacement applies the message again to the state before it."""
    profile = profile_of("UTC", [])
    store, day_one = Store(), instant("2023-01-01T12:00:00")
    for day in range(12):
        store.message([(day_one + day * DAY, True)], profile)
    before, table_before = StoreState.decode(store.state.encode()), dict(store.table)
    week_on = [(day_one + 12 * DAY + hour * HOUR, hour % 2 == 0) for hour in range(7 * 24)]
    store.message(week_on, profile)
    once, history = dict(store.table), store.keeping.history(b"s", store.state, profile, week_on[-1][0], 30)
    assert once != table_before
    store.state = before  # the state's changelog record was lost, the history's was not
    store.message(week_on, profile)
    assert store.table == once
    assert store.keeping.history(b"s", store.state, profile, week_on[-1][0], 30) == history


def test_shuffled_pings_inside_the_open_dates_give_the_same_history() -> None:
    profile = profile_of("America/New_York", [(day, 9 * 3600, 21 * 3600) for day in range(7)])
    rng = random.Random(7)
    base = instant("2023-11-01T00:00:00")
    early = [(base + h * HOUR, rng.random() < 0.8) for h in range(10 * 24)]
    late = [(base + h * HOUR + 30 * MINUTE, rng.random() < 0.8) for h in range(10 * 24, 14 * 24)]
    in_order, shuffled = Store(), Store()
    for ping in early:
        in_order.message([ping], profile)
        shuffled.message([ping], profile)
    for ping in late:
        in_order.message([ping], profile)
    rng.shuffle(late)
    for ping in late:
        shuffled.message([ping], profile)
    now = base + 14 * DAY
    assert shuffled.refused == [] and in_order.table == shuffled.table
    assert shuffled.keeping.history(b"s", shuffled.state, profile, now, 30) == in_order.keeping.history(
        b"s", in_order.state, profile, now, 30
    )
