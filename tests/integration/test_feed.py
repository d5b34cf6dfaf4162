"""The episode feed read from a position against a real broker: an id the log cannot have reads from
now, and an id of the outage topic alone resumes the outages and reads the silences from now."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from alerts.feed import EpisodeFeed, EpisodeTopic, Position
from connectors.kafka import KafkaConnection, Publisher
from streams.layout import ensure_layout, topic_layout
from streams.outages.log import OUTAGE
from streams.silences.log import SILENCE
from streams.topics import Topics

pytestmark = pytest.mark.kafka


def test_an_event_id_past_the_logs_end_reads_from_now_and_one_within_it_from_where_it_says(
    kafka: KafkaConnection,
) -> None:
    topics = Topics.with_prefix(f"t{uuid.uuid4().hex[:10]}")

    async def scenario() -> tuple[str, str, str, str]:
        await ensure_layout(kafka, topic_layout(topics, 2, 1, None))
        publisher = Publisher(kafka)
        await publisher.start()
        try:
            await publisher.send_all(topics.outages, [("s1/2023-01-20T10:00:00Z", b"{}")] * 3)
            await publisher.send_all(topics.silences, [("s1/2023-01-20T12:00:00Z", b"{}")] * 2)
        finally:
            await publisher.stop()
        feed = EpisodeFeed(
            kafka, (EpisodeTopic(topics.outages, OUTAGE), EpisodeTopic(topics.silences, SILENCE)), 2
        )
        found = []
        # Within, past the end, none, and an id of the outage topic alone.
        for start in (Position((0, 0, 0, 0)), Position((99, 0, 0, 0)), None, feed.position("0.0")):
            async with feed.reading(start) as reader:
                found.append(str(reader.position))
        return found[0], found[1], found[2], found[3]

    within, past, fresh, outages_only = asyncio.run(scenario())
    assert within == "0.0.0.0"
    ends = [int(offset) for offset in fresh.split(".")]
    assert past == fresh and sorted(ends[:2]) == [0, 3] and sorted(ends[2:]) == [0, 2]  # each topic's end
    assert outages_only == f"0.0.{ends[2]}.{ends[3]}"
