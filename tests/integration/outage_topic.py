"""The outage topic as the integration tests read it: every record, start to end, in partition order."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from storemon.local import Deployment
from streams.outages.log import notice_of

# (partition, offset, the record's notice)
TopicRecord = tuple[int, int, dict[str, Any]]


async def read_outage_topic(deployment: Deployment) -> list[TopicRecord]:
    consumer = AIOKafkaConsumer(bootstrap_servers=deployment.kafka.bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(deployment.topics.outages, p) for p in range(deployment.partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        found: list[TopicRecord] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                found += [(tp.partition, r.offset, notice_of(r.key or b"", r.value)) for r in records]
        return sorted(found, key=lambda item: item[:2])
    finally:
        await consumer.stop()
