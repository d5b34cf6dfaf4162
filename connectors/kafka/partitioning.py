"""Which partition a key goes to."""

from __future__ import annotations

from aiokafka.partitioner import murmur2


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Java clients' and aiokafka's default partitioner choose for ``key``: murmur2.

    A store's state lives in the partition its id chooses, whoever produced its pings.
    """
    hashed: int = murmur2(key)
    return (hashed & 0x7FFFFFFF) % partitions
