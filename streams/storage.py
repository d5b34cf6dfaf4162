"""The one door to Faust's private storage API.

Two hot paths read a table's store driver directly: a store read (``Table.get`` reads twice, a
membership test and then the value) and a report's snapshot (Faust's decoded ``items()`` costs three
times the driver's raw items). Both lean on faust-streaming internals, pinned in ``pyproject.toml``
and checked by ``tests/streams/test_storage.py``; nothing else in the product crosses that line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

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
