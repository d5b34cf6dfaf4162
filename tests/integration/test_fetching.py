"""What Faust's fetcher takes from aiokafka's fetch buffer on a real broker, given the set of
partitions it hands over."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from connectors.kafka import KafkaConnection
from streams.faust_internals.fetching import DeliverablePartitions

pytestmark = pytest.mark.kafka


async def taken(consumer: AIOKafkaConsumer, partitions: Any) -> dict[int, int]:
    """Records taken from the buffer by the call Faust's fetcher makes: how many, per partition."""
    records = await consumer._fetcher.fetched_records(partitions, timeout=0.5)
    return {tp.partition: len(batch) for tp, batch in records.items()}


def test_no_deliverable_partition_takes_nothing_where_an_empty_set_takes_everything(
    kafka: KafkaConnection,
) -> None:
    topic = f"fetching-{uuid.uuid4().hex[:10]}"
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)

    async def scenario() -> list[dict[int, int]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
        await producer.start()
        try:
            for partition in (0, 1):
                for n in range(5):
                    await producer.send_and_wait(topic, b"%d" % n, partition=partition)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        try:
            consumer.assign([first, second])
            for _ in range(100):  # until both partitions' records are buffered
                if {first, second} <= consumer._fetcher._records.keys():
                    break
                await asyncio.sleep(0.1)
            rebalancing = False
            active: set[Any] = set()
            deliverable = DeliverablePartitions(active, set(), lambda tp: False, lambda: rebalancing)
            seen = [await taken(consumer, deliverable)]
            active.update({first, second})
            rebalancing = True
            seen.append(await taken(consumer, deliverable))
            rebalancing = False
            active.discard(second)
            seen.append(await taken(consumer, deliverable))
            seen.append(await taken(consumer, set()))  # what Faust handed over with no partition active
            return seen
        finally:
            await consumer.stop()

    nothing, while_rebalancing, the_active_one, everything_left = asyncio.run(scenario())
    assert nothing == while_rebalancing == {}
    assert the_active_one == {0: 5}
    assert everything_left == {1: 5}
