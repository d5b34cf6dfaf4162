"""Records that leave through a producer of their own rather than Faust's: episode records (outages,
silences), sent at once when the worker is live, and the state and history tables' changelog records;
all gathered into batches while the worker works off a backlog.

The tables' changelog writes are many and small, so Faust's producer lingers 50 ms to batch them. An
episode record is what alerts wait for, so each episode topic has a producer of its own. When the agent has
caught up with the record's partition, the record leaves at once; while one request is in flight,
the records that follow still gather into the next batch. Behind a backlog (a replay, a restart, a
burst) the alert is late by that backlog anyway: records then gather per partition for up to
``linger``, and every partition's batch leaves at the same tick, so the client sends them in one
request. A produce request costs the broker about a millisecond of CPU whatever it holds, and the
worker shares the machine with it; a replay of 10,000 stores sends its 33,000 outage records in
about 450 requests, and each record costs an append.

A record appended here costs a few microseconds; one through Faust's producer about 60 (its buffer,
its future per record, and a write of the changelog offset to RocksDB per acknowledgement), which is
why the state and history tables' records leave here too. A ``BatchOutcome`` hears, once per batch,
the last offset of each batch the broker acknowledged and the records of each it refused
(``streams.state.outbox`` sends these again).

Records of a partition leave in the order sent. Commits wait for them as for Faust's own records
(``streams.faust_internals.commits.Deliveries``), and first make every gathering batch leave, so none lingers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Sequence
from functools import partial
from typing import Any, Protocol

from aiokafka.producer.message_accumulator import BatchBuilder

from connectors.kafka.connection import KafkaConnection
from connectors.kafka.publisher import Publisher
from streams.faust_internals.commits import Deliveries

# Longest a record waits behind a backlog for others to share its batch.
LINGER = 0.1
log = logging.getLogger(__name__)
Record = tuple[bytes, bytes | None]


class _Gathering:
    """A partition's batch being filled, the future every record in it is delivered with, and its
    records when an outcome needs them."""

    __slots__ = ("batch", "delivered", "due", "records")

    def __init__(
        self, batch: BatchBuilder, delivered: asyncio.Future[Any], records: list[Record] | None
    ) -> None:
        self.batch = batch
        self.delivered = delivered
        self.due = False
        self.records = records


class BatchOutcome(Protocol):
    """Told what became of each batch: ``delivered`` (the broker has the partition's records through
    ``offset``) or ``refused`` (for good, after the client's own retries)."""

    def delivered(self, partition: int, offset: int, records: Sequence[Record]) -> None: ...

    def refused(self, partition: int, records: Sequence[Record]) -> None: ...


class EpisodeOut(Protocol):
    """Where episode records go; ``backlog``: many messages wait behind the one that made the record,
    so it may wait a moment to share a batch."""

    def __call__(self, *, key: bytes, value: bytes | None, partition: int, backlog: bool) -> None: ...


class RecordSender:
    """Sends each record to its store's partition, in the order sent; start before, stop after
    the agents that send; ``outcome`` is told what became of each batch."""

    def __init__(
        self,
        kafka: KafkaConnection,
        topic: str,
        deliveries: Deliveries,
        linger: float = LINGER,
        outcome: BatchOutcome | None = None,
    ) -> None:
        self.topic = topic
        self.outcome = outcome
        self.deliveries = deliveries
        self.linger = linger
        self.publisher = Publisher(kafka, linger_ms=0)
        self._gathering: dict[int, _Gathering] = {}
        self._full: defaultdict[int, deque[_Gathering]] = defaultdict(deque)
        self._senders: dict[int, asyncio.Task[None]] = {}
        self._tick: asyncio.TimerHandle | None = None  # when the gathering batches leave
        deliveries.before_flush.append(self.hurry)

    async def start(self) -> None:
        await self.publisher.start()

    async def stop(self) -> None:
        """Deliver what was sent, then close."""
        self.hurry()
        await asyncio.gather(*self._senders.values())
        await self.publisher.stop()

    def __call__(self, *, key: bytes, value: bytes | None, partition: int, backlog: bool = False) -> None:
        """Send one record; ``backlog``: many messages of its partition wait to be processed after the
        one that made it."""
        gathering = self._gathering.get(partition) or self._open(partition, backlog)
        if gathering.batch.append(key=key, value=value, timestamp=None) is None:
            # Full: it leaves as it is, and this record starts the next.
            self._full[partition].append(self._gathering.pop(partition))
            gathering = self._open(partition, backlog)
            gathering.batch.append(key=key, value=value, timestamp=None)
            self._wake(partition)
        if gathering.records is not None:
            gathering.records.append((key, value))
        if not backlog:
            gathering.due = True
            self._wake(partition)

    def hurry(self) -> None:
        """Every gathering batch leaves now (at the tick, before a commit, and when stopping)."""
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        for partition, gathering in self._gathering.items():
            gathering.due = True
            self._wake(partition)

    def _open(self, partition: int, backlog: bool) -> _Gathering:
        loop = asyncio.get_running_loop()
        records: list[Record] | None = None if self.outcome is None else []
        gathering = _Gathering(self.publisher.batch(), loop.create_future(), records)
        gathering.delivered.add_done_callback(partial(_log_failure, self.topic))
        self.deliveries.track(gathering.delivered)
        self._gathering[partition] = gathering
        if backlog and self._tick is None:
            self._tick = loop.call_later(self.linger, self.hurry)
        return gathering

    def _wake(self, partition: int) -> None:
        """Make sure the partition's due batches are being handed to the client."""
        sender = self._senders.get(partition)
        if sender is None or sender.done():
            self._senders[partition] = asyncio.get_running_loop().create_task(self._send(partition))

    def _next_due(self, partition: int) -> _Gathering | None:
        full = self._full[partition]
        if full:
            return full.popleft()
        gathering = self._gathering.get(partition)
        if gathering is not None and gathering.due:
            return self._gathering.pop(partition)
        return None

    async def _send(self, partition: int) -> None:
        """Hand the partition's due batches to the client one after another: the client takes a batch
        once the previous one has left, and meanwhile the next one fills."""
        while (gathering := self._next_due(partition)) is not None:
            delivered, count = gathering.delivered, gathering.batch.record_count()
            try:
                sent = await self.publisher.send_batch(gathering.batch, self.topic, partition)
            except Exception as error:
                delivered.set_exception(error)
                if self.outcome is not None:
                    self.outcome.refused(partition, gathering.records or [])
                continue
            if self.outcome is not None:
                sent.add_done_callback(
                    partial(_tell, self.outcome, partition, count, gathering.records or [])
                )
            sent.add_done_callback(partial(_settle, delivered))


def _settle(delivered: asyncio.Future[Any], sent: asyncio.Future[Any]) -> None:
    """The batch's outcome is its records'."""
    if sent.cancelled():
        delivered.cancel()
    elif (error := sent.exception()) is not None:
        delivered.set_exception(error)
    else:
        delivered.set_result(None)


def _tell(
    outcome: BatchOutcome, partition: int, count: int, records: list[Record], sent: asyncio.Future[Any]
) -> None:
    """The batch's outcome: the offset of its last record (the future's is its first's), or its records
    refused. A batch cancelled (the client stopping) is neither."""
    if sent.cancelled():
        return
    if sent.exception() is None:
        outcome.delivered(partition, sent.result().offset + count - 1, records)
    else:
        outcome.refused(partition, records)


def _log_failure(topic: str, delivered: asyncio.Future[Any]) -> None:
    if not delivered.cancelled() and (error := delivered.exception()) is not None:
        log.error("records for %s not delivered: %r", topic, error)
