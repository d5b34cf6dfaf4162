"""The outage feed read from a position against a real broker: an id the log cannot have reads from now."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from alerts.feed import OutageFeed, Position
from connectors.kafka import KafkaConnection, Publisher
from streams.layout import ensure_layout, topic_layout
from streams.topics import Topics

pytestmark = pytest.mark.kafka


def test_an_event_id_past_the_logs_end_reads_from_now_and_one_within_it_from_where_it_says(
    kafka: KafkaConnection,
) -> None:
    topics = Topics.with_prefix(f"t{uuid.uuid4().hex[:10]}")

    async def scenario() -> tuple[str, str, str]:
        await ensure_layout(kafka, topic_layout(topics, 2, 1, None))
        publisher = Publisher(kafka)
        await publisher.start()
        try:
            await publisher.send_all(topics.outages, [("s1/2023-01-20T10:00:00Z", b"{}")] * 3)
        finally:
            await publisher.stop()
        feed = OutageFeed(kafka, topics.outages, 2)
        found = []
        for start in (Position((0, 0)), Position((99, 0)), None):  # within, past the end, none
            async with feed.reading(start) as reader:
                found.append(str(reader.position))
        return found[0], found[1], found[2]

    within, past, fresh = asyncio.run(scenario())
    assert within == "0.0"
    assert past == fresh and sorted(map(int, fresh.split("."))) == [
        0,
        3,
    ]  # the three records' partition's end
