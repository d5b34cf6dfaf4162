"""Outage records sent as soon as they are derived, not after the changelogs' linger.

The tables' changelog writes are many and small, so Faust's producer lingers 50 ms to batch them. An
outage record is what alerts wait for, so it goes through a producer of its own that does not linger:
while one of its requests is in flight, the records that follow still gather into one batch. Lowering
the shared linger instead slowed live ingestion and raised the changelog's bytes per ping (see
README). Commits wait for its records as for Faust's own (``streams.commits.Deliveries``).
"""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from streams.commits import Deliveries


class OutageSender:
    """Sends each outage record to its store's partition, in the order sent; start before, stop after
    the agents that send."""

    def __init__(self, bootstrap: str, topic: str, deliveries: Deliveries) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.deliveries = deliveries
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            linger_ms=0,
            max_batch_size=1 << 20,
            max_request_size=8 << 20,
        )
        await self._producer.start()

    async def stop(self) -> None:
        """Deliver what was sent, then close."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def __call__(self, *, key: bytes, value: bytes | None, partition: int) -> None:
        if self._producer is None:
            raise RuntimeError("the outage sender is not started")
        self.deliveries.track(await self._producer.send(self.topic, value, key=key, partition=partition))
