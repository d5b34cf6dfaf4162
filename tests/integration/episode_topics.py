"""The outage and silence topics as the integration tests read them: every record, start to end."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from storemon.local import Deployment
from streams.episode_log import EpisodeKind
from streams.outages.log import OUTAGE
from streams.silences.log import SILENCE

# (partition, offset, the record's notice)
TopicRecord = tuple[int, int, dict[str, Any]]


async def read_episode_topic(deployment: Deployment, topic: str, kind: EpisodeKind) -> list[TopicRecord]:
    """Every record of ``topic``, in partition and offset order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=deployment.kafka.bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(deployment.partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        found: list[TopicRecord] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                found += [(tp.partition, r.offset, kind.notice_of(r.key or b"", r.value)) for r in records]
        return sorted(found, key=lambda item: item[:2])
    finally:
        await consumer.stop()


async def read_outage_topic(deployment: Deployment) -> list[TopicRecord]:
    return await read_episode_topic(deployment, deployment.topics.outages, OUTAGE)


async def read_episode_topics(deployment: Deployment) -> list[TopicRecord]:
    """Every record of the outage and silence topics, each with its place in an event id (the outage
    topic's partitions, then the silence topic's) instead of its partition."""
    outages = await read_outage_topic(deployment)
    silences = await read_episode_topic(deployment, deployment.topics.silences, SILENCE)
    return outages + [(deployment.partitions + p, offset, notice) for p, offset, notice in silences]


def latest_records(records: list[TopicRecord]) -> dict[str, dict[str, Any]]:
    """The records folded as a compacted topic reads: the latest of each episode, a retraction
    removing it."""
    held: dict[str, dict[str, Any]] = {}
    for _, _, notice in records:
        key = f"{notice['store_id']}/{notice['started_at']}"
        if notice["event"] == "retracted":
            held.pop(key, None)
        else:
            held[key] = notice
    return held
