"""At-least-once delivery of the outage and silence topics to something outside the product: the loop
the webhook and every notification channel share.

Each destination reads the topics in a consumer group of its own, so a slow or failing one delays
neither ingestion nor any other destination. A partition's offset is committed only once every
record before it was handled, so a worker restart hands again whatever was not; a store's changes
of a kind share a partition, so they reach a destination in order.
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition

from alerts.feed import EpisodeTopic, readable_notice
from connectors.kafka import clients
from connectors.kafka.connection import KafkaConnection

log = logging.getLogger(__name__)
# What a fetch that may wait gathers before the broker answers it sooner.
GATHER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5
    most: float = 60.0

    def delay(self, attempt: int) -> float:
        """Exponential, capped, with full jitter over its upper half so retrying workers spread out."""
        return float(min(self.most, self.first * 2**attempt) * random.uniform(0.5, 1.0))


class FromSince(ConsumerRebalanceListener):  # type: ignore[misc]
    """Starts a partition the group has never committed at the records written since ``since``
    (Unix seconds), not at the log's beginning: a destination added to a running deployment is not
    sent the changes of the weeks the compacted topics still hold."""

    def __init__(self, consumer: AIOKafkaConsumer, since: float) -> None:
        self.consumer = consumer
        self.since_ms = int(since * 1000)

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """The start is committed at once: a restart before the first record was handled resumes
        there, not at its own (later) start, which would skip what was written in between."""
        fresh = [tp for tp in assigned if await self.consumer.committed(tp) is None]
        if not fresh:
            return
        found = await self.consumer.offsets_for_times({tp: self.since_ms for tp in fresh})
        ends = await self.consumer.end_offsets(fresh)
        starts = {tp: ends[tp] if found.get(tp) is None else found[tp].offset for tp in fresh}
        for tp, offset in starts.items():
            self.consumer.seek(tp, offset)
        await self.consumer.commit(starts)


class FeedDelivery(ABC):
    """Hands each readable outage and silence notice to ``handle``, in order per partition."""

    def __init__(
        self,
        kafka: KafkaConnection,
        topics: tuple[EpisodeTopic, ...],
        group: str,
        backoff: Backoff,
        new_group_since: float | None = None,
        gather: float = 0.0,
    ) -> None:
        self.kafka = kafka
        self.kinds = {topic.name: topic.kind for topic in topics}
        self.group = group
        self.backoff = backoff
        # None: a group without commits starts at the topics' beginning (a program catches up on
        # everything); else at what was written since then.
        self.new_group_since = new_group_since
        # Seconds the broker may hold a fetch to gather more records: fewer, fuller fetches while
        # many changes are written, at most this much later while few are.
        self.gather = gather

    @abstractmethod
    async def handle(self, notices: list[tuple[dict[str, Any], float]]) -> None:
        """Deliver a partition's next notices, in order, each with when the worker wrote it (Unix
        seconds), retrying until done with them; returning is what lets their offsets be committed."""

    async def pause(self, attempt: int, what: str, why: object) -> None:
        delay = self.backoff.delay(attempt)
        log.warning("%s failed (%s); retrying in %.1f s", what, why, delay)
        await asyncio.sleep(delay)

    async def run(self) -> None:
        """Deliver until cancelled; offsets are committed once the records before them were handled.

        A failure (the broker gone, a commit refused after a rebalance) ends the run; what was not
        committed is delivered again by the next run, here or on the worker that took the partition.
        """
        gathering = {"fetch_max_wait_ms": int(self.gather * 1000), "fetch_min_bytes": GATHER_BYTES}
        consumer = clients.consumer(
            self.kafka, group_id=self.group, max_poll_records=100, **(gathering if self.gather else {})
        )
        if self.new_group_since is None:
            consumer.subscribe(list(self.kinds))
        else:
            consumer.subscribe(list(self.kinds), listener=FromSince(consumer, self.new_group_since))
        await consumer.start()
        committing: asyncio.Task[None] | None = None
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                if not batches:
                    continue
                # Partitions at once, each in order.
                await asyncio.gather(*(self._handle_all(records) for records in batches.values()))
                # Only after every one was handled (a crash before this hands them all again), and in
                # the background: the next batch is fetched meanwhile, commits stay in order.
                if committing is not None:
                    await committing
                offsets = {
                    TopicPartition(tp.topic, tp.partition): records[-1].offset + 1
                    for tp, records in batches.items()
                }
                committing = asyncio.ensure_future(consumer.commit(offsets))
        finally:
            if committing is not None and not committing.done():
                with suppress(Exception):
                    await committing
            await consumer.stop()

    async def _handle_all(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """One partition's records, in order; ``timestamp`` is when the worker wrote each."""
        notices = []
        for record in records:
            body = readable_notice(record, self.kinds[record.topic])
            if body is not None:
                notices.append((body, record.timestamp / 1000))
        if notices:
            await self.handle(notices)
