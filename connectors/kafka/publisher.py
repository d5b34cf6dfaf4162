"""One way to publish to the product's topics: keyed messages, answered once the broker has them all."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder

from connectors.kafka import clients
from connectors.kafka.connection import KafkaConnection


class Publisher:
    """An aiokafka producer with ``acks=all``: a completed ``send_all`` means every message is durable.

    Keys go through the client's default partitioner (murmur2), the partition of each store's state.
    """

    def __init__(self, kafka: KafkaConnection, linger_ms: int = 20) -> None:
        self.kafka = kafka
        self.linger_ms = linger_ms
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect; the client is made here because aiokafka binds it to the running loop."""
        self._producer = clients.producer(
            self.kafka,
            linger_ms=self.linger_ms,
            max_batch_size=1 << 20,
            max_request_size=8 << 20,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("the publisher is not started")
        return self._producer

    def batch(self) -> BatchBuilder:
        """An empty batch to fill with ``append`` and hand over with ``send_batch``."""
        return self._started().create_batch()

    async def send_batch(self, batch: BatchBuilder, topic: str, partition: int) -> asyncio.Future[Any]:
        """Queue a filled batch for ``partition`` (after the one queued before it has left); the future
        resolves once the broker has every record in it."""
        future: asyncio.Future[Any] = await self._started().send_batch(batch, topic, partition=partition)
        return future

    async def send_all(self, topic: str, messages: Iterable[tuple[str, bytes | None]]) -> int:
        """Send ``(key, value)`` messages without waiting on each, then wait until all are acknowledged.

        A value of None is a tombstone.
        """
        producer = self._started()
        futures = [await producer.send(topic, value, key=key.encode()) for key, value in messages]
        await asyncio.gather(*futures)
        return len(futures)
