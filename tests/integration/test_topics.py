"""Topic creation against the real broker: co-partitioned, compacted where it must be, checked."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from streams.topics import TopicLayoutError, Topics, ensure_topics

pytestmark = pytest.mark.kafka


async def layout(bootstrap: str, names: list[str]) -> dict[str, tuple[int, str]]:
    """Partition count and cleanup policy of each topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        counts = {d["topic"]: len(d["partitions"]) for d in await admin.describe_topics(names)}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        policies = {}
        for response in await admin.describe_configs(resources):
            for _, _, _, name, entries in response.resources:
                policies[name] = next(value for key, value, *_ in entries if key == "cleanup.policy")
        return {name: (counts[name], policies[name]) for name in names}
    finally:
        await admin.close()


def test_changelogs_are_created_up_front_like_their_source_topics(kafka: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    topics = Topics.with_prefix(prefix)
    changelogs = [f"{prefix}-store-states-changelog", f"{prefix}-store-profiles-changelog"]

    async def scenario() -> dict[str, tuple[int, str]]:
        await ensure_topics(kafka, topics, 3, changelogs)
        await ensure_topics(kafka, topics, 3, changelogs)  # a second worker starting: nothing changes
        with pytest.raises(TopicLayoutError, match="has 3 partitions, expected 4"):
            await ensure_topics(kafka, topics, 4, changelogs)
        return await layout(kafka, [topics.pings, topics.profiles, *changelogs])

    found = asyncio.run(scenario())
    assert found == {
        topics.pings: (3, "delete"),
        topics.profiles: (3, "compact"),
        changelogs[0]: (3, "compact"),
        changelogs[1]: (3, "compact"),
    }
