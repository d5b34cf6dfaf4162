"""Report rows from raw table bytes, and the child process that computes them."""

from __future__ import annotations

import asyncio
import io
import os
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path

import pytest
from rocksdict import Rdict

from streams.contract.messages import encode_profile
from streams.engine import HOUR, HoursRow, StoreProfile, StoreState, UptimeRow, uptime_row, write_report_csv
from streams.gathering import (
    RawStore,
    ReportProcesses,
    SideProcess,
    StoresHeldTwice,
    merged_report,
    of_cut,
    reads,
    report_part_at,
    rows_at,
    shares_of,
)
from streams.state.cut import Cut
from tests.helpers import instant
from tests.streams.gathering.test_secondaries import primary

START = instant("2023-01-23 08:00:00")  # a Monday
KOLKATA = StoreProfile("Asia/Kolkata", (HoursRow(0, 9 * 3600, 17 * 3600),))


def raw_stores() -> tuple[list[RawStore], dict[str, tuple[StoreState, StoreProfile]]]:
    """Three stores in table order (not id order): one with a profile, one on the default, one late."""
    states = {}
    for name, profile, first in (("b", KOLKATA, START), ("a", None, START), ("c", None, START + 30 * HOUR)):
        state = StoreState()
        for hour in range(40):
            state.add(first + hour * HOUR, hour % 3 != 0, profile or StoreProfile(None))
        states[name] = (state, profile)
    stores = [
        (name.encode(), state.encode(), None if profile is None else encode_profile(profile))
        for name, (state, profile) in states.items()
    ]
    return stores, {name: (state, profile or StoreProfile(None)) for name, (state, profile) in states.items()}


def test_rows_from_raw_bytes_equal_the_engine_rows_sorted_and_only_for_stores_seen_by_as_of() -> None:
    stores, decoded = raw_stores()
    as_of = START + 20 * HOUR  # store c has no ping yet
    expected = [uptime_row(name, *decoded[name], as_of) for name in ("a", "b")]
    assert rows_at(stores, as_of) == expected


def test_a_report_merged_from_parts_is_the_csv_of_all_their_rows_and_refuses_a_store_held_twice() -> None:
    rows = [
        UptimeRow(store, 60.0, 1.0, 2.5, 0.0, 0.5, 0.0)
        for store in ("a", "b,with a comma", 'c"quoted', "d", "e")
    ]
    expected = io.StringIO()
    assert write_report_csv(rows, expected) == 5

    def lines(part: list[UptimeRow]) -> str:
        return _csv(part).split("\n", 1)[1]  # without the header

    assert merged_report([lines(rows[3:]), lines(rows[:1]), "", lines(rows[1:3])]) == (expected.getvalue(), 5)
    with pytest.raises(StoresHeldTwice, match="stores held in two partitions: a, d"):
        merged_report([lines(rows[:4]), lines([rows[0], rows[3]])])


def _csv(rows: list[UptimeRow]) -> str:
    buffer = io.StringIO()
    write_report_csv(rows, buffer)
    return buffer.getvalue()


def test_side_process_gives_the_same_rows_and_survives_its_child_dying() -> None:
    stores, _ = raw_stores()
    as_of = START + 45 * HOUR

    async def scenario() -> None:
        side = SideProcess()
        try:
            await side.start()
            assert await side.run(rows_at, stores, as_of) == rows_at(stores, as_of)
            with pytest.raises(BrokenProcessPool):
                await side.run(os._exit, 1)  # the child dies mid-task, as when it runs out of memory
            assert await side.run(rows_at, stores, as_of) == rows_at(stores, as_of)
        finally:
            side.close()

    asyncio.run(scenario())


HIDDEN = b"__offset__"  # the worker's bookkeeping key in each database


def _write(states: Rdict, profiles: Rdict, stores: list[RawStore]) -> None:
    """``stores`` into a partition's states and profiles databases, as the worker writes them."""
    for key, state, profile in stores:
        states[key] = state
        if profile is not None:
            profiles[key] = profile
    states[HIDDEN] = profiles[HIDDEN] = b"42"


def test_a_cut_read_by_the_report_process_gives_the_rows_of_all_its_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores, _ = raw_stores()
    many = [
        (f"{key.decode()}{n:03d}".encode(), state, profile)
        for n in range(7)
        for key, state, profile in stores
    ]
    partitions, primaries = [], []
    for number, held in enumerate((many[:10], many[10:])):
        paths = tmp_path / f"states-{number}.db", tmp_path / f"profiles-{number}.db"
        states, profiles = (primary(path) for path in paths)
        _write(states, profiles, held)
        partitions.append(paths)
        primaries += [states, profiles]  # open, as the worker holds them
    partitions.append((tmp_path / "states-2.db", tmp_path / "profiles-2.db"))  # nothing written there yet
    cut = Cut(tuple(partitions), HIDDEN, tmp_path / "scratch")
    as_of = START + 45 * HOUR
    monkeypatch.setattr(reads, "SLICE", 4)  # slices, not whole partitions, in memory at a time
    assert of_cut(cut, as_of, rows_at) == rows_at(many, as_of)
    assert merged_report([report_part_at(cut, as_of)]) == (_csv(rows_at(many, as_of)), len(many))

    def share_cut(share: frozenset[int], process: int) -> Cut:
        return Cut(tuple(partitions[p] for p in sorted(share)), HIDDEN, tmp_path / f"scratch-{process}")

    async def in_the_report_processes() -> list[list[UptimeRow]]:
        processes = ReportProcesses(2)
        try:
            return await processes.each(
                partial(of_cut, of_slice=rows_at), frozenset({0, 1, 2}), share_cut, as_of
            )
        finally:
            processes.close()

    first, second = asyncio.run(in_the_report_processes())  # partitions 0 and 2, then 1
    assert (first, second) == (rows_at(many[:10], as_of), rows_at(many[10:], as_of))


def test_a_warm_up_decodes_every_profile_once_and_the_next_gathering_reads_what_came_after(
    tmp_path: Path,
) -> None:
    stores, _ = raw_stores()
    paths = tmp_path / "states.db", tmp_path / "profiles.db"
    states, profiles = (primary(path) for path in paths)
    _write(states, profiles, stores)
    cut = Cut((paths,), HIDDEN, tmp_path / "scratch")
    reads.profile_from.cache_clear()
    assert reads.warm(cut, 0) == 1
    assert reads.profile_from.cache_info().misses == 1
    late = (b"d", stores[0][1], encode_profile(StoreProfile("Europe/Paris", KOLKATA.hours)))
    _write(states, profiles, [late])
    as_of = START + 45 * HOUR
    assert of_cut(cut, as_of, rows_at) == rows_at([*stores, late], as_of)
    assert reads.profile_from.cache_info().misses == 3  # the new profile, and the default one


def test_partitions_are_dealt_evenly_among_the_report_processes() -> None:
    assert shares_of(frozenset({7, 1, 5, 3}), 2) == [frozenset({1, 5}), frozenset({3, 7})]
    assert shares_of(frozenset({4}), 3) == [frozenset({4}), frozenset(), frozenset()]
    assert shares_of(frozenset(range(8)), 1) == [frozenset(range(8))]
