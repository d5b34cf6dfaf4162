"""The topic layout against a real broker: created as planned, checked, refused with the reason."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from connectors.kafka import KafkaConnection
from connectors.kafka.admin import create_missing, describe_topics
from streams.layout import TopicLayoutError, check_layout, ensure_layout, planned_layout, topic_layout
from streams.topics import Topics

pytestmark = pytest.mark.kafka


def fresh() -> tuple[str, Topics]:
    name = f"t{uuid.uuid4().hex[:10]}"
    return name, Topics.with_prefix(name)


def test_the_layout_is_created_as_planned_and_a_second_start_changes_nothing(kafka: KafkaConnection) -> None:
    app_id, topics = fresh()

    async def scenario() -> None:
        layout = await planned_layout(kafka, topics, 3, None, app_id)
        assert {spec.replication for spec in layout} == {1}  # one broker: every broker
        await ensure_layout(kafka, layout)
        await ensure_layout(kafka, layout)  # a second worker starting
        held = await describe_topics(kafka, [spec.name for spec in layout])
        for spec in layout:
            state = held[spec.name]
            assert (state.partitions, state.replication) == (spec.partitions, 1), spec.name
            assert {key: state.config[key] for key in spec.config} == spec.config, spec.name

    asyncio.run(scenario())


def test_another_partition_count_or_cleanup_policy_stops_with_what_differs_and_the_fix(
    kafka: KafkaConnection,
) -> None:
    app_id, topics = fresh()
    other_id, others = fresh()

    async def scenario() -> None:
        await ensure_layout(kafka, topic_layout(topics, 3, 1, app_id))
        with pytest.raises(
            TopicLayoutError, match=rf"topic {topics.pings} has partitions 3, expected 4.*recreated"
        ):
            await ensure_layout(kafka, topic_layout(topics, 4, 1, app_id))
        # Made by someone else, uncompacted: the profiles would lose their latest values.
        await create_missing(
            kafka, [NewTopic(others.profiles, 3, 1, topic_configs={"cleanup.policy": "delete"})]
        )
        with pytest.raises(
            TopicLayoutError, match=rf"topic {others.profiles} has cleanup.policy delete, expected compact"
        ):
            await ensure_layout(kafka, topic_layout(others, 3, 1, other_id))

    asyncio.run(scenario())


def test_a_layout_the_cluster_refuses_to_create_is_one_clear_error(kafka: KafkaConnection) -> None:
    app_id, topics = fresh()
    with pytest.raises(
        TopicLayoutError, match=r"was refused: InvalidReplicationFactorError.*storemon topics create"
    ):
        asyncio.run(ensure_layout(kafka, topic_layout(topics, 3, 3, app_id)))  # three replicas, one broker


def test_checking_a_cluster_without_the_topics_reports_them_missing_and_creates_none(
    kafka: KafkaConnection,
) -> None:
    """The session's broker creates a topic a client merely asks about (auto.create.topics.enable, as
    Kafka's default is): a check that asked about each topic would make them, with the broker's
    defaults, and the layout could then never be created right."""
    app_id, topics = fresh()
    layout = topic_layout(topics, 3, 1, app_id)

    async def scenario() -> set[str]:
        with pytest.raises(TopicLayoutError, match=rf"topic {topics.pings} is missing"):
            await check_layout(kafka, layout)
        admin = AIOKafkaAdminClient(**kafka.client_options())
        await admin.start()
        try:
            held: set[str] = set()
            for _ in range(20):  # a broker creates an asked-about topic in the background: watch a while
                held |= set(await admin.list_topics())
                await asyncio.sleep(0.2)
            return held
        finally:
            await admin.close()

    assert not {spec.name for spec in layout} & asyncio.run(scenario())
