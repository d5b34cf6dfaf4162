"""Splitting a dataset's work between processes: stores into disjoint partitions by a stable hash of
their id, as Kafka keys do, or a file's lines into shares of blocks."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field


@dataclass
class Partition:
    """Partition ``index`` of ``count``; every raw id, valid or not, belongs to exactly one."""

    index: int
    count: int
    _cache: dict[str, int] = field(default_factory=dict, repr=False)

    def owns(self, raw_store_id: str) -> bool:
        found = self._cache.get(raw_store_id)
        if found is None:
            found = zlib.crc32(raw_store_id.strip().encode("utf-8", "replace")) % self.count
            self._cache[raw_store_id] = found
        return found == self.index

    def owns_line(self, line: int) -> bool:
        """Rows refused before their store is known (unparseable, wrong width) are split by line, so
        each is counted and kept by exactly one partition."""
        return line % self.count == self.index


# Lines parsed together (``replay.source``), and the unit in which a share holds a file's lines.
BLOCK = 4096


@dataclass(frozen=True)
class LineShare:
    """Share ``index`` of ``count`` of a file's lines: every ``count``-th block of ``BLOCK`` lines.

    For reading one file on several processes when what is read need not be split by store: each
    process parses its share only, where a store partition has every process parse every line."""

    index: int
    count: int

    def owns_line(self, line: int) -> bool:
        """Whether line ``line`` (counted from 1) is in this share."""
        return (line - 1) // BLOCK % self.count == self.index
