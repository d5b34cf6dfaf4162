"""The topic layout: what it holds, how it is compared with a cluster's topics, how it is printed."""

from __future__ import annotations

import asyncio

import pytest

from connectors.kafka import KafkaConnection
from connectors.kafka.admin import TopicState
from streams import layout
from streams.layout import (
    TopicLayoutError,
    changelog_topics,
    differences,
    plan_text,
    replication_for,
    topic_layout,
)
from streams.topics import Topics
from streams.worker import StreamWorker

TOPICS = Topics.with_prefix("p")


def test_the_changelogs_are_named_as_faust_names_the_tables_changelogs(stream_worker: StreamWorker) -> None:
    assert changelog_topics(stream_worker.config.app_id) == stream_worker.tables.changelog_topics


def test_every_topic_is_replicated_with_one_replica_of_slack_and_keyed_ones_co_partitioned() -> None:
    layout = {spec.name: spec for spec in topic_layout(TOPICS, 6, 3, "app")}
    keyed = [*TOPICS.keyed, *changelog_topics("app")]
    assert set(layout) == {*keyed, TOPICS.rejects, TOPICS.reports}
    assert {layout[name].partitions for name in keyed} == {6}
    assert layout[TOPICS.reports].partitions == 1  # every worker reads the one partition
    assert {spec.config["min.insync.replicas"] for spec in layout.values()} == {"2"}
    compacted = {name for name, spec in layout.items() if spec.cleanup == "compact"}
    assert compacted == {
        TOPICS.profiles,
        TOPICS.profiles_repartition,
        TOPICS.outages,
        TOPICS.silences,
        TOPICS.reports,
        *changelog_topics("app"),
    }
    for episodes in (TOPICS.outages, TOPICS.silences):
        assert layout[episodes].config["min.compaction.lag.ms"] == str(7 * 24 * 3600 * 1000)
    assert {spec.config["min.insync.replicas"] for spec in topic_layout(TOPICS, 6, 1, None)} == {"1"}
    assert not set(changelog_topics("app")) & {spec.name for spec in topic_layout(TOPICS, 6, 1, None)}


def test_the_replication_factor_is_the_one_configured_or_three_or_every_broker_when_fewer() -> None:
    assert [replication_for(None, brokers) for brokers in (1, 2, 3, 5)] == [1, 2, 3, 3]
    assert replication_for(2, 5) == 2


def test_missing_topics_and_other_partitions_or_cleanup_are_fatal_weaker_replication_is_not() -> None:
    layout = topic_layout(TOPICS, 4, 3, None)
    held = {spec.name: TopicState(spec.partitions, spec.replication, dict(spec.config)) for spec in layout}
    assert differences(layout, held) == []
    held[TOPICS.rejects] = TopicState(3, 3, held[TOPICS.rejects].config)  # any count serves the rejects
    assert differences(layout, held) == []
    held[TOPICS.pings] = TopicState(8, 3, held[TOPICS.pings].config)
    held[TOPICS.profiles] = TopicState(4, 3, {**held[TOPICS.profiles].config, "cleanup.policy": "delete"})
    held[TOPICS.outages] = TopicState(4, 1, {**held[TOPICS.outages].config, "min.insync.replicas": "1"})
    held[TOPICS.reports] = TopicState(3, 3, held[TOPICS.reports].config)  # read from its one partition
    del held[TOPICS.rejects]
    found = {(d.topic, d.setting, d.found, d.expected, d.fatal) for d in differences(layout, held)}
    assert found == {
        (TOPICS.pings, "partitions", "8", "4", True),
        (TOPICS.profiles, "cleanup.policy", "delete", "compact", True),
        (TOPICS.outages, "replication factor", "1", "3", False),
        (TOPICS.outages, "min.insync.replicas", "1", "2", False),
        (TOPICS.rejects, "existence", "none", "the topic", True),
        (TOPICS.reports, "partitions", "3", "1", True),
    }


def test_the_plan_lists_every_topic_and_the_command_that_creates_it() -> None:
    layout = topic_layout(TOPICS, 4, 3, "app")
    text = plan_text(layout)
    for spec in layout:
        assert (
            f"kafka-topics.sh --bootstrap-server <broker> --create --topic {spec.name} --partitions "
            f"{spec.partitions} --replication-factor 3 --config cleanup.policy={spec.cleanup}"
        ) in text


def test_a_layout_just_created_is_checked_again_until_the_cluster_lists_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a cluster of several brokers the one asked next may not list a topic just created yet."""
    checks: list[int] = []
    missing = TopicLayoutError("topic p-pings is missing")

    async def created(kafka: object, specs: object) -> list[str]:
        return ["p-pings"]

    async def listed_on_the_third_look(kafka: object, specs: object) -> list[object]:
        checks.append(1)
        if len(checks) < 3:
            raise missing
        return []

    monkeypatch.setattr(layout, "create_layout", created)
    monkeypatch.setattr(layout, "check_layout", listed_on_the_third_look)
    kafka = KafkaConnection(bootstrap="127.0.0.1:1")
    asyncio.run(layout.ensure_layout(kafka, []))
    assert len(checks) == 3
    checks.clear()  # nothing created: a missing topic is missing, at once
    with pytest.raises(TopicLayoutError):
        asyncio.run(layout.ensure_layout(kafka, [], create=False))
    assert len(checks) == 1
