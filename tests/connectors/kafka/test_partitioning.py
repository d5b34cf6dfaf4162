"""A store's partition is the one Java clients and aiokafka choose for its id."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from connectors.kafka import partition_of


@given(st.binary(min_size=1, max_size=64), st.integers(1, 64))
def test_partition_of_a_store_is_the_default_partitioners_choice(key: bytes, partitions: int) -> None:
    every = list(range(partitions))
    assert partition_of(key, partitions) == DefaultPartitioner()(key, every, every)
