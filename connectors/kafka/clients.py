"""Every Kafka client the product makes is made here, from one ``KafkaConnection``, so all of them reach
the cluster the same way (servers, TLS, SASL) and write with ``acks=all``.

aiokafka binds a client to the event loop it is made on: make one inside the loop that uses it.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from connectors.kafka.connection import KafkaConnection

# Long enough for a broker that is electing leaders or creating topics, short enough to fail clearly.
ADMIN_TIMEOUT_MS = 30_000


def producer(kafka: KafkaConnection, **options: Any) -> AIOKafkaProducer:
    """A producer whose sends are answered once every in-sync replica has the record (``acks=all``)."""
    return AIOKafkaProducer(**kafka.client_options(), acks="all", **options)


def consumer(kafka: KafkaConnection, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer that commits only when told, starting at a partition's beginning when it has no
    committed position (a new deployment skips nothing)."""
    options.setdefault("auto_offset_reset", "earliest")
    return AIOKafkaConsumer(*topics, **kafka.client_options(), enable_auto_commit=False, **options)


def admin(kafka: KafkaConnection) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=ADMIN_TIMEOUT_MS)
