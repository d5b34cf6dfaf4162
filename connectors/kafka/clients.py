"""Every Kafka client the product makes is made here, so what connecting to a cluster takes is said once.

aiokafka binds a client to the event loop it is made on: make one inside the loop that uses it.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

# Long enough for a broker that is electing leaders or creating topics, short enough to fail clearly.
ADMIN_TIMEOUT_MS = 30_000


def producer(bootstrap: str, **options: Any) -> AIOKafkaProducer:
    """A producer whose sends are answered once every in-sync replica has the record (``acks=all``)."""
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **options)


def consumer(bootstrap: str, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer that commits only when told, starting at a partition's beginning when it has no
    committed position (a new deployment skips nothing)."""
    options.setdefault("auto_offset_reset", "earliest")
    return AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, enable_auto_commit=False, **options)


def admin(bootstrap: str) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=ADMIN_TIMEOUT_MS)


def faust_brokers(bootstrap: str) -> list[str]:
    """The worker's Faust app's ``broker`` setting for a comma-separated bootstrap list."""
    return [f"kafka://{host}" for host in bootstrap.split(",")]
