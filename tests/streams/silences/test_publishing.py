"""The worker's silences in Faust's test context: derived between pings as messages arrive, corrected
by late pings, opened by the timer at ``now``, closed by the next ping, moved by new hours."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from streams.contract.messages import encode_pings, encode_profile
from streams.engine import HOUR, MINUTE, HoursRow, StoreProfile
from streams.engine.instants import ClockMode, iso_text
from streams.silences.log import SILENCE
from streams.worker import StreamWorker
from tests.helpers import instant
from tests.streams.conftest import EpisodeSink, new_stream_worker

START = instant("2023-01-20T00:00:00")  # a Friday
Sent = list[tuple[str, str, str | None]]


def _sink(worker: StreamWorker) -> EpisodeSink:
    assert worker.silences is not None
    sink = worker.silences.send
    assert isinstance(sink, EpisodeSink)
    return sink


def _sent(worker: StreamWorker, store_id: str | None = None) -> Sent:
    """(event, started_at, ended_at) of each silence record sent so far (of ``store_id``'s only)."""
    notices = [SILENCE.notice_of(key, value) for _, key, value in _sink(worker).records]
    return [
        (n["event"], n["started_at"], n.get("ended_at"))
        for n in notices
        if store_id is None or n["store_id"] == store_id
    ]


def _put(worker: StreamWorker, *messages: tuple[bytes, list[tuple[int, bool]]]) -> None:
    async def scenario() -> None:
        async with worker.ingest.pings.test_context() as agent:
            for key, pings in messages:
                await agent.put(encode_pings(pings), key=key)

    asyncio.run(scenario())


def _tick(worker: StreamWorker) -> None:
    assert worker.silences is not None
    worker.silences.tick()


def _at(hours: float) -> str:
    return iso_text(START + int(hours * HOUR))


def test_a_silence_between_pings_is_published_when_the_next_ping_ends_it_and_corrected_by_a_late_one(
    stream_worker: StreamWorker,
) -> None:
    # Open all day (the default profile); silent two hours after a ping.
    _put(
        stream_worker,
        (b"s1", [(START, True), (START + HOUR, True)]),
        (b"s1", [(START + 5 * HOUR, True)]),  # 1 h -> 5 h: silent from 3 h
        (b"s1", [(START + 5 * HOUR, True)]),  # the same message again: sent again, same id
        (b"s1", [(START + int(2.5 * HOUR), True)]),  # late: silent from 4.5 h instead
    )
    sent = _sent(stream_worker)
    assert sent == [
        ("closed", _at(3), _at(5)),
        ("closed", _at(3), _at(5)),
        ("retracted", _at(3), None),
        ("closed", _at(4.5), _at(5)),
    ]
    ids = [SILENCE.notice_of(key, value)["event_id"] for _, key, value in _sink(stream_worker).records]
    assert ids[0] == ids[1] and len(set(ids)) == 3
    found_late = [SILENCE.notice_of(k, v).get("was_open") for _, k, v in _sink(stream_worker).records]
    assert found_late == [False, False, None, False]  # none was ever seen going on
    registry = stream_worker.metrics.registry
    assert registry.get_sample_value("storemon_silence_events_total", {"event": "closed"}) == 3


def test_the_timer_opens_a_silence_at_the_watermark_and_the_next_ping_closes_it(
    stream_worker: StreamWorker,
) -> None:
    _put(stream_worker, (b"quiet", [(START, True)]), (b"busy", [(START + 3 * HOUR, True)]))
    _tick(stream_worker)  # now is the watermark, 3 h: quiet is silent since 2 h, busy not yet
    assert _sent(stream_worker) == [("opened", _at(2), None)]
    assert stream_worker.metrics.registry.get_sample_value("storemon_stores_silent") == 1
    _tick(stream_worker)  # nothing new is due: nothing is sent again
    _put(stream_worker, (b"quiet", [(START + int(3.5 * HOUR), False)]))
    assert _sent(stream_worker)[1:] == [("closed", _at(2), _at(3.5))]
    assert stream_worker.metrics.registry.get_sample_value("storemon_stores_silent") == 0
    # Each record tells whether the silence was published going on before: its opening was announced.
    assert [SILENCE.notice_of(k, v)["was_open"] for _, k, v in _sink(stream_worker).records] == [False, True]


def test_a_ping_from_before_the_silence_began_retracts_it(stream_worker: StreamWorker) -> None:
    _put(stream_worker, (b"quiet", [(START, True)]), (b"busy", [(START + 3 * HOUR, True)]))
    _tick(stream_worker)
    _put(stream_worker, (b"quiet", [(START + HOUR, True)]))  # late: silent from 3 h, not 2 h
    assert _sent(stream_worker) == [("opened", _at(2), None), ("retracted", _at(2), None)]
    _tick(stream_worker)  # watched again from its new latest ping
    assert _sent(stream_worker)[2:] == [("opened", _at(3), None)]


def test_closed_hours_delay_falling_silent_to_the_next_opening(stream_worker: StreamWorker) -> None:
    mornings = StoreProfile("UTC", (HoursRow(4, 8 * 3600, 12 * 3600),))  # Fridays 08:00-12:00 UTC

    async def profile() -> None:
        async with stream_worker.ingest.profiles.test_context() as profiles:
            await profiles.put(encode_profile(mornings), key=b"shop")

    asyncio.run(profile())
    _put(stream_worker, (b"shop", [(START + 11 * HOUR, True)]), (b"clock", [(START + 14 * HOUR, True)]))
    _tick(stream_worker)  # 13:00 would be two hours on, but the shop is closed until next Friday
    assert _sent(stream_worker, "shop") == []
    _put(stream_worker, (b"clock", [(START + 7 * 24 * HOUR + 8 * HOUR - MINUTE, True)]))
    _tick(stream_worker)
    assert _sent(stream_worker, "shop") == []
    _put(stream_worker, (b"clock", [(START + 7 * 24 * HOUR + 8 * HOUR, True)]))
    _tick(stream_worker)
    assert _sent(stream_worker, "shop") == [("opened", _at(7 * 24 + 8), None)]


def test_new_hours_move_a_silence_going_on(stream_worker: StreamWorker) -> None:
    _put(stream_worker, (b"quiet", [(START, True)]), (b"busy", [(START + 10 * HOUR, True)]))
    _tick(stream_worker)
    evenings = StoreProfile("UTC", (HoursRow(4, 6 * 3600, 23 * 3600),))  # Fridays from 06:00

    async def profile() -> None:
        async with stream_worker.ingest.profiles.test_context() as profiles:
            await profiles.put(encode_profile(evenings), key=b"quiet")

    asyncio.run(profile())
    assert _sent(stream_worker) == [
        ("opened", _at(2), None),
        ("retracted", _at(2), None),
        ("opened", _at(6), None),  # silent from the opening that now follows the ping
    ]


def test_on_the_wall_clock_stores_fall_silent_without_any_ping_moving_time(tmp_path: Path) -> None:
    worker = new_stream_worker(tmp_path / "wall")
    worker.config = replace(worker.config, clock=ClockMode.WALL)
    _put(worker, (b"s1", [(START, True)]), (b"s2", [(START + 30 * 24 * HOUR, True)]))
    _tick(worker)  # now is today, years after both pings
    assert sorted(_sent(worker)) == [("opened", _at(2), None), ("opened", _at(30 * 24 + 2), None)]
