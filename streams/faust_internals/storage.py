"""The one door to Faust's private storage API.

Five paths lean on a table's store driver: a store read (``Table.get`` reads twice, a membership
test and then the value, and needs an index of every key to know its partition), the watermark scan
(Faust's decoded ``items()`` costs three times the driver's raw items), a gathering, which reads each
partition's RocksDB database from the report process and needs to know where it lies and which key
is Faust's own, the check at start that each database holds no more of its changelog than the
changelog has, and the history table's writes and the states' and history's changelog offsets,
whose records leave through a producer of their own (``streams.state.outbox``). All lean on
faust-streaming internals (listed in ``streams.faust_internals``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import faust
from faust.stores.base import SerializedStore
from faust.types import TP
from rocksdict import AccessType, Options, Rdict

RawTable = faust.types.TableT[bytes, bytes]


def read(table: RawTable, key: bytes, partition: int, *, elsewhere: bool = True) -> bytes | None:
    """``key``'s value, read first from the database of ``partition``, where its store's agent writes.

    Outside an event Faust finds a key's partition in an index of the keys it has seen, which has to
    name every store to spare a read of every partition's database (24 MiB for the two tables of
    100,000 stores); the store's partition is known from its id. A key not there (a store unknown
    here) is looked for as Faust does, in every database held, unless not ``elsewhere``: a key that
    is often missing (a history date never frozen) is read where it would be and nowhere else.
    """
    database = cast(Any, table.data)._dbs.get(partition)
    value: bytes | None = None if database is None else database.get(key)
    return value if value is not None or not elsewhere else table.data.get(key)


def write(table: RawTable, key: bytes, value: bytes | None, partition: int) -> None:
    """Write ``key`` (None: delete it) in the database of ``partition`` only, as the store driver
    would for an event of that partition, leaving the changelog to the caller."""
    database = cast(Any, table.data)._db_for_partition(partition)
    if value is None:
        database.delete(key)
    else:
        database.put(key, value)


def keep_offset(table: RawTable, partition: int, offset: int) -> None:
    """Note that the database of ``partition`` holds the table's changelog through ``offset``, as
    Faust does for each record it sends, unless the partition has left this worker since."""
    store = cast(Any, table.data)
    if partition in store._dbs:
        store.set_persisted_offset(TP(table.changelog_topic.get_topic_name(), partition), offset)


def raw_items(table: RawTable) -> Iterator[tuple[bytes, bytes]]:
    """The items of the table's active partitions exactly as its store driver holds them."""
    store = cast(SerializedStore[bytes, bytes], table.data)
    return store._iteritems()  # the driver's undecoded items


def database_path(table: RawTable, partition: int) -> Path:
    """Where the table's RocksDB database of ``partition`` lies (it may not exist yet)."""
    return Path(cast(Any, table.data).partition_path(partition))


def bookkeeping_key(table: RawTable) -> bytes:
    """The key under which the store driver keeps its changelog offset in each database."""
    key: bytes = cast(Any, table.data).offset_key
    return key


def persisted_offset(table: RawTable, partition: int) -> int | None:
    """The changelog offset up to which the table's database of ``partition`` says it holds the log
    (the store driver's bookkeeping), read before Faust opens it; None when there is no database or
    it has no offset yet."""
    path = database_path(table, partition)
    if not (path / "CURRENT").exists():
        return None
    database = Rdict(str(path), Options(raw_mode=True), access_type=AccessType.read_only())
    try:
        raw = database.get(bookkeeping_key(table))
    finally:
        database.close()
    return None if raw is None else int(raw)
