"""The worker's history keeping over a dict for a table: a stream of messages, as the agent applies
them, gives the history that all the pings give at once."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.engine import DAY, HOUR, MINUTE, StoreState
from streams.engine.history import (
    HISTORY_MARGIN,
    DayFigures,
    FrozenDay,
    UtcPart,
    day_start,
    encode_dates,
    first_open_day,
    local_day,
    store_history,
)
from streams.history import BLOCK_DATES, HistoryKeeping, block_key, frozen_in
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
    for day in range(24):
        store.message([(day_one + day * DAY, day % 3 != 0)], profile)
    # The last ping is 2023-01-24 12:00: dates before 16 January (8 days earlier) are frozen, and
    # kept while their record could hold one of the last five (11 to 15 January). 3 January starts
    # a block: the record of the block before held 1 and 2 January and could reach 10 January.
    assert held_dates(store) == [f"2023-01-{day:02d}" for day in range(3, 16)]
    assert (local_day(profile.calendar.zone, instant("2023-01-03T00:00:00"))) % BLOCK_DATES == 0
    zone = profile.calendar.zone
    until = day_start(zone, first_open_day(zone, store.state.times[-1], RETENTION))
    assert until == instant("2023-01-16T00:00:00")
    store.message([(until - 1, False), (until, False)], profile)
    assert store.refused == [(until - 1, False)]
    # An answer holds the last five dates at most, however many are asked for.
    history = store.keeping.history(b"s", store.state, profile, day_one + 23 * DAY, 30)
    assert [d.date.isoformat() for d in history] == [f"2023-01-{day}" for day in range(20, 25)]
    assert block_key(b"s", 1) == b"s\x00\x01\x00\x00\x00\x01"


def held_dates(store: Store) -> list[str]:
    """The dates the store's history records hold, as the table has them."""
    return [day.figures.date.isoformat() for day in held(store).values()]


def held(store: Store) -> dict[int, FrozenDay]:
    """Every date the store's history records hold, by day number, oldest first."""
    records = sorted((int.from_bytes(key[-4:], "big"), value) for key, value in store.table.items())
    found = frozen_in(range(0, 1 << 20), records)
    return dict(sorted(found.items()))


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
    assert shuffled.refused == [] and held(in_order) == held(shuffled)
    assert shuffled.keeping.history(b"s", shuffled.state, profile, now, 30) == in_order.keeping.history(
        b"s", in_order.state, profile, now, 30
    )


def test_a_week_of_dates_begun_mid_block_is_one_record_written_and_none_read() -> None:
    """A replay's message freezes about 8 dates, mostly from the middle of a block on: the record of
    its first date's block takes them all, and the one before it (holding the last message's run)
    is neither read nor rewritten."""
    profile = profile_of("America/New_York", [(day, 9 * 3600, 21 * 3600) for day in range(7)])
    store, first = Store(), instant("2023-01-05T00:00:00")  # day 19362, mid-block
    found: list[bytes] = []
    written: list[bytes] = []
    read, write = store.keeping.read, store.keeping.write

    def reading(key: bytes) -> bytes | None:
        value = read(key)
        if value is not None:
            found.append(key)
        return value

    def writing(key: bytes, value: bytes | None) -> None:
        written.append(key)
        write(key, value)

    store.keeping.read, store.keeping.write = reading, writing
    pings = [(first + hour * HOUR, hour % 5 != 0) for hour in range(48 * 24)]
    for week in range(6):
        written.clear()
        store.message(pings[week * 8 * 24 : (week + 1) * 8 * 24], profile)
        assert len(written) == (week > 0)  # the first message freezes no date yet
    assert found == []
    now = pings[-1][0]
    everything = StoreState.from_pings(pings, profile, retention=400 * DAY)
    assert store.keeping.history(b"s", store.state, profile, now, 60) == store_history(
        everything, profile, now, 60
    )


def test_a_date_two_records_hold_is_read_from_the_later_one() -> None:
    """A message applied again under another zone may begin its run a date earlier or later: the
    date then lies in two records, and the later record's figures are the ones answered."""
    block = 2420

    def dates(first: int, count: int, up: int) -> list[FrozenDay]:
        return [
            FrozenDay(DayFigures(day, DAY, up, False), (UtcPart(day, DAY, up),))
            for day in range(first, first + count)
        ]

    # The earlier record's run reaches into the block, where the later record's begins.
    earlier = encode_dates(dates(block * BLOCK_DATES - 2, 6, up=HOUR), (block - 1) * BLOCK_DATES)
    later = encode_dates(dates(block * BLOCK_DATES + 1, 3, up=2 * HOUR), block * BLOCK_DATES)
    days = range(block * BLOCK_DATES - 1, block * BLOCK_DATES + 5)
    found = frozen_in(days, [(block - 1, earlier), (block, later), (block + 1, None)])
    assert {day: frozen.figures.up for day, frozen in found.items()} == {
        block * BLOCK_DATES - 1: HOUR,
        block * BLOCK_DATES: HOUR,
        block * BLOCK_DATES + 1: 2 * HOUR,
        block * BLOCK_DATES + 2: 2 * HOUR,
        block * BLOCK_DATES + 3: 2 * HOUR,
    }
