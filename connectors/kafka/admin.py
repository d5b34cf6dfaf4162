"""Topics and group offsets as an administrator sees them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from connectors.kafka import clients


async def create_missing(
    bootstrap: str, wanted: Sequence[NewTopic], counted: Sequence[str]
) -> dict[str, int]:
    """Create the ``wanted`` topics that do not exist yet; the partition count of each ``counted`` one.

    Another process may create the same topics meanwhile: that is not an error.
    """
    admin = clients.admin(bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [topic for topic in wanted if topic.name not in existing]
        if missing:
            with suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
        return await _partition_counts(admin, list(counted))
    finally:
        await admin.close()


async def _partition_counts(
    admin: AIOKafkaAdminClient, names: list[str], attempts: int = 40
) -> dict[str, int]:
    """Partition count per topic; a topic just created may show none until its metadata settles."""
    counts: dict[str, int] = {}
    for _ in range(attempts):
        counts = {d["topic"]: len(d["partitions"]) for d in await admin.describe_topics(names)}
        if all(counts.get(name, 0) for name in names):
            break
        await asyncio.sleep(0.25)
    return counts


async def end_offsets(bootstrap: str, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
    """The next offset to be written to each partition."""
    consumer = clients.consumer(bootstrap)
    await consumer.start()
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(list(partitions))
        return ends
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """A consumer group's committed offsets (the next offset it reads) per partition."""
    admin = clients.admin(bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in committed.items()}
