"""Listings kept per as_of, the default as_of kept a few seconds, and cursors tied to their filters."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from api.errors import BadCursor
from api.services.snapshots import RecentWatermark, Snapshots, make_cursor, read_cursor


def test_concurrent_asks_share_one_gathering_and_a_failed_one_is_not_kept() -> None:
    calls: list[Hashable] = []

    async def gather(key: Hashable) -> list[int]:
        calls.append(key)
        await asyncio.sleep(0.01)
        if key == "bad":
            raise RuntimeError("partitions moving")
        return [1, 2]

    async def scenario() -> None:
        kept = Snapshots(gather)
        assert list(await asyncio.gather(kept.at(5), kept.at(5))) == [[1, 2], [1, 2]]
        for _ in range(2):
            with pytest.raises(RuntimeError):
                await kept.at("bad")

    asyncio.run(scenario())
    assert calls == [5, "bad", "bad"]


def test_the_default_instant_holds_for_a_few_seconds() -> None:
    now, latest = [0.0], [100]

    async def watermark() -> int | None:
        return latest[0]

    recent = RecentWatermark(watermark, fresh=5.0, clock=lambda: now[0])
    assert asyncio.run(recent()) == 100
    latest[0], now[0] = 200, 4.9
    assert asyncio.run(recent()) == 100
    now[0] = 5.0
    assert asyncio.run(recent()) == 200


def test_a_cursor_reads_back_only_for_its_filters() -> None:
    cursor = make_cursor(123, 50, "abc")
    assert read_cursor(cursor, "abc") == (123, 50)
    for bad, filters in ((cursor, "xyz"), ("!!", "abc"), (make_cursor(1, -1, "abc"), "abc")):
        with pytest.raises(BadCursor):
            read_cursor(bad, filters)
