"""The topic layout the product needs, and a cluster made to hold it: planned, created, checked.

Every topic the product uses is here, the tables' changelogs and the repartition topics included, with
its partitions, replication factor and configuration. An operator with admin rights creates it
(``storemon topics create``, or by hand from ``storemon topics plan``); the product then runs without
the right to create topics. A worker checks the layout when it starts: a difference that would make
it wrong (a missing topic, another partition count, another cleanup policy) stops it with one line
saying what differs and how to fix it; a weaker replication is logged.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiokafka.admin import NewTopic

from connectors.kafka import KafkaConnection
from connectors.kafka.admin import (
    TopicCreationError,
    TopicState,
    broker_count,
    create_missing,
    describe_topics,
)
from streams.state.tables import HISTORY_TABLE, PROFILES_TABLE, STATES_TABLE
from streams.topics import Topics

log = logging.getLogger(__name__)

DEFAULT_REPLICATION = 3
# Checks of a layout just created, a quarter second apart: brokers learn of new topics within moments.
CHECK_ATTEMPTS = 40
COMPACT, DELETE = "compact", "delete"
# Outage and silence records stay uncompacted for a week, so a listener resuming from a position
# within it sees every change, not only each one's latest.
WEEK_MS = str(7 * 24 * 3600 * 1000)


class TopicLayoutError(RuntimeError):
    """The cluster does not hold the layout the product needs; the message says what and how to fix it."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int
    cleanup: str
    purpose: str
    extra: dict[str, str] = field(default_factory=dict)
    # Whether another partition count makes the product wrong: it does for the keyed topics (a store's
    # state lives in its partition) and the reports log (read from its one partition), not the rejects.
    exact_partitions: bool = True

    @property
    def config(self) -> dict[str, str]:
        """Every setting the product makes the topic with."""
        in_sync = str(max(1, self.replication - 1))
        return {"cleanup.policy": self.cleanup, "min.insync.replicas": in_sync, **self.extra}

    def new_topic(self) -> NewTopic:
        return NewTopic(self.name, self.partitions, self.replication, topic_configs=self.config)

    def create_command(self) -> str:
        """The same topic made with Kafka's own tool."""
        configs = " ".join(f"--config {key}={value}" for key, value in self.config.items())
        return (
            f"kafka-topics.sh --bootstrap-server <broker> --create --topic {self.name} "
            f"--partitions {self.partitions} --replication-factor {self.replication} {configs}"
        )


def changelog_topics(app_id: str) -> list[str]:
    """The worker's tables' changelog topics, as Faust names them."""
    return [f"{app_id}-{table}-changelog" for table in (STATES_TABLE, PROFILES_TABLE, HISTORY_TABLE)]


def replication_for(configured: int | None, brokers: int) -> int:
    """The replication factor: the one configured, else three or every broker when there are fewer."""
    return configured if configured is not None else min(DEFAULT_REPLICATION, brokers)


def topic_layout(topics: Topics, partitions: int, replication: int, app_id: str | None) -> list[TopicSpec]:
    """Every topic the product uses; without ``app_id`` (a replay), not the worker's changelogs.

    The keyed topics and the changelogs are co-partitioned: a store's state lives in the partition its
    id chooses, on every one of them.
    """

    def spec(name: str, count: int, cleanup: str, purpose: str, **extra: str) -> TopicSpec:
        return TopicSpec(name, count, replication, cleanup, purpose, dict(extra))

    specs = [
        spec(topics.pings, partitions, DELETE, "pings, keyed by store"),
        spec(topics.profiles, partitions, COMPACT, "store profiles, keyed by store"),
        spec(topics.pings_repartition, partitions, DELETE, "pings forwarded to their store's partition"),
        spec(
            topics.profiles_repartition, partitions, COMPACT, "profiles forwarded to their store's partition"
        ),
        spec(
            topics.outages,
            partitions,
            COMPACT,
            "outages, keyed by store and start",
            **{"min.compaction.lag.ms": WEEK_MS},
        ),
        spec(
            topics.silences,
            partitions,
            COMPACT,
            "silences, keyed by store and start",
            **{"min.compaction.lag.ms": WEEK_MS},
        ),
        TopicSpec(
            topics.rejects, 1, replication, DELETE, "rejected input, with its reason", exact_partitions=False
        ),
        spec(topics.reports, 1, COMPACT, "reports and their CSV, shared by every worker"),
    ]
    if app_id is not None:
        specs += [spec(name, partitions, COMPACT, "a table's changelog") for name in changelog_topics(app_id)]
    return specs


def plan_text(specs: list[TopicSpec]) -> str:
    """The layout for a person: a table, then the commands that create it."""
    rows = [("topic", "partitions", "replication", "cleanup", "configuration", "holds")]
    for spec in specs:
        config = ", ".join(f"{key}={value}" for key, value in spec.config.items() if key != "cleanup.policy")
        rows.append(
            (spec.name, str(spec.partitions), str(spec.replication), spec.cleanup, config, spec.purpose)
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    table = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join([*table, "", *(spec.create_command() for spec in specs)]) + "\n"


@dataclass(frozen=True)
class Difference:
    topic: str
    setting: str
    found: str
    expected: str
    fatal: bool  # the product would be wrong on it, not only less safe

    def __str__(self) -> str:
        if self.setting == "existence":
            return f"topic {self.topic} is missing"
        return f"topic {self.topic} has {self.setting} {self.found}, expected {self.expected}"


def differences(specs: list[TopicSpec], existing: dict[str, TopicState]) -> list[Difference]:
    """How the cluster's topics differ from the layout."""
    found: list[Difference] = []
    for spec in specs:
        state = existing.get(spec.name)
        if state is None:
            found.append(Difference(spec.name, "existence", "none", "the topic", fatal=True))
            continue
        if spec.exact_partitions and state.partitions != spec.partitions:
            found.append(
                Difference(spec.name, "partitions", str(state.partitions), str(spec.partitions), True)
            )
        if state.config.get("cleanup.policy") != spec.cleanup:
            shown = state.config.get("cleanup.policy", "unknown")
            found.append(Difference(spec.name, "cleanup.policy", shown, spec.cleanup, True))
        if state.replication < spec.replication:
            found.append(
                Difference(
                    spec.name, "replication factor", str(state.replication), str(spec.replication), False
                )
            )
        for key, value in spec.config.items():
            if key != "cleanup.policy" and state.config.get(key) != value:
                found.append(Difference(spec.name, key, state.config.get(key, "unset"), value, False))
    return found


async def planned_layout(
    kafka: KafkaConnection, topics: Topics, partitions: int, replication: int | None, app_id: str | None
) -> list[TopicSpec]:
    """The layout, the replication factor asked of the cluster when none is configured."""
    replicas = replication_for(replication, await broker_count(kafka) if replication is None else 0)
    return topic_layout(topics, partitions, replicas, app_id)


async def create_layout(kafka: KafkaConnection, specs: list[TopicSpec]) -> list[str]:
    """Create the topics of the layout that are missing; their names."""
    try:
        return await create_missing(kafka, [spec.new_topic() for spec in specs])
    except TopicCreationError as error:
        raise TopicLayoutError(
            f"{error}; an administrator can create the layout with `storemon topics create` "
            "(`storemon topics plan` prints it)"
        ) from None


async def check_layout(kafka: KafkaConnection, specs: list[TopicSpec]) -> list[Difference]:
    """Every difference between the cluster and the layout; raises ``TopicLayoutError`` on one the
    product would be wrong with, naming each and the fix; logs the others."""
    found = differences(specs, await describe_topics(kafka, [spec.name for spec in specs]))
    fatal = [str(difference) for difference in found if difference.fatal]
    if fatal:
        raise TopicLayoutError(
            "; ".join(fatal) + ". Create the missing topics with `storemon topics create`; a topic with "
            "another partition count or cleanup policy must be recreated or reconfigured as "
            "`storemon topics plan` prints, or the settings changed to match it"
        )
    for difference in found:
        log.warning("%s; the product runs, but not as the layout plans (`storemon topics plan`)", difference)
    return found


async def ensure_layout(kafka: KafkaConnection, specs: list[TopicSpec], create: bool = True) -> None:
    """Make the cluster hold the layout (creating what is missing when ``create``), then check it.

    In a cluster of several brokers, the one asked next may not list topics another has just created
    for a moment: a check right after creating is tried again for a while before it fails."""
    created = await create_layout(kafka, specs) if create else []
    for attempt in range(CHECK_ATTEMPTS):
        try:
            await check_layout(kafka, specs)
            return
        except TopicLayoutError:
            if not created or attempt == CHECK_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.25)
