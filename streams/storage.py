"""The one door to Faust's private storage API.

Three paths read a table's store driver directly: a store read (``Table.get`` reads twice, a
membership test and then the value), the watermark scan (Faust's decoded ``items()`` costs three
times the driver's raw items), and a report's snapshot, which needs RocksDB iterators opened at one
instant. All lean on faust-streaming internals, pinned in ``pyproject.toml`` and checked by
``tests/streams/test_storage.py``; nothing else in the product crosses that line.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def pinned_items(table: RawTable) -> list[Iterator[tuple[bytes, bytes]]]:
    """Per actively held partition, its items as they are at this call; later writes are not seen.

    A RocksDB iterator reads the database as of its creation, so iterators made in one synchronous
    step (no ``await`` between) form one consistent cut, which can then be read slice by slice.
    """
    store = cast(Any, table.data)
    hidden = store.offset_key  # the store's own bookkeeping, not a table item
    return [
        (item for item in db.items() if item[0] != hidden)
        for db in store._dbs_for_actives()  # noqa: SLF001 (see the module docstring)
    ]
