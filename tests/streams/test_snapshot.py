"""Report rows from raw table bytes, and the child process that computes them."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from streams import snapshot
from streams.engine import HOUR, HoursRow, StoreProfile, StoreState, UptimeRow, uptime_row
from streams.messages import encode_profile
from streams.snapshot import RawStore, SideProcess, csv_text, rows_at, rows_of_cut
from tests.helpers import instant

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
    text, count = csv_text(rows_at(stores, as_of))
    assert count == 2 and text.splitlines()[1].startswith("a,")


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


def test_a_cut_read_in_slices_gives_the_rows_of_all_its_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    stores, _ = raw_stores()
    many = [
        (f"{key.decode()}{n:03d}".encode(), state, profile)
        for n in range(7)
        for key, state, profile in stores
    ]
    monkeypatch.setattr(snapshot, "SLICE", 4)  # six slices, in two partitions
    partitions = [
        iter([(key, state) for key, state, _ in many[:10]]),
        iter([(k, s) for k, s, _ in many[10:]]),
    ]
    profiles = [iter([(key, profile) for key, _, profile in many if profile is not None])]
    as_of = START + 45 * HOUR

    async def scenario() -> list[UptimeRow]:
        side = SideProcess()
        try:
            return await rows_of_cut(partitions, profiles, as_of, side, rows_at)
        finally:
            side.close()

    assert asyncio.run(scenario()) == rows_at(many, as_of)
