"""The product's topics: their names, and the worker's input streams declared on its Faust app.

What the cluster must hold of them (partitions, replication, cleanup) is ``streams.layout``.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust


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
    silences: str

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
            f"{prefix}-silences",
        )

    @property
    def consumed(self) -> list[str]:
        """What the worker's agents read: the sources and their repartition topics."""
        return [self.pings, self.profiles, self.pings_repartition, self.profiles_repartition]

    @property
    def keyed(self) -> list[str]:
        """The topics partitioned like the tables: what the agents read, and the episodes they write."""
        return [*self.consumed, self.outages, self.silences]


@dataclass(frozen=True)
class Stream:
    """One kind of input as the worker reads it: from its source topic and its repartition topic."""

    channel: faust.TopicT  # both topics, co-partitioned: an agent reads them as one stream
    source: str
    repartition: faust.TopicT


@dataclass(frozen=True)
class WorkerTopics:
    """The worker's topics on its Faust app: its co-partitioned input streams, and where it keeps what
    it refuses."""

    pings: Stream
    profiles: Stream
    rejects: faust.TopicT

    @classmethod
    def declare(cls, app: faust.App, topics: Topics, partitions: int) -> WorkerTopics:
        # Bytes in and out: the wire format (streams.contract.messages) has its own encoding.
        def raw(*names: str) -> faust.TopicT:
            return app.topic(*names, partitions=partitions, key_serializer="raw", value_serializer="raw")

        def stream(source: str, repartition: str) -> Stream:
            return Stream(raw(source, repartition), source, raw(repartition))

        return cls(
            stream(topics.pings, topics.pings_repartition),
            stream(topics.profiles, topics.profiles_repartition),
            app.topic(topics.rejects, partitions=1, key_serializer="raw", value_serializer="raw"),
        )
