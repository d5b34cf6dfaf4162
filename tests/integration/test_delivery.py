"""Where a destination's consumer group starts, against a real broker: a new one at what was written
since it was added (not the weeks the compacted topics hold), and a restart where the last run
stopped, even before it had handled anything (nothing written in between is skipped)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from aiokafka.errors import GroupCoordinatorNotAvailableError

from alerts.delivery import Backoff, FeedDelivery
from alerts.feed import EpisodeTopic
from connectors.kafka import KafkaConnection, Publisher, committed_offsets
from streams.engine.episodes import Change, EpisodeEvent
from streams.engine.outages import Outage
from streams.layout import ensure_layout, topic_layout
from streams.outages.log import OUTAGE, outage_message
from streams.silences.log import SILENCE
from streams.topics import Topics

pytestmark = pytest.mark.kafka
START = 1_674_208_800_000_000  # 2023-01-20 10:00 UTC


class Collecting(FeedDelivery):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stores: list[str] = []

    async def handle(self, notices: list[tuple[dict[str, Any], float]]) -> None:
        self.stores += [body["store_id"] for body, _ in notices]


def record(store: str) -> tuple[bytes, bytes | None]:
    """An outage of its own store opening, as the worker writes it."""
    outage = Outage(store, START, None, False, START, 0)
    return outage_message(Change(EpisodeEvent.OPENED, outage), "UTC", START)


def test_a_new_group_starts_at_its_start_and_a_restart_skips_nothing_written_in_between(
    kafka: KafkaConnection,
) -> None:
    topics = Topics.with_prefix(f"t{uuid.uuid4().hex[:10]}")
    episode_topics = (EpisodeTopic(topics.outages, OUTAGE), EpisodeTopic(topics.silences, SILENCE))

    async def publish(*stores: str) -> None:
        publisher = Publisher(kafka)
        await publisher.start()
        try:
            messages = [(key.decode(), value) for key, value in map(record, stores)]
            await publisher.send_all(topics.outages, messages)
        finally:
            await publisher.stop()

    async def run_until(delivery: Collecting, count: int) -> None:
        """Run ``delivery`` until it has ``count`` notices and its group has committed a position
        on every partition, then a second more, for anything that should not come."""
        running = asyncio.create_task(delivery.run())
        try:
            for _ in range(300):
                try:
                    committed = await committed_offsets(kafka, delivery.group)
                except GroupCoordinatorNotAvailableError:  # no group yet
                    committed = {}
                if len(delivery.stores) >= count and len(committed) == 4:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    def delivery(since: float) -> Collecting:
        return Collecting(kafka, episode_topics, f"{topics.outages}-group", Backoff(), new_group_since=since)

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        await ensure_layout(kafka, topic_layout(topics, 2, 1, None))
        await publish("before-1", "before-2")  # the weeks a new channel must not be sent
        await asyncio.sleep(0.05)
        first = delivery(since=time.time())
        await run_until(first, 0)  # joins, commits its start, sees nothing
        await publish("between")  # written while no run is going on
        second = delivery(since=time.time())  # a later start: the committed one is what counts
        await publish("after")
        await run_until(second, 2)
        third = delivery(since=time.time())
        await run_until(third, 0)  # everything was handled and committed: nothing comes again
        return first.stores, second.stores, third.stores

    first, second, third = asyncio.run(scenario())
    assert first == []
    assert sorted(second) == ["after", "between"]
    assert third == []
