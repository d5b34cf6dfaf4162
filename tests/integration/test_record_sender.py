"""The outage producer against the real broker: records in their partition, in order, tracked until
acknowledged; sent at once when live, gathered into one batch behind a backlog."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from connectors.kafka import KafkaConnection
from streams.faust_internals.commits import Deliveries
from streams.layout import ensure_layout, topic_layout
from streams.sender import BatchOutcome, RecordSender
from streams.topics import Topics

pytestmark = pytest.mark.kafka

Record = tuple[bytes, bytes | None]


class Recorded(Deliveries):
    """Deliveries that also keep every future they were given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[asyncio.Future[object]] = []

    def track(self, future: asyncio.Future[object]) -> None:
        self.given.append(future)
        super().track(future)


async def _read(kafka: KafkaConnection, topic: str, partition: int, count: int) -> list[Record]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, partition)])
        found: list[Record] = []
        while len(found) < count:
            batches = await consumer.getmany(timeout_ms=10_000)
            assert batches, "no record within 10 s"
            found += [(r.key or b"", r.value) for records in batches.values() for r in records]
        return found
    finally:
        await consumer.stop()


def _with_sender(
    kafka: KafkaConnection,
    linger: float,
    scenario: Callable[[RecordSender, Recorded, str], Awaitable[None]],
    outcome: BatchOutcome | None = None,
) -> None:
    topics = Topics.with_prefix(f"t{uuid.uuid4().hex[:10]}")

    async def run() -> None:
        await ensure_layout(kafka, topic_layout(topics, 2, 1, None))
        deliveries = Recorded()
        sender = RecordSender(kafka, topics.outages, deliveries, linger=linger, outcome=outcome)
        await sender.start()
        try:
            await scenario(sender, deliveries, topics.outages)
        finally:
            await sender.stop()

    asyncio.run(run())


def test_live_records_land_in_their_partition_in_order_and_are_tracked_until_acknowledged(
    kafka: KafkaConnection,
) -> None:
    sent: list[Record] = [(b"store-a/1", b"opened"), (b"store-a/1", b"closed"), (b"store-a/2", None)]

    async def scenario(sender: RecordSender, deliveries: Recorded, topic: str) -> None:
        for key, value in sent:
            sender(key=key, value=value, partition=1, backlog=False)
        assert deliveries.unacknowledged, "records sent are tracked until the broker has them"
        await asyncio.wait_for(asyncio.gather(*deliveries.given), 30)
        assert not deliveries.unacknowledged
        assert await _read(kafka, topic, 1, len(sent)) == sent

    _with_sender(kafka, 60.0, scenario)  # live records never wait for the linger


def test_records_behind_a_backlog_share_one_batch_and_a_commit_hurries_it(kafka: KafkaConnection) -> None:
    sent: list[Record] = [(b"store-b/%d" % i, b"closed %d" % i) for i in range(50)]

    async def scenario(sender: RecordSender, deliveries: Recorded, topic: str) -> None:
        for key, value in sent:
            sender(key=key, value=value, partition=0, backlog=True)
        assert len(deliveries.given) == 1, "one batch gathers them all"
        await asyncio.sleep(0.5)
        assert not deliveries.given[0].done(), "the batch lingers"
        for hurry in deliveries.before_flush:  # what a commit does first
            hurry()
        await asyncio.wait_for(deliveries.given[0], 30)
        assert await _read(kafka, topic, 0, len(sent)) == sent

    _with_sender(kafka, 60.0, scenario)


def test_batches_gathering_in_several_partitions_leave_together_at_the_first_tick(
    kafka: KafkaConnection,
) -> None:
    """So the client sends them in one request: one linger for the sender, not one per partition."""

    async def scenario(sender: RecordSender, deliveries: Recorded, topic: str) -> None:
        sender(key=b"store-d/0", value=b"opened", partition=0, backlog=True)
        tick = sender._tick
        assert tick is not None, "partition 0's batch waits for a tick"
        sender(key=b"store-d/1", value=b"opened", partition=1, backlog=True)
        assert sender._tick is tick, "partition 1's batch waits for the same tick, not one of its own"
        await asyncio.wait_for(asyncio.gather(*deliveries.given), 30)
        assert sender._tick is None, "both left when that one tick fired"
        assert await _read(kafka, topic, 0, 1) == [(b"store-d/0", b"opened")]
        assert await _read(kafka, topic, 1, 1) == [(b"store-d/1", b"opened")]

    _with_sender(kafka, 0.5, scenario)


def test_a_full_batch_leaves_at_once_and_a_live_record_takes_the_lingering_one_along(
    kafka: KafkaConnection,
) -> None:
    big = b"x" * 300_000  # batches hold 1 MiB: the fourth record starts the next one
    sent: list[Record] = [(b"store-c/%d" % i, big) for i in range(4)]
    sent.append((b"store-c/live", b"closed"))

    async def scenario(sender: RecordSender, deliveries: Recorded, topic: str) -> None:
        for key, value in sent[:4]:
            sender(key=key, value=value, partition=1, backlog=True)
        assert len(deliveries.given) == 2
        await asyncio.wait_for(deliveries.given[0], 30)
        assert not deliveries.given[1].done(), "the second batch lingers"
        key, value = sent[4]
        sender(key=key, value=value, partition=1, backlog=False)
        assert len(deliveries.given) == 2, "the live record joins the lingering batch"
        await asyncio.wait_for(deliveries.given[1], 30)
        assert await _read(kafka, topic, 1, len(sent)) == sent

    _with_sender(kafka, 60.0, scenario)


def test_each_acknowledged_batch_tells_its_last_offset_and_records_before_they_count_delivered(
    kafka: KafkaConnection,
) -> None:
    heard: list[tuple[int, int, list[Record], bool]] = []
    given: list[asyncio.Future[object]] = []

    class Outcome:
        def delivered(self, partition: int, offset: int, records: Sequence[Record]) -> None:
            heard.append((partition, offset, list(records), given[-1].done()))

        def refused(self, partition: int, records: Sequence[Record]) -> None:
            raise AssertionError(f"refused {records}")

    sent: list[Record] = [(b"store-e/%d" % i, b"v%d" % i) for i in range(5)]

    async def scenario(sender: RecordSender, deliveries: Recorded, topic: str) -> None:
        for batch in (sent[:3], sent[3:]):
            for key, value in batch:
                sender(key=key, value=value, partition=1, backlog=True)
            given.append(deliveries.given[-1])
            sender.hurry()
            await asyncio.wait_for(given[-1], 30)
        assert heard == [(1, 2, sent[:3], False), (1, 4, sent[3:], False)]
        assert await _read(kafka, topic, 1, 5) == sent

    _with_sender(kafka, 60.0, scenario, Outcome())


def test_a_sender_not_started_refuses() -> None:
    async def scenario() -> None:
        sender = RecordSender(KafkaConnection(bootstrap="127.0.0.1:9"), "outages", Deliveries())
        with pytest.raises(RuntimeError, match="not started"):
            sender(key=b"k", value=b"v", partition=0, backlog=False)

    asyncio.run(scenario())
