"""Topics, brokers and group offsets as an administrator sees them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code

from connectors.kafka import clients
from connectors.kafka.connection import KafkaConnection


class TopicCreationError(RuntimeError):
    """The cluster refused to create a topic (``code`` is Kafka's error code)."""

    def __init__(self, topic: str, code: int, message: str | None) -> None:
        self.topic = topic
        self.code = code
        self.refusal = for_code(code).__name__
        super().__init__(
            f"creating topic {topic} was refused: {self.refusal}{f' ({message})' if message else ''}"
        )


@asynccontextmanager
async def _admin(kafka: KafkaConnection) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client, started, and closed however its use ends."""
    admin = clients.admin(kafka)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


@dataclass(frozen=True)
class TopicState:
    """A topic as the cluster holds it."""

    partitions: int
    replication: int
    config: dict[str, str]


async def create_missing(kafka: KafkaConnection, wanted: Sequence[NewTopic]) -> list[str]:
    """Create the ``wanted`` topics that do not exist yet; the names of those created.

    Another process may create the same topics meanwhile: that is not an error. Any other refusal
    (no right to create topics, too few brokers for the replication factor) raises ``TopicCreationError``.
    """
    async with _admin(kafka) as admin:
        existing = set(await admin.list_topics())
        missing = [topic for topic in wanted if topic.name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(missing)
        for topic, code, message in response.topic_errors:
            if code and for_code(code) is not TopicAlreadyExistsError:
                raise TopicCreationError(topic, code, message)
        created = [topic.name for topic in missing]
        await _settled(admin, created, until_known=True)
        return created


async def broker_count(kafka: KafkaConnection) -> int:
    async with _admin(kafka) as admin:
        return len((await admin.describe_cluster())["brokers"])


async def describe_topics(kafka: KafkaConnection, names: Sequence[str]) -> dict[str, TopicState]:
    """Each of ``names`` that exists: its partitions, replication factor and configuration.

    Only topics the cluster lists are asked about: a broker that creates topics on demand (Kafka's
    default) would make any other one, with its own defaults, merely for being named.
    """
    async with _admin(kafka) as admin:
        existing = set(await admin.list_topics())
        asked = [name for name in names if name in existing]
        described = await _settled(admin, asked) if asked else {}
        found = {name: topic for name, topic in described.items() if topic["partitions"]}
        if not found:
            return {}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in found]
        configs: dict[str, dict[str, str]] = {}
        for response in await admin.describe_configs(resources):
            for resource in response.to_object()["resources"]:
                entries = resource["config_entries"]
                configs[resource["resource_name"]] = {e["config_names"]: e["config_value"] for e in entries}
        return {
            name: TopicState(len(topic["partitions"]), len(topic["partitions"][0]["replicas"]), configs[name])
            for name, topic in found.items()
        }


async def _settled(
    admin: AIOKafkaAdminClient, names: list[str], until_known: bool = False, attempts: int = 40
) -> dict[str, dict[str, Any]]:
    """Topic metadata by name. A topic just created may be unknown, then show no partitions, until its
    metadata settles: those that show none are asked again for a while, and with ``until_known``
    (topics just created) so are those still unknown."""
    described: dict[str, dict[str, Any]] = {}
    for _ in range(attempts):
        described = {d["topic"]: d for d in await admin.describe_topics(names)}
        settling = [
            name
            for name in names
            if not described.get(name, {}).get("partitions")
            and (until_known or described.get(name, {}).get("error_code") == 0)
        ]
        if not settling:
            break
        await asyncio.sleep(0.25)
    return described


async def end_offsets(
    kafka: KafkaConnection, partitions: Sequence[TopicPartition]
) -> dict[TopicPartition, int]:
    """The next offset to be written to each partition."""
    consumer = clients.consumer(kafka)
    await consumer.start()
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(list(partitions))
        return ends
    finally:
        await consumer.stop()


async def committed_offsets(kafka: KafkaConnection, group: str) -> dict[TopicPartition, int]:
    """A consumer group's committed offsets (the next offset it reads) per partition."""
    async with _admin(kafka) as admin:
        committed = await admin.list_consumer_group_offsets(group)
    return {tp: meta.offset for tp, meta in committed.items()}
