"""The crossing into Faust's storage: reads, raw items and database paths see what the tables hold."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest
from faust.types import TP

from connectors.kafka import partition_of
from streams.contract.messages import encode_pings
from streams.faust_internals.storage import (
    bookkeeping_key,
    database_path,
    keep_offset,
    raw_items,
    read,
    write,
)
from streams.gathering.secondaries import Secondaries, items
from streams.worker import StreamWorker
from tests.streams.conftest import PARTITIONS


def ingest_three_stores(worker: StreamWorker) -> None:
    """Pings of stores a, b and c, written to partitions 0, 1 and 0."""

    async def scenario() -> None:
        async with worker.ingest.pings.test_context() as agent:
            for i, key in enumerate((b"a", b"b", b"c")):
                await agent.put(encode_pings([(10**15 + i, True)]), key=key, partition=i % PARTITIONS)

    asyncio.run(scenario())


def test_reads_and_raw_items_see_exactly_what_the_tables_hold(
    stream_worker: StreamWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_three_stores(stream_worker)
    states = stream_worker.tables.states
    changelog = states.changelog_topic.get_topic_name()
    # All three ids hash to partition 0; b"b" was written to partition 1 and is found there all the same.
    assert {partition_of(key, PARTITIONS) for key in (b"a", b"b", b"c")} == {0}
    stored = {key: read(states, key, 0) for key in (b"a", b"b", b"c", b"missing")}
    assert stored[b"b"] == read(states, b"b", 1)
    assert stored[b"missing"] is None
    assert all(isinstance(value, bytes) and value for key, value in stored.items() if key != b"missing")

    held = {TP(changelog, 0)}  # only partition 0 is actively held: b"a" and b"c" live there
    monkeypatch.setattr(stream_worker.app.assignor, "assigned_actives", lambda: held)
    assert dict(raw_items(states)) == {b"a": stored[b"a"], b"c": stored[b"c"]}
    held.add(TP(changelog, 1))
    assert dict(raw_items(states)) == {key: value for key, value in stored.items() if value is not None}


def test_a_secondary_instance_at_the_database_path_reads_the_tables_items_without_fausts_own(
    stream_worker: StreamWorker, tmp_path: Path
) -> None:
    ingest_three_stores(stream_worker)
    states = stream_worker.tables.states
    secondaries = Secondaries(tmp_path / "scratch")
    try:
        read_there: dict[bytes, bytes] = {}
        for partition in range(PARTITIONS):
            database = secondaries.caught_up(database_path(states, partition))
            assert database is not None
            read_there.update(items(database, bookkeeping_key(states)))
    finally:
        secondaries.close()
    assert read_there == {key: read(states, key, partition_of(key, PARTITIONS)) for key in (b"a", b"b", b"c")}


def test_the_tables_open_their_databases_with_the_products_memory_limits(stream_worker: StreamWorker) -> None:
    tables = stream_worker.tables
    for table, sizes in ((tables.states, (4 << 20, 2, 4 << 20)), (tables.profiles, (2 << 20, 2, 2 << 20))):
        options = cast(Any, table.data).rocksdb_options
        assert (options.write_buffer_size, options.max_write_buffer_number, options.block_cache_size) == sizes


def test_history_writes_reach_the_partitions_database_and_its_kept_offset_only(
    stream_worker: StreamWorker,
) -> None:
    history = stream_worker.tables.history
    store = cast(Any, history.data)
    changelog = history.changelog_topic.get_topic_name()
    write(history, b"s\x00\x01\x00\x00\x00\x07", b"dates", 1)
    assert read(history, b"s\x00\x01\x00\x00\x00\x07", 1, elsewhere=False) == b"dates"
    assert read(history, b"s\x00\x01\x00\x00\x00\x07", 0, elsewhere=False) is None
    keep_offset(history, 1, 41)
    assert store.persisted_offset(TP(changelog, 1)) == 41
    write(history, b"s\x00\x01\x00\x00\x00\x07", None, 1)
    assert read(history, b"s\x00\x01\x00\x00\x00\x07", 1, elsewhere=False) is None
    del store._dbs[1]  # the partition left this worker: nothing is written, nor its database reopened
    keep_offset(history, 1, 42)
    assert 1 not in store._dbs
