"""The product's topics: their names, their creation with explicit partition counts, their declaration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import faust
from aiokafka.admin import NewTopic

from connectors.kafka import create_missing

COMPACTED = {"cleanup.policy": "compact"}
# Outage records stay uncompacted for a week, so a listener resuming from a position within it
# sees every change, not only each outage's latest.
OUTAGES_CONFIG = {**COMPACTED, "min.compaction.lag.ms": str(7 * 24 * 3600 * 1000)}


class TopicLayoutError(RuntimeError):
    pass


@dataclass(frozen=True)
class Topics:
    """Names of the product's topics.

    Producers write ``pings`` and ``profiles`` with any partitioner. The worker forwards a message that
    is not in its store's partition (murmur2 of the store id, as Java clients and aiokafka choose) to
    the matching ``*-repartition`` topic, so every store has one state whoever produced its pings.
    """

    pings: str
    profiles: str
    rejects: str
    reports: str
    pings_repartition: str
    profiles_repartition: str
    outages: str

    @classmethod
    def with_prefix(cls, prefix: str) -> Topics:
        return cls(
            f"{prefix}-pings",
            f"{prefix}-profiles",
            f"{prefix}-rejects",
            f"{prefix}-reports",
            f"{prefix}-pings-repartition",
            f"{prefix}-profiles-repartition",
            f"{prefix}-outages",
        )

    @property
    def consumed(self) -> list[str]:
        """What the worker's agents read: the sources and their repartition topics."""
        return [self.pings, self.profiles, self.pings_repartition, self.profiles_repartition]

    @property
    def keyed(self) -> list[str]:
        """The topics partitioned like the tables: what the agents read, and the outages they write."""
        return [*self.consumed, self.outages]


@dataclass(frozen=True)
class Stream:
    """One kind of input as the worker reads it: from its source topic and its repartition topic."""

    channel: faust.TopicT  # both topics, co-partitioned: an agent reads them as one stream
    source: str
    repartition: faust.TopicT


@dataclass(frozen=True)
class SourceTopics:
    """The worker's co-partitioned input streams, declared on its Faust app."""

    pings: Stream
    profiles: Stream

    @classmethod
    def declare(cls, app: faust.App, topics: Topics, partitions: int) -> SourceTopics:
        # Bytes in and out: the wire format (streams.contract.messages) has its own encoding.
        def raw(*names: str) -> faust.TopicT:
            return app.topic(*names, partitions=partitions, key_serializer="raw", value_serializer="raw")

        def stream(source: str, repartition: str) -> Stream:
            return Stream(raw(source, repartition), source, raw(repartition))

        return cls(
            stream(topics.pings, topics.pings_repartition),
            stream(topics.profiles, topics.profiles_repartition),
        )


async def ensure_topics(
    bootstrap: str, topics: Topics, partitions: int, changelogs: Sequence[str] = ()
) -> None:
    """Create the topics if missing; pings, profiles, their repartition topics, outages and the tables'
    changelogs are co-partitioned, profiles, outages, changelogs and the reports log compacted.

    The worker passes its tables' changelogs: left to Faust, they are created while its agents
    start, and an agent that checks a changelog before its metadata has settled sees 0 partitions
    and crashes. An existing topic with another partition count is an error: the tables would stop
    lining up with their source partitions.
    """
    wanted = [
        NewTopic(topics.pings, partitions, 1),
        NewTopic(topics.profiles, partitions, 1, topic_configs=COMPACTED),
        NewTopic(topics.pings_repartition, partitions, 1),
        NewTopic(topics.profiles_repartition, partitions, 1, topic_configs=COMPACTED),
        NewTopic(topics.outages, partitions, 1, topic_configs=OUTAGES_CONFIG),
        NewTopic(topics.rejects, 1, 1),
        NewTopic(topics.reports, 1, 1, topic_configs=COMPACTED),
        *(NewTopic(name, partitions, 1, topic_configs=COMPACTED) for name in changelogs),
    ]
    counts = await create_missing(bootstrap, wanted, [*topics.keyed, *changelogs])
    for name, count in counts.items():
        if count != partitions:
            raise TopicLayoutError(f"topic {name} has {count} partitions, expected {partitions}")
