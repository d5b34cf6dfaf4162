"""One follower of the outage topic serves every client: each gets every change after its position
once, in each partition's order, with the ids a reader of its own would send; a client from an older
position, or too slow for the notices kept, reads on its own until it reaches them. A record no
notice can be made of is passed over; none is made until a client wants it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry

from alerts.broadcast import EpisodeBroadcast
from alerts.feed import Notice, Position, Unread
from streams.outages.log import OUTAGE

PARTITIONS = 3


class MemoryTopic:
    """An outage topic in memory, read as ``alerts.feed.EpisodeFeed`` reads Kafka's."""

    def __init__(self) -> None:
        self.records: list[list[dict[str, str] | Unread]] = [[] for _ in range(PARTITIONS)]
        self.writing = True
        self.closing = 0.0
        self.closing_now = False

    def append(self, partition: int, readable: bool = True) -> None:
        """A change, or (not ``readable``) a record this version cannot read."""
        records = self.records[partition]
        if readable:
            records.append({"event": "opened", "store_id": f"s{len(records)}"})
        else:
            record = ConsumerRecord(
                "outages", partition, len(records), 0, 0, b"s/x", b"{not json", None, 3, 9, ()
            )
            records.append(Unread(record, OUTAGE))

    def end(self) -> Position:
        return Position(tuple(len(records) for records in self.records))

    def position(self, text: str) -> Position:
        return Position.parse(text, PARTITIONS)

    @asynccontextmanager
    async def reading(self, start: Position | None) -> AsyncIterator[MemoryReader]:
        yield MemoryReader(self, self.end() if start is None else start)
        self.closing_now = True
        await asyncio.sleep(self.closing)  # a consumer takes a moment to close
        self.closing_now = False


class MemoryReader:
    def __init__(self, topic: MemoryTopic, position: Position) -> None:
        self.topic = topic
        self.position = position

    async def read(self, timeout: float) -> list[Notice]:
        found = []
        for partition, records in enumerate(self.topic.records):
            for offset in range(self.position.offsets[partition], len(records))[:3]:
                self.position = self.position.after(partition, offset)
                found.append(Notice(self.position, records[offset], partition))
        if not found:
            await asyncio.sleep(min(timeout, 0.002))
        return found


@asynccontextmanager
async def following(broadcast: EpisodeBroadcast) -> AsyncIterator[None]:
    """The broadcast following its topic meanwhile, as the worker runs it (again after it stops)."""

    async def again() -> None:
        while True:
            await broadcast.follow()
            await asyncio.sleep(0.001)

    task = asyncio.create_task(again())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def expected_after(topic: MemoryTopic, start: Position) -> set[tuple[int, int]]:
    return {
        (partition, offset)
        for partition, records in enumerate(topic.records)
        for offset in range(start.offsets[partition], len(records))
        if isinstance(records[offset], dict)
    }


async def listen(broadcast: EpisodeBroadcast, topic: MemoryTopic, start: Position | None, slow: bool) -> bool:
    """Read until the end of the topic as it stands once writing stopped; check what came."""
    async with broadcast.reading(start) as listener:
        began = listener.position
        got: list[Notice] = []
        while listener.position != topic.end() or topic.writing:
            got += await listener.read(0.01)
            if slow:
                await asyncio.sleep(0.003)
    seen = [(notice.partition, notice.offset) for notice in got]
    assert len(seen) == len(set(seen)) and set(seen) == expected_after(topic, began)
    delivered: set[tuple[int, int]] = set()
    for before, notice in zip([None, *got], got, strict=False):
        assert before is None or before.position.joined(notice.position) == notice.position  # ids move on
        assert notice.body is topic.records[notice.partition][notice.offset]  # shared, not copied
        delivered.add((notice.partition, notice.offset))
        # Its id says the client has every change before it: resuming from it loses none.
        for partition in range(PARTITIONS):
            wanted = range(began.offsets[partition], notice.position.offsets[partition])
            records = topic.records[partition]
            assert all((partition, o) in delivered for o in wanted if isinstance(records[o], dict))
    return True


def gauge(registry: CollectorRegistry, name: str) -> float | None:
    return registry.get_sample_value(name)


def test_every_client_gets_every_change_after_its_position_once_whatever_its_start_and_pace() -> None:
    topic = MemoryTopic()
    rng = random.Random(7)
    registry = CollectorRegistry()
    broadcast = EpisodeBroadcast(topic, registry, kept=20)  # type: ignore[arg-type]

    async def scenario() -> list[bool]:
        for _ in range(30):
            topic.append(rng.randrange(PARTITIONS))
        async with following(broadcast):
            await asyncio.sleep(0.02)
            listeners = [
                asyncio.create_task(listen(broadcast, topic, start, slow))
                for start, slow in [
                    (None, False),
                    (Position((0, 0, 0)), False),  # older than any notice kept
                    (topic.end(), False),  # the position the broadcast stands at
                    (Position((2, 1, 0)), True),
                    (None, True),  # falls behind the notices kept, catches up alone
                ]
            ]
            for _ in range(400):
                topic.append(rng.randrange(PARTITIONS), readable=rng.random() > 0.1)
                if rng.random() < 0.3:
                    await asyncio.sleep(0.001)
            topic.writing = False
            return await asyncio.gather(*listeners)

    assert asyncio.run(scenario()) == [True] * 5
    assert gauge(registry, "storemon_event_readers") == 0 and gauge(registry, "storemon_event_clients") == 0


def test_clients_from_now_share_the_one_follower() -> None:
    topic = MemoryTopic()
    registry = CollectorRegistry()
    broadcast = EpisodeBroadcast(topic, registry)  # type: ignore[arg-type]

    async def scenario() -> tuple[float | None, float | None]:
        async with following(broadcast):
            await asyncio.sleep(0.01)
            async with broadcast.reading(None), broadcast.reading(None), broadcast.reading(None):
                return gauge(registry, "storemon_event_readers"), gauge(registry, "storemon_event_clients")

    assert asyncio.run(scenario()) == (1, 3)


def test_the_topic_is_followed_only_while_clients_listen_and_a_while_after() -> None:
    topic = MemoryTopic()
    registry = CollectorRegistry()
    broadcast = EpisodeBroadcast(topic, registry, keep_following=0.05)  # type: ignore[arg-type]

    async def scenario() -> list[float | None]:
        readers = []
        async with following(broadcast):
            for offset in range(30):
                topic.append(offset % PARTITIONS)
            await asyncio.sleep(0.02)
            readers.append(gauge(registry, "storemon_event_readers"))  # nobody listens: nothing read
            async with broadcast.reading(None) as listener:
                readers.append(gauge(registry, "storemon_event_readers"))
                topic.append(0)
                got = await listener.read(0.5)
                assert [notice.store_id for notice in got] == ["s10"]  # from when it came, not before
            await asyncio.sleep(0.02)
            readers.append(gauge(registry, "storemon_event_readers"))  # kept a while for a reconnect
            await asyncio.sleep(0.2)
            readers.append(gauge(registry, "storemon_event_readers"))
        return readers

    assert asyncio.run(scenario()) == [0, 1, 1, 0]
    assert broadcast.notices == []


def test_a_client_arriving_while_the_follower_stops_is_served_by_the_next_reading() -> None:
    topic = MemoryTopic()
    topic.closing = 0.05
    broadcast = EpisodeBroadcast(topic, CollectorRegistry(), keep_following=0.01)  # type: ignore[arg-type]

    async def scenario() -> list[str | None]:
        async with following(broadcast):
            async with broadcast.reading(None):
                pass
            while not topic.closing_now:  # the follower gives up, its reader closing
                await asyncio.sleep(0.001)
            async with broadcast.reading(None) as listener:
                topic.append(1)
                got = await listener.read(1.0)
                assert listener.alone is None  # served by the follower's next reading
                return [notice.store_id for notice in got]

    assert asyncio.run(scenario()) == ["s0"]
