"""Outage records sent as soon as they are derived, not after the changelogs' linger.

The tables' changelog writes are many and small, so Faust's producer lingers 50 ms to batch them. An
outage record is what alerts wait for, so it goes through a producer of its own that does not linger:
while one of its requests is in flight, the records that follow still gather into one batch. Lowering
the shared linger instead slowed live ingestion and raised the changelog's bytes per ping (see
README). Commits wait for its records as for Faust's own (``streams.commits.Deliveries``).
"""

from __future__ import annotations

from replay.producer import Publisher
from streams.commits import Deliveries


class OutageSender:
    """Sends each outage record to its store's partition, in the order sent; start before, stop after
    the agents that send."""

    def __init__(self, bootstrap: str, topic: str, deliveries: Deliveries) -> None:
        self.topic = topic
        self.deliveries = deliveries
        self.publisher = Publisher(bootstrap, linger_ms=0)

    async def start(self) -> None:
        await self.publisher.start()

    async def stop(self) -> None:
        """Deliver what was sent, then close."""
        await self.publisher.stop()

    async def __call__(self, *, key: bytes, value: bytes | None, partition: int) -> None:
        self.deliveries.track(await self.publisher.send(self.topic, key, value, partition))
