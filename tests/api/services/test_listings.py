"""Listings kept per as_of while read, "now" kept ready in the background, cursors tied to filters."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from api.errors import BadCursor
from api.services.listings import Listings, Ready, RecentNow, make_cursor, read_cursor


def test_concurrent_asks_share_one_gathering_and_a_failed_one_is_not_kept() -> None:
    calls: list[Hashable] = []

    async def gather(key: Hashable) -> list[int]:
        calls.append(key)
        await asyncio.sleep(0.01)
        if key == "bad":
            raise RuntimeError("partitions moving")
        return [1, 2]

    async def scenario() -> None:
        kept = Listings(gather)
        assert list(await asyncio.gather(kept.at(5), kept.at(5))) == [[1, 2], [1, 2]]
        for _ in range(2):
            with pytest.raises(RuntimeError):
                await kept.at("bad")

    asyncio.run(scenario())
    assert calls == [5, "bad", "bad"]


def test_a_listing_is_kept_while_it_is_asked_for_and_dropped_once_idle() -> None:
    now, calls = [0.0], []

    async def gather(key: Hashable) -> list[int]:
        calls.append(key)
        return [len(calls)]

    async def scenario() -> None:
        kept = Listings(gather, keep_seconds=10.0, clock=lambda: now[0])
        for instant in (0.0, 9.0, 18.0, 27.0):  # each ask within 10 s of the one before
            now[0] = instant
            assert await kept.at("a") == [1]
        now[0] = 37.5
        assert await kept.at("a") == [2]

    asyncio.run(scenario())
    assert calls == ["a", "a"]


def test_the_default_instant_holds_for_a_few_seconds() -> None:
    now, latest = [0.0], [100]

    async def watermark() -> int | None:
        return latest[0]

    recent = RecentNow(watermark, fresh=5.0, clock=lambda: now[0])
    assert asyncio.run(recent()) == 100
    latest[0], now[0] = 200, 4.9
    assert asyncio.run(recent()) == 100
    now[0] = 5.0
    assert asyncio.run(recent()) == 200


def test_a_reader_that_accepts_stale_answers_gets_the_gathering_kept_ready_while_such_readers_ask() -> None:
    now, latest, warmed = [0.0], [100], []

    async def watermark() -> int | None:
        return latest[0]

    async def warm(at: int) -> None:
        warmed.append(at)
        now[0] += 1.0  # a gathering takes a second

    ready = Ready(RecentNow(watermark, fresh=0.0), warm, idle=300.0, clock=lambda: now[0])

    async def scenario() -> None:
        await ready.refresh()
        assert warmed == []  # nobody has asked for a ready listing: nothing is gathered
        assert await ready.at_most(0.0) == 100 and warmed == []  # the watermark, gathered by the listing
        assert await ready.at_most(60.0) == 100 and warmed == [100]  # nothing ready yet: gathered now
        latest[0], now[0] = 200, 30.0
        assert await ready.at_most(60.0) == 100  # gathered 30 s ago: fresh enough for this reader
        assert await ready.at_most(29.0) == 200  # not for this one: gathered at the new watermark
        latest[0] = 300
        await ready.refresh()
        assert warmed == [100, 200]  # resting: twice the last gathering's second
        now[0] = 33.0
        await ready.refresh()
        assert warmed == [100, 200, 300] and await ready.at_most(1.0) == 300
        latest[0], now[0] = 400, 34.0 + 300.1  # no reader for longer than ``idle``
        await ready.refresh()
        assert warmed == [100, 200, 300]
        asks = await asyncio.gather(ready.at_most(10.0), ready.at_most(10.0))  # as a page asks
        assert list(asks) == [400, 400] and warmed == [100, 200, 300, 400]  # one gathering for both

    asyncio.run(scenario())


def test_a_cursor_reads_back_only_for_its_filters() -> None:
    cursor = make_cursor(123, 50, "abc")
    assert read_cursor(cursor, "abc") == (123, 50)
    for bad, filters in ((cursor, "xyz"), ("!!", "abc"), (make_cursor(1, -1, "abc"), "abc")):
        with pytest.raises(BadCursor):
            read_cursor(bad, filters)
