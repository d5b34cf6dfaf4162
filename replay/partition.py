"""Splitting stores into disjoint partitions by a stable hash of their id, as Kafka keys do."""

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
