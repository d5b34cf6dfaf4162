"""The outage and silence topics read from a position: what the event stream reads (the webhook and
the notification channels read them in consumer groups of their own, ``alerts.delivery``).

A position is the next offset of every partition of the topics, the outage topic's first. It is
written as the event id of each event sent (``12.0.7.3.0.4.1.2``: outage partition 0 at 12, 1 at 0,
..., then the silence topic's), so a client that reconnects with ``Last-Event-ID``, to this worker or
another, resumes exactly after the last event it saw. The records live in Kafka, so nothing a
restart loses is needed to resume. An id of the outage topic alone (given before silences were
published) resumes the outages there and the silences from now on.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from connectors.kafka import clients
from connectors.kafka.connection import KafkaConnection
from streams.contract.messages import compact_json
from streams.episode_log import EpisodeKind, EpisodeLogError

# In an id that names fewer partitions than the topics have, the offsets it lacks: from now on.
FROM_NOW = -1

log = logging.getLogger(__name__)


class BadPosition(ValueError):
    pass


@dataclass(frozen=True)
class Position:
    offsets: tuple[int, ...]

    @classmethod
    def parse(cls, text: str, partitions: int, first: int | None = None) -> Position:
        """An id naming ``partitions`` offsets, or only the ``first`` ones (the rest from now on)."""
        try:
            offsets = tuple(int(part) for part in text.split("."))
        except ValueError:
            raise BadPosition(f"not an event id of this stream: {text!r}") from None
        if len(offsets) not in (partitions, first) or min(offsets) < 0:
            raise BadPosition(f"event id {text!r} does not name {partitions} partitions")
        return cls(offsets + (FROM_NOW,) * (partitions - len(offsets)))

    def within(self, low: Position, high: Position) -> bool:
        """At or after ``low`` and at or before ``high`` in every partition."""
        return all(a <= b <= c for a, b, c in zip(low.offsets, self.offsets, high.offsets, strict=True))

    def joined(self, other: Position) -> Position:
        """The later offset of each partition: where a reader stands that has read up to both. Either
        itself, when it holds the later of each, so a notice's position is shared, not copied."""
        if all(a >= b for a, b in zip(self.offsets, other.offsets, strict=True)):
            return self
        if all(a <= b for a, b in zip(self.offsets, other.offsets, strict=True)):
            return other
        return Position(tuple(map(max, self.offsets, other.offsets)))

    def after(self, partition: int, offset: int) -> Position:
        offsets = self.offsets
        return Position((*offsets[:partition], offset + 1, *offsets[partition + 1 :]))

    def __str__(self) -> str:
        return ".".join(map(str, self.offsets))


@dataclass(frozen=True)
class Unread:
    """A record of an episode topic as read, its notice not made yet."""

    record: ConsumerRecord[bytes, bytes]
    kind: EpisodeKind


@dataclass(frozen=True)
class Notice:
    """One outage or silence change as listeners see it, the position just after it, and the place
    in the position of the partition it came from. Its body is made from the record when a listener
    first asks: a worker that no event-stream client follows only moves its position on."""

    position: Position
    source: dict[str, Any] | Unread  # the body, or the record to make it from
    partition: int = 0

    @cached_property
    def body(self) -> dict[str, Any] | None:
        """What the change tells a listener; None for a record this version cannot read (logged once)."""
        source = self.source
        return readable_notice(source.record, source.kind) if isinstance(source, Unread) else source

    @property
    def event(self) -> str:
        return str(self._body["event"])

    @property
    def store_id(self) -> str | None:
        return self._body.get("store_id")

    @property
    def _body(self) -> dict[str, Any]:
        body = self.body
        if body is None:
            raise ValueError("an unreadable record has no notice")
        return body

    @property
    def offset(self) -> int:
        return self.position.offsets[self.partition] - 1

    @cached_property
    def frame(self) -> bytes:
        """The notice as a Server-Sent Events frame, its position the event id: made once, however
        many clients it is sent to."""
        body = self._body
        data = compact_json(body).decode()
        return f"id: {self.position}\nevent: {body['kind']}.{self.event}\ndata: {data}\n\n".encode()


def readable_notice(record: ConsumerRecord[bytes, bytes], kind: EpisodeKind) -> dict[str, Any] | None:
    """What a record of ``kind``'s topic tells a listener; None (logged) for one this version cannot read."""
    try:
        return kind.notice_of(record.key or b"", record.value)
    except EpisodeLogError as error:
        log.error(
            "skipping %s record at %s:%d:%d: %s",
            kind.name,
            record.topic,
            record.partition,
            record.offset,
            error,
        )
        return None


@dataclass(frozen=True)
class EpisodeTopic:
    name: str
    kind: EpisodeKind


class EpisodeReader:
    """A consumer of every partition of the episode topics, outside any consumer group."""

    def __init__(self, consumer: AIOKafkaConsumer, position: Position, feed: EpisodeFeed) -> None:
        self.consumer = consumer
        self.position = position
        self.feed = feed

    async def read(self, timeout: float) -> list[Notice]:
        """The next notices, in each partition's order, unread ones included (``Notice.body``); empty
        when none came within ``timeout`` seconds."""
        batches = await self.consumer.getmany(timeout_ms=int(timeout * 1000))
        found = []
        for tp, records in sorted(batches.items(), key=lambda item: self.feed.place(item[0])):
            place, kind = self.feed.place(tp), self.feed.kinds[tp.topic]
            for record in records:
                self.position = self.position.after(place, record.offset)
                found.append(Notice(self.position, Unread(record, kind), place))
        return found


@dataclass(frozen=True)
class EpisodeFeed:
    kafka: KafkaConnection
    topics: tuple[EpisodeTopic, ...]  # in the order of their partitions in a position
    partitions: int

    @cached_property
    def kinds(self) -> dict[str, EpisodeKind]:
        return {topic.name: topic.kind for topic in self.topics}

    @cached_property
    def _places(self) -> dict[str, int]:
        return {topic.name: index * self.partitions for index, topic in enumerate(self.topics)}

    def place(self, tp: TopicPartition) -> int:
        """Where the partition's offset stands in a position."""
        return self._places[tp.topic] + int(tp.partition)

    def position(self, text: str) -> Position:
        return Position.parse(text, len(self.topics) * self.partitions, self.partitions)

    @asynccontextmanager
    async def reading(self, start: Position | None) -> AsyncIterator[EpisodeReader]:
        """A reader from ``start`` (None: from now on). A position past the log's end, which this
        log cannot have given (an id kept from a deployment since wiped or recreated), reads from
        now on too: read from where it says, it would mix that position with real ones."""
        consumer = clients.consumer(self.kafka)
        await consumer.start()
        try:
            tps = [TopicPartition(topic.name, p) for topic in self.topics for p in range(self.partitions)]
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            now = Position(tuple(ends[tp] for tp in tps))
            if start is None or any(
                offset > end for offset, end in zip(start.offsets, now.offsets, strict=True)
            ):
                start = now
            else:
                offsets = zip(start.offsets, now.offsets, strict=True)
                start = Position(tuple(end if offset == FROM_NOW else offset for offset, end in offsets))
            for tp, offset in zip(tps, start.offsets, strict=True):
                consumer.seek(tp, offset)  # below the log's start (compacted away): from its start
            yield EpisodeReader(consumer, start, self)
        finally:
            await consumer.stop()
