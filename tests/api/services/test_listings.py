"""Listings kept per as_of while read, "now" kept ready in the background, cursors tied to filters."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from api.errors import BadCursor
from api.ports import Moment
from api.services.listings import Listings, MomentOf, Ready, RecentNow, make_cursor, read_cursor


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


def test_the_default_moment_holds_for_a_few_seconds() -> None:
    now, latest = [0.0], [Moment(100, "a")]

    async def moment() -> Moment | None:
        return latest[0]

    recent = RecentNow(moment, fresh=5.0, clock=lambda: now[0])
    assert asyncio.run(recent()) == Moment(100, "a")
    latest[0], now[0] = Moment(200, "b"), 4.9
    assert asyncio.run(recent()) == Moment(100, "a")
    now[0] = 5.0
    assert asyncio.run(recent()) == Moment(200, "b")


def test_a_reader_that_accepts_stale_answers_gets_the_gathering_kept_ready_while_such_readers_ask() -> None:
    now, latest, warmed = [0.0], [Moment(100, "a")], []

    async def moment() -> Moment | None:
        return latest[0]

    async def warm(at: Moment) -> None:
        warmed.append(at.instant)
        now[0] += 1.0  # a gathering takes a second

    ready = Ready(RecentNow(moment, fresh=0.0), warm, idle=300.0, clock=lambda: now[0])

    async def instant(max_stale: float) -> int | None:
        at = await ready.at_most(max_stale)
        return None if at is None else at.instant

    async def scenario() -> None:
        await ready.refresh()
        assert warmed == []  # nobody has asked for a ready listing: nothing is gathered
        assert await instant(0.0) == 100 and warmed == []  # the watermark, gathered by the listing
        assert await instant(60.0) == 100 and warmed == [100]  # nothing ready yet: gathered now
        latest[0], now[0] = Moment(200, "b"), 30.0
        assert await instant(60.0) == 100  # gathered 30 s ago: fresh enough for this reader
        assert await instant(29.0) == 200  # not for this one: gathered at the new watermark
        latest[0] = Moment(300, "c")
        await ready.refresh()
        assert warmed == [100, 200]  # resting: twice the last gathering's second
        now[0] = 33.0
        await ready.refresh()
        assert warmed == [100, 200, 300] and await instant(1.0) == 300
        latest[0], now[0] = Moment(400, "d"), 34.0 + 300.1  # no reader for longer than ``idle``
        await ready.refresh()  # idle: the ready gathering is made anew only every ``idle_every``
        assert warmed == [100, 200, 300, 400]
        latest[0], now[0] = Moment(500, "e"), 360.0
        await ready.refresh()
        assert warmed == [100, 200, 300, 400]  # 25 s after the last: not yet
        now[0] = 400.0
        await ready.refresh()
        assert warmed == [100, 200, 300, 400, 500]
        now[0] = 420.0
        await ready.refresh()  # the state has not moved: kept fresh, at no cost but a cache hit
        assert warmed == [100, 200, 300, 400, 500, 500] and await instant(1.0) == 500
        latest[0], now[0] = Moment(500, "f"), 430.0  # a late store: the state moved, the instant did not
        both = await asyncio.gather(ready.at_most(1.0), ready.at_most(1.0))  # as a page asks
        assert list(both) == [Moment(500, "f")] * 2 and len(warmed) == 7  # one gathering for both

    asyncio.run(scenario())


def test_a_moment_asked_by_instant_takes_the_state_version_known_now() -> None:
    latest = [Moment(500, "a")]

    async def moment() -> Moment | None:
        return latest[0]

    async def warm(at: Moment) -> None:
        return None

    moment_of = MomentOf(Ready(RecentNow(moment, fresh=0.0), warm), max_stale=0.0)
    assert asyncio.run(moment_of(123)) == Moment(123, "a")
    latest[0] = Moment(600, "b")
    assert asyncio.run(moment_of(123)) == Moment(123, "b")
    assert asyncio.run(moment_of(None)) == Moment(600, "b")


def test_a_cursor_reads_back_only_for_its_filters() -> None:
    cursor = make_cursor(Moment(123, "v"), 50, "abc")
    assert read_cursor(cursor, "abc") == (Moment(123, "v"), 50)
    for bad, filters in ((cursor, "xyz"), ("!!", "abc"), (make_cursor(Moment(1, "v"), -1, "abc"), "abc")):
        with pytest.raises(BadCursor):
            read_cursor(bad, filters)
