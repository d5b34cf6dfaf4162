"""The product's topics: their names, their creation with explicit partition counts, their declaration."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

import faust
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

COMPACTED = {"cleanup.policy": "compact"}


class TopicLayoutError(RuntimeError):
    pass


@dataclass(frozen=True)
class Topics:
    """Names of the product's topics."""

    pings: str
    profiles: str
    rejects: str
    reports: str

    @classmethod
    def with_prefix(cls, prefix: str) -> Topics:
        return cls(f"{prefix}-pings", f"{prefix}-profiles", f"{prefix}-rejects", f"{prefix}-reports")


@dataclass(frozen=True)
class SourceTopics:
    """The worker's two co-partitioned source topics, declared on its Faust app."""

    pings: faust.TopicT
    profiles: faust.TopicT

    @classmethod
    def declare(cls, app: faust.App, topics: Topics, partitions: int) -> SourceTopics:
        # Bytes in and out: the wire format (streams.messages) has its own encoding.
        def raw(name: str) -> faust.TopicT:
            return app.topic(name, partitions=partitions, key_serializer="raw", value_serializer="raw")

        return cls(raw(topics.pings), raw(topics.profiles))


async def ensure_topics(
    bootstrap: str, topics: Topics, partitions: int, changelogs: Sequence[str] = ()
) -> None:
    """Create the topics if missing; pings, profiles and the tables' changelogs are co-partitioned,
    profiles, changelogs and the reports log compacted.

    The worker passes its tables' changelogs: left to Faust, they are created while its agents
    start, and an agent that checks a changelog before its metadata has settled sees 0 partitions
    and crashes. An existing topic with another partition count is an error: the tables would stop
    lining up with their source partitions.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        wanted = [
            NewTopic(topics.pings, partitions, 1),
            NewTopic(topics.profiles, partitions, 1, topic_configs=COMPACTED),
            NewTopic(topics.rejects, 1, 1),
            NewTopic(topics.reports, 1, 1, topic_configs=COMPACTED),
            *(NewTopic(name, partitions, 1, topic_configs=COMPACTED) for name in changelogs),
        ]
        existing = set(await admin.list_topics())
        missing = [topic for topic in wanted if topic.name not in existing]
        if missing:
            # Another process may create them meanwhile; the layout is checked below either way.
            with suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
        counts = await _partition_counts(admin, [topics.pings, topics.profiles, *changelogs])
        for name, count in counts.items():
            if count != partitions:
                raise TopicLayoutError(f"topic {name} has {count} partitions, expected {partitions}")
    finally:
        await admin.close()


async def _partition_counts(
    admin: AIOKafkaAdminClient, names: list[str], attempts: int = 40
) -> dict[str, int]:
    """Partition count per topic; a topic just created may show none until its metadata settles."""
    for _ in range(attempts):
        counts = {d["topic"]: len(d["partitions"]) for d in await admin.describe_topics(names)}
        if all(counts.get(name, 0) for name in names):
            break
        await asyncio.sleep(0.25)
    return counts
