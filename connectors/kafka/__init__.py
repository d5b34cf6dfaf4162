"""Kafka: how to reach a cluster (``connection``), every client the product makes (``clients``),
publishing (``publisher``), topic administration and offsets (``admin``), the partitioner
(``partitioning``). No other package constructs a Kafka client.
"""

from connectors.kafka.admin import committed_offsets, create_missing, end_offsets
from connectors.kafka.connection import KafkaConnection, SaslMechanism, SecurityProtocol
from connectors.kafka.partitioning import partition_of
from connectors.kafka.publisher import Publisher

__all__ = [
    "KafkaConnection",
    "Publisher",
    "SaslMechanism",
    "SecurityProtocol",
    "committed_offsets",
    "create_missing",
    "end_offsets",
    "partition_of",
]
