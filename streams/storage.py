"""The one door to Faust's private storage API.

Three paths lean on a table's store driver: a store read (``Table.get`` reads twice, a membership
test and then the value), the watermark scan (Faust's decoded ``items()`` costs three times the
driver's raw items), and a gathering, which reads each partition's RocksDB database from the report
process and needs to know where it lies and which key is Faust's own. All lean on faust-streaming
internals, pinned in ``pyproject.toml`` and checked by ``tests/streams/test_storage.py``; nothing
else in the product crosses that line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import faust
from faust.stores.base import SerializedStore

RawTable = faust.types.TableT[bytes, bytes]


def read(table: RawTable, key: bytes) -> bytes | None:
    """One store read of ``key``'s value."""
    value: bytes | None = table.data.get(key)
    return value


def raw_items(table: RawTable) -> Iterator[tuple[bytes, bytes]]:
    """The items of the table's active partitions exactly as its store driver holds them."""
    store = cast(SerializedStore[bytes, bytes], table.data)
    return store._iteritems()  # noqa: SLF001 (the driver's undecoded items; see the module docstring)


def database_path(table: RawTable, partition: int) -> Path:
    """Where the table's RocksDB database of ``partition`` lies (it may not exist yet)."""
    return Path(cast(Any, table.data).partition_path(partition))


def bookkeeping_key(table: RawTable) -> bytes:
    """The key under which the store driver keeps its changelog offset in each database."""
    key: bytes = cast(Any, table.data).offset_key
    return key
