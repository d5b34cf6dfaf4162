"""The outage producer against the real broker: records in their partition, in order, tracked until
acknowledged."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.commits import Deliveries
from streams.outage_sender import OutageSender
from streams.topics import Topics, ensure_topics

pytestmark = pytest.mark.kafka


class Recorded(Deliveries):
    """Deliveries that also keep every future they were given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[asyncio.Future[object]] = []

    def track(self, future: asyncio.Future[object]) -> None:
        self.given.append(future)
        super().track(future)


def test_records_land_in_their_partition_in_order_and_are_tracked_until_acknowledged(kafka: str) -> None:
    topics = Topics.with_prefix(f"t{uuid.uuid4().hex[:10]}")
    sent = [(b"store-a/1", b"opened"), (b"store-a/1", b"closed"), (b"store-a/2", None)]

    async def scenario() -> list[tuple[bytes, bytes | None]]:
        await ensure_topics(kafka, topics, 2)
        deliveries = Recorded()
        sender = OutageSender(kafka, topics.outages, deliveries)
        with pytest.raises(RuntimeError, match="not started"):
            await sender(key=b"k", value=b"v", partition=0)
        await sender.start()
        try:
            for key, value in sent:
                await sender(key=key, value=value, partition=1)
            assert len(deliveries.given) == len(sent)
            await asyncio.wait_for(asyncio.gather(*deliveries.given), 30)
            assert not deliveries.unacknowledged
        finally:
            await sender.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka, auto_offset_reset="earliest")
        await consumer.start()
        try:
            consumer.assign([TopicPartition(topics.outages, 1)])
            found: list[tuple[bytes, bytes | None]] = []
            while len(found) < len(sent):
                batches = await consumer.getmany(timeout_ms=10_000)
                assert batches, "no record within 10 s"
                found += [(r.key, r.value) for records in batches.values() for r in records]
        finally:
            await consumer.stop()
        return found

    assert asyncio.run(scenario()) == sent
