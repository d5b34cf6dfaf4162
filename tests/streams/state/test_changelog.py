"""The state changelog records: what a worker recovers from them, and how many bytes they cost per ping."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.engine import DAY, DEFAULT_PROFILE, MINUTE, SECOND, AddResult, HoursRow, StoreProfile, StoreState
from streams.state.changelog import (
    CHUNK_PINGS,
    DELTA,
    MIN_SLOTS,
    SNAPSHOT,
    ChangelogError,
    LogPosition,
    Ping,
    Record,
    changelog_records,
    decode_record,
    local_value,
    parse_key,
    record_key,
    recovered,
    split_local,
)
from tests.helpers import instant

START = instant("2023-01-20T00:00:00")
STORE = str(uuid.UUID(int=7)).encode()
NIGHTS = StoreProfile("America/New_York", (HoursRow(4, 20 * 3600, 3 * 3600),))


class Writer:
    """One store as the agent handles it: pings applied, records written, the broker's log compacted."""

    def __init__(self, profile: StoreProfile = DEFAULT_PROFILE) -> None:
        self.profile = profile
        self.state = StoreState()
        self.position = LogPosition()
        self.epoch = 1
        self.log: dict[bytes, bytes] = {}
        self.bytes = 0

    def write(self, pings: list[Ping]) -> list[Record]:
        changed = [
            ping
            for ping in pings
            if self.state.add(*ping, self.profile) in (AddResult.ADDED, AddResult.CHANGED)
        ]
        self.position, records = changelog_records(STORE, self.state, changed, self.position, self.epoch)
        for key, value in records:
            self.log[key] = value
            self.bytes += len(key) + len(value)
        return records

    def recovered(self) -> StoreState:
        state, _ = split_local(recovered(None, map(decode_record, self.log.values()), self.profile))
        return state


def test_record_keys_carry_the_store_id_whatever_its_bytes() -> None:
    for store in (b"s", b"a/b\x00cd", STORE):
        for kind in (DELTA, SNAPSHOT):
            assert parse_key(record_key(store, kind, 9)) == (store, kind, 9)
    with pytest.raises(ChangelogError):
        parse_key(b"abc")
    with pytest.raises(ChangelogError):
        parse_key(STORE + b"x\x00\x00\x00\x01")


def test_first_write_in_a_run_is_a_snapshot_then_deltas_until_a_new_snapshot_pays_off() -> None:
    writer = Writer()
    kinds = [
        parse_key(key)[1]
        for i in range(3 * MIN_SLOTS)
        for key, _ in writer.write([(START + i * MINUTE, True)])
    ]
    assert kinds[0] == SNAPSHOT
    assert kinds[1 : MIN_SLOTS + 1] == [DELTA] * MIN_SLOTS
    assert kinds[MIN_SLOTS + 1] == SNAPSHOT
    assert writer.write([(START, True)]) == []  # a duplicate writes nothing
    writer.epoch = 2
    (record,) = writer.write([(START, True)])  # ... unless this run has not written the store yet
    assert parse_key(record[0])[1] == SNAPSHOT
    assert len(decode_record(record[1])[1]) == 3 * MIN_SLOTS


def test_a_large_state_is_snapshotted_in_chunks_under_the_broker_limit() -> None:
    pings = [(START + i * SECOND, i % 3 != 0) for i in range(2 * CHUNK_PINGS + 5)]
    state = StoreState.from_pings(pings, DEFAULT_PROFILE)
    position, records = changelog_records(STORE, state, pings, LogPosition(generation=4), epoch=1)
    assert position == LogPosition(5, 0, 1)
    assert [parse_key(key)[2] for key, _ in records] == [1, 3, 5]  # odd generation: odd chunk numbers
    assert max(len(key) + len(value) for key, value in records) < 512 * 1024
    assert sorted(ping for _, value in records for ping in decode_record(value)[1]) == pings


def test_bytes_per_ping_stay_bounded_for_a_dense_store_with_a_week_of_history() -> None:
    writer = Writer(NIGHTS)
    pings = [(START + i * MINUTE, i % 7 != 0) for i in range(int(8.5 * DAY // MINUTE))]
    for ping in pings:
        writer.write([ping])
    assert writer.bytes / len(pings) < 100
    assert writer.recovered() == StoreState.from_pings(pings, NIGHTS) == writer.state


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12 * DAY // (10 * MINUTE)), st.booleans()), min_size=1, max_size=400),
    st.lists(st.integers(1, 30), min_size=1, max_size=40),
    st.sets(st.integers(0, 60), max_size=6),
    st.integers(0, 4),
)
def test_recovery_from_the_compacted_log_gives_the_state_whatever_the_order_batches_and_crashes(
    raw: list[tuple[int, bool]], sizes: list[int], crashes: set[int], lost: int
) -> None:
    """A crash loses the records not yet flushed and processes their messages again in a new run."""
    pings = [(START + step * 10 * MINUTE, active) for step, active in raw]
    batches: list[list[Ping]] = []
    start = 0
    while start < len(pings):
        size = sizes[len(batches) % len(sizes)]
        batches.append(pings[start : start + size])
        start += size
    writer = Writer(NIGHTS)
    for number, batch in enumerate(batches):
        records = writer.write(batch)
        if number in crashes:
            for key, _ in records[len(records) - min(lost, len(records)) :]:
                writer.log.pop(key, None)  # never reached the broker
            writer.epoch += 1
            writer.write(batch)
    expected = StoreState.from_pings(pings, NIGHTS)
    assert writer.state == expected
    assert writer.recovered() == expected


def test_recovery_folds_records_into_what_the_worker_held() -> None:
    held = [(START + i * MINUTE, True) for i in range(10)]
    later = [(START + i * MINUTE, False) for i in range(5, 20)]
    local = local_value(StoreState.from_pings(held, DEFAULT_PROFILE), LogPosition(3, 7, 99))
    _, records = changelog_records(
        STORE, StoreState.from_pings(later, DEFAULT_PROFILE), later, LogPosition(5), 1
    )
    state, position = split_local(
        recovered(local, [decode_record(value) for _, value in records], DEFAULT_PROFILE)
    )
    assert state == StoreState.from_pings(held + later, DEFAULT_PROFILE)
    assert position == LogPosition(6, 0, 0)  # the next write in any run is a snapshot of a newer generation
