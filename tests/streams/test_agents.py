"""The agents in Faust's test context: events in, table state, progress and metrics out."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from connectors.kafka import partition_of
from streams.agents import BACKLOG
from streams.contract.messages import encode_pings, encode_profile
from streams.engine import DEFAULT_PROFILE, HOUR, SECOND, HoursRow, StoreProfile, StoreState
from streams.engine.instants import EventTimeGuard, iso_text
from streams.faust_internals.storage import read
from streams.outages.log import OUTAGE
from streams.outages.open_count import OpenOutages
from streams.progress import AfterRebalance
from streams.state.changelog import LogPosition, StateFormatError, changelog_records, decode_record
from streams.state.tables import LOCAL_FORMAT, StoreTables
from streams.worker import StreamWorker
from tests.helpers import instant
from tests.streams.conftest import PARTITIONS, EpisodeSink, changelog_sink, new_stream_worker

START = instant("2023-01-20T00:00:00")
PINGS = [(START + i * HOUR + 7, i % 5 != 3) for i in range(60)]
# The test context names the topic of a message to an agent reading two topics (source and repartition).
TEST_TOPIC = "<internal>"
NIGHTS = StoreProfile("Asia/Tokyo", (HoursRow(0, 22 * 3600, 6 * 3600),))


def state_of(tables: StoreTables, key: bytes) -> StoreState | None:
    found = tables.looked_up(key)
    return None if found is None else found[0]


def test_pings_in_any_order_and_batching_give_the_batch_state(stream_worker: StreamWorker) -> None:
    shuffled = PINGS + PINGS[:10]  # with duplicates
    random.Random(3).shuffle(shuffled)

    async def scenario() -> None:  # the test context numbers each agent's messages from offset 0
        async with stream_worker.ingest.pings.test_context() as agent:
            for start in range(0, len(shuffled), 7):
                await agent.put(encode_pings(shuffled[start : start + 7]), key=b"s1", partition=1)

    asyncio.run(scenario())
    assert state_of(stream_worker.tables, b"s1") == StoreState.from_pings(PINGS, DEFAULT_PROFILE)
    assert stream_worker.progress.outcomes == {"added": 60, "duplicate": 10}
    assert stream_worker.progress.next_offsets == {TEST_TOPIC: {1: 10}}
    assert stream_worker.watermark() == PINGS[-1][0]


def test_a_profile_before_or_after_the_pings_gives_the_same_state(stream_worker: StreamWorker) -> None:
    async def scenario() -> None:
        async with (
            stream_worker.ingest.pings.test_context() as pings,
            stream_worker.ingest.profiles.test_context() as profiles,
        ):
            await profiles.put(encode_profile(NIGHTS), key=b"early", partition=0)
            for key in (b"early", b"late", b"dropped"):
                await pings.put(encode_pings(PINGS), key=key, partition=0)
            await profiles.put(encode_profile(NIGHTS), key=b"late", partition=0)
            await profiles.put(encode_profile(NIGHTS), key=b"dropped", partition=0)
            await profiles.put(None, key=b"dropped", partition=0)  # tombstone: back to the default

    asyncio.run(scenario())
    tables = stream_worker.tables
    assert state_of(tables, b"early") == state_of(tables, b"late") == StoreState.from_pings(PINGS, NIGHTS)
    assert tables.profile(b"late") == NIGHTS
    assert state_of(tables, b"dropped") == StoreState.from_pings(PINGS, DEFAULT_PROFILE)
    assert tables.profile(b"dropped") == DEFAULT_PROFILE


class DeadLetters:
    """Stands in for the rejects topic: keeps each record sent to it, decoded."""

    def __init__(self) -> None:
        self.kept: list[dict[str, Any]] = []

    def send_soon(self, *, key: bytes, value: bytes) -> None:
        assert key == b"worker"
        self.kept.append(json.loads(value))


@pytest.fixture
def dead_letters(stream_worker: StreamWorker, monkeypatch: pytest.MonkeyPatch) -> DeadLetters:
    letters = DeadLetters()
    monkeypatch.setattr(stream_worker.topics.rejects, "send_soon", letters.send_soon)
    return letters


def test_messages_that_break_the_wire_format_are_counted_kept_and_moved_past(
    stream_worker: StreamWorker, dead_letters: DeadLetters
) -> None:
    async def scenario() -> None:
        async with (
            stream_worker.ingest.pings.test_context() as pings,
            stream_worker.ingest.profiles.test_context() as profiles,
        ):
            await pings.put(b"[[1, 2, 3]]", key=b"s1", partition=0)
            await pings.put(encode_pings(PINGS), key=b"", partition=0)
            await profiles.put(b'{"hours": [[9, 0, 0]]}', key=b"s1", partition=1)

    asyncio.run(scenario())
    assert state_of(stream_worker.tables, b"s1") is None
    assert stream_worker.tables.profile(b"s1") == DEFAULT_PROFILE
    assert stream_worker.progress.outcomes == {"rejected_message": 3}
    assert stream_worker.progress.next_offsets == {TEST_TOPIC: {0: 2, 1: 1}}
    registry = stream_worker.metrics.registry
    assert registry.get_sample_value("storemon_messages_rejected_total", {"topic": TEST_TOPIC}) == 3
    assert [(d["line"], d["reason"], d["row"][0]) for d in dead_letters.kept] == [
        (0, "rejected_message", "s1"),
        (1, "rejected_message", ""),
        (0, "rejected_message", "s1"),
    ]
    assert (
        dead_letters.kept[0]["row"][1] == "[[1, 2, 3]]"
        and "bad pings message" in dead_letters.kept[0]["detail"]
    )


@pytest.mark.parametrize("key", [b"a/b", b"x" * 129, b"\xff\xfe", b" pad ", b"tab\tin"])
def test_a_key_that_breaks_the_contract_is_refused_like_a_bad_value(
    stream_worker: StreamWorker, dead_letters: DeadLetters, key: bytes
) -> None:
    """Its store could never be looked up: it would be in reports but answer 404 for ever."""

    async def scenario() -> None:
        async with stream_worker.ingest.pings.test_context() as pings:
            await pings.put(encode_pings(PINGS[:3]), key=key, partition=0)

    asyncio.run(scenario())
    assert state_of(stream_worker.tables, key) is None
    assert stream_worker.progress.outcomes == {"rejected_message": 1}
    [kept] = dead_letters.kept
    assert kept["reason"] == "rejected_message" and "store id key" in kept["detail"]


def test_pings_stamped_after_the_workers_clock_allows_are_refused_kept_and_never_move_the_watermark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = START + 60 * HOUR
    worker = new_stream_worker(tmp_path, guard=EventTimeGuard(allowance=300 * SECOND, clock=lambda: now))
    letters = DeadLetters()
    monkeypatch.setattr(worker.topics.rejects, "send_soon", letters.send_soon)
    ahead = [(now + 301 * SECOND, True), (instant("2099-06-01T00:00:00"), False)]

    async def scenario() -> None:
        async with worker.ingest.pings.test_context() as agent:
            await agent.put(encode_pings([*PINGS[:5], *ahead]), key=b"s1", partition=0)
            await agent.put(encode_pings(ahead[1:]), key=b"s2", partition=0)  # refused whole
            await agent.put(
                encode_pings([(now + 300 * SECOND, True)]), key=b"s3", partition=0
            )  # just allowed

    asyncio.run(scenario())
    assert state_of(worker.tables, b"s1") == StoreState.from_pings(PINGS[:5], DEFAULT_PROFILE)
    assert state_of(worker.tables, b"s2") is None
    assert worker.watermark() == now + 300 * SECOND
    assert worker.progress.outcomes == {"added": 6, "from_the_future": 3}
    assert worker.progress.next_offsets == {TEST_TOPIC: {0: 3}}
    registry = worker.metrics.registry
    assert registry.get_sample_value("storemon_pings_processed_total", {"outcome": "from_the_future"}) == 3
    assert [(d["line"], d["reason"], d["row"]) for d in letters.kept] == [
        (0, "from_the_future", ["s1", iso_text(ahead[0][0]), "active"]),
        (0, "from_the_future", ["s1", "2099-06-01T00:00:00Z", "inactive"]),
        (1, "from_the_future", ["s2", "2099-06-01T00:00:00Z", "inactive"]),
    ]


def test_a_crashed_agent_is_recorded_until_it_processes_an_event_again(
    stream_worker: StreamWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = stream_worker.tables.put_state

    def put_state_failing(*_: object) -> None:
        raise OSError("disk full")

    async def crash() -> None:
        async with stream_worker.ingest.pings.test_context() as agent:
            await agent.put(encode_pings(PINGS[:1]), key=b"s1", wait=False)
            for _ in range(100):
                if stream_worker.progress.crashed:
                    return
                await asyncio.sleep(0.01)

    async def recover() -> None:  # Faust's supervisor restarts the agent; here a fresh context stands in
        async with stream_worker.ingest.pings.test_context() as agent:
            await agent.put(encode_pings(PINGS[1:2]), key=b"s1")

    monkeypatch.setattr(stream_worker.tables, "put_state", put_state_failing)
    asyncio.run(crash())
    assert stream_worker.progress.crashed == {"ingest-pings": "OSError: disk full"}
    assert not stream_worker.ready
    monkeypatch.setattr(stream_worker.tables, "put_state", writes)
    asyncio.run(recover())
    assert stream_worker.progress.crashed == {}


def changelog_event(
    topic: str, partition: int, offset: int, key: bytes, value: bytes | None
) -> SimpleNamespace:
    """What recovery hands a table: the store drivers read only these fields."""
    message = SimpleNamespace(
        tp=TP(topic, partition), partition=partition, offset=offset, key=key, value=value
    )
    return SimpleNamespace(message=message)


def test_a_worker_with_an_empty_data_dir_recovers_every_state_from_the_changelog_records(
    stream_worker: StreamWorker, tmp_path: Path
) -> None:
    changelog = changelog_sink(stream_worker.tables.state_outbox)
    shuffled = PINGS * 2
    random.Random(5).shuffle(shuffled)

    async def scenario() -> None:
        async with (
            stream_worker.ingest.pings.test_context() as pings,
            stream_worker.ingest.profiles.test_context() as profiles,
        ):
            for start in range(0, len(shuffled), 3):
                for key, partition in ((b"s1", 0), (b"s2", 1)):
                    await pings.put(encode_pings(shuffled[start : start + 3]), key=key, partition=partition)
                if start == 30:
                    await profiles.put(encode_profile(NIGHTS), key=b"s2", partition=1)

    asyncio.run(scenario())
    replacement = new_stream_worker(tmp_path / "replacement")
    tables = replacement.tables
    profiles, states = (table.changelog_topic.get_topic_name() for table in (tables.profiles, tables.states))
    tables.profiles.apply_changelog_batch([changelog_event(profiles, 1, 0, b"s2", encode_profile(NIGHTS))])  # type: ignore[list-item]
    events = [changelog_event(states, *record) for record in changelog.records]
    tables.states.apply_changelog_batch(events)  # type: ignore[arg-type]
    assert state_of(replacement.tables, b"s1") == StoreState.from_pings(PINGS, DEFAULT_PROFILE)
    assert state_of(replacement.tables, b"s2") == StoreState.from_pings(PINGS, NIGHTS)
    assert len(changelog.records) < len(shuffled)  # duplicates write nothing


def test_a_refused_changelog_record_is_counted_and_sent_again_and_the_worker_waits_for_it(
    stream_worker: StreamWorker,
) -> None:
    changelog = changelog_sink(stream_worker.tables.state_outbox)
    changelog.refusals = 2
    unwritten: list[int] = []

    async def scenario() -> None:
        async with stream_worker.ingest.pings.test_context() as agent:
            await agent.put(encode_pings(PINGS[:5]), key=b"s1", partition=0)
            await asyncio.sleep(0)
            unwritten.append(len(stream_worker.tables.unwritten))
            for _ in range(100):
                if not stream_worker.tables.unwritten:
                    break
                await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert unwritten == [1]
    assert stream_worker.tables.unwritten == set()
    registry = stream_worker.metrics.registry
    assert registry.get_sample_value("storemon_changelog_write_failures_total") == 2
    [(_, _, _, value)] = changelog.records
    assert value is not None and decode_record(value)[1] == PINGS[:5]


@pytest.mark.parametrize(
    ("unreadable", "cause"),
    [
        ((b"s1" + b"x\x00\x00\x00\x01", b"\x00" * 13), "record kind b'x' is not one of format 1"),
        (None, "is not a whole number of pings"),  # the good record's value, cut short
    ],
)
def test_a_changelog_record_this_version_cannot_read_stops_the_worker_and_loses_nothing(
    stream_worker: StreamWorker, unreadable: tuple[bytes, bytes] | None, cause: str
) -> None:
    states = stream_worker.tables.states
    topic = states.changelog_topic.get_topic_name()
    (key, value), *_ = changelog_records(
        b"s1", StoreState.from_pings(PINGS[:3], DEFAULT_PROFILE), PINGS[:3], LogPosition(), 1
    )[1]
    stops: list[str] = []
    stream_worker.stop_process = lambda: stops.append("stop")
    bad = unreadable or (key, value[:-1])
    events = [changelog_event(topic, 0, 0, key, value), changelog_event(topic, 0, 1, *bad)]
    states.apply_changelog_batch(events)  # type: ignore[arg-type]
    assert stops == ["stop"] and not stream_worker.ready
    assert stream_worker.fatal is not None and cause in stream_worker.fatal
    assert f"of {topic}[0] at offset 1 cannot be read by this version" in stream_worker.fatal
    assert (
        state_of(stream_worker.tables, b"s1") is None
    )  # nothing of the batch applied, so nothing half-applied
    registry = stream_worker.metrics.registry
    assert registry.get_sample_value("storemon_changelog_records_unreadable_total") == 1


def test_tables_written_in_another_format_stop_the_worker_before_it_starts(tmp_path: Path) -> None:
    new_stream_worker(tmp_path)  # claims the folder for this version's format
    assert (tmp_path / "tables" / "FORMAT").read_text().strip() == LOCAL_FORMAT
    new_stream_worker(tmp_path)  # the same format: fine
    (tmp_path / "tables" / "FORMAT").write_text("state 9, changelog 9\n")
    with pytest.raises(StateFormatError, match=r"hold format 'state 9, changelog 9'.*remove .*tables"):
        new_stream_worker(tmp_path)


def _notices(worker: StreamWorker) -> list[tuple[str, str, str, str | None]]:
    sink: EpisodeSink = worker.ingest.outages.send  # type: ignore[union-attr,assignment]
    found = []
    for _, key, value in sink.records:
        notice = OUTAGE.notice_of(key, value)
        found.append((notice["event"], notice["event_id"], notice["started_at"], notice.get("ended_at")))
    return found


def test_outages_are_published_as_pings_arrive_and_corrected_by_late_ones(
    stream_worker: StreamWorker,
) -> None:
    at = [iso_text(START + i * HOUR) for i in range(5)]

    async def scenario() -> None:
        async with stream_worker.ingest.pings.test_context() as agent:
            for i, active in ((0, True), (1, False), (2, False), (4, True), (4, True), (3, True)):
                await agent.put(encode_pings([(START + i * HOUR, active)]), key=b"s1", partition=1)

    asyncio.run(scenario())
    events = _notices(stream_worker)
    assert [(event, started, ended) for event, _, started, ended in events] == [
        ("opened", at[1], None),
        ("updated", at[1], None),
        ("closed", at[1], at[4]),
        ("closed", at[1], at[4]),  # the same message again: sent again, same id
        ("updated", at[1], at[3]),  # a late active ping ends the outage earlier
    ]
    assert events[2][1] == events[3][1] and len({e[1] for e in events}) == 4
    sink: EpisodeSink = stream_worker.ingest.outages.send  # type: ignore[union-attr,assignment]
    # Each record says what the outage had when last published open: a notifier's threshold.
    previous = [
        OUTAGE.notice_of(key, value)["previous_business_downtime_minutes"] for _, key, value in sink.records
    ]
    assert previous == [None, 0.0, 60.0, None, None]
    assert {partition for partition, _, _ in sink.records} == {1}
    registry = stream_worker.metrics.registry
    assert registry.get_sample_value("storemon_outage_events_total", {"event": "closed"}) == 2


def test_records_made_with_a_backlog_behind_their_message_are_told_so(
    stream_worker: StreamWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest = stream_worker.ingest
    monkeypatch.setattr(stream_worker.app.consumer, "highwater", lambda tp: BACKLOG + 1)

    async def scenario() -> None:
        async with ingest.pings.test_context() as agent:
            for offset in range(2):  # BACKLOG messages after the first, one fewer after the second
                await agent.put(encode_pings([(START + offset * HOUR, offset == 1)]), key=b"s1", partition=0)

    asyncio.run(scenario())
    sink: EpisodeSink = ingest.outages.send  # type: ignore[union-attr,assignment]
    assert [OUTAGE.notice_of(key, value)["event"] for _, key, value in sink.records] == ["opened", "closed"]
    assert sink.backlogs == [True, False]


def test_a_profile_change_republishes_what_the_outages_cost_and_retracts_those_left_without_business_time(
    stream_worker: StreamWorker,
) -> None:
    monday = instant("2023-01-23T00:00:00")
    mornings = StoreProfile("UTC", (HoursRow(0, 8 * 3600, 12 * 3600),))

    async def scenario() -> None:
        async with (
            stream_worker.ingest.pings.test_context() as pings,
            stream_worker.ingest.profiles.test_context() as profiles,
        ):
            await pings.put(encode_pings([(monday + 9 * HOUR, False), (monday + 10 * HOUR, True)]), key=b"s1")
            await profiles.put(encode_profile(mornings), key=b"s1")
            await profiles.put(encode_profile(NIGHTS), key=b"s1")

    asyncio.run(scenario())
    assert [(event, ended) for event, _, _, ended in _notices(stream_worker)] == [
        ("closed", iso_text(monday + 10 * HOUR)),
        ("updated", iso_text(monday + 10 * HOUR)),  # the same hour of business, now read in UTC
        ("retracted", None),  # 09:00-10:00 UTC is 18:00-19:00 in Tokyo, outside its nights
    ]


def test_a_new_zone_restates_the_local_times_of_outages_whose_figures_stay(
    stream_worker: StreamWorker,
) -> None:
    async def scenario() -> None:
        async with (
            stream_worker.ingest.pings.test_context() as pings,
            stream_worker.ingest.profiles.test_context() as profiles,
        ):
            await pings.put(encode_pings([(START, False), (START + HOUR, True)]), key=b"s1")
            await profiles.put(encode_profile(StoreProfile("Asia/Tokyo")), key=b"s1")

    asyncio.run(scenario())
    sink: EpisodeSink = stream_worker.ingest.outages.send  # type: ignore[union-attr,assignment]
    zones = [OUTAGE.notice_of(key, value)["timezone"] for _, key, value in sink.records]
    assert zones == ["America/Chicago", "Asia/Tokyo"]


def test_the_open_outages_gauge_follows_the_stores_and_is_rebuilt_after_a_rebalance(
    stream_worker: StreamWorker,
) -> None:
    async def scenario() -> None:
        async with stream_worker.ingest.pings.test_context() as agent:
            await agent.put(encode_pings([(START, False)]), key=b"down")
            await agent.put(encode_pings([(START, False), (START + HOUR, True)]), key=b"back")

    asyncio.run(scenario())
    gauge = "storemon_outages_open"
    assert stream_worker.metrics.registry.get_sample_value(gauge) == 1
    tables = stream_worker.tables

    def held() -> list[tuple[bytes, bytes]]:  # what a worker holding both stores' partitions reads
        return [
            (key, read(tables.states, key, partition_of(key, PARTITIONS)) or b"")
            for key in (b"down", b"back")
        ]

    rebuilt = OpenOutages(held, tables.profile, AfterRebalance(lambda: 1, lambda: True))
    assert rebuilt.count() == 1  # from the states held: only "down" is open
