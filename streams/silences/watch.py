"""When each store held here is next worth a look for falling silent: a timer with no work per idle store."""

from __future__ import annotations

import heapq


class SilenceWatch:
    """One entry per store, at the earliest instant it could fall silent.

    The agents note a store each time its latest ping moves; an entry already due earlier stays, and
    is looked at again when due (the store may have pinged since). So a tick costs one heap peek
    plus the stores actually due, whatever the size of the fleet.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[int, bytes]] = []
        self._due: dict[bytes, int] = {}

    def note(self, key: bytes, at: int) -> None:
        """Look at the store by ``at``, unless it is due earlier already."""
        due = self._due.get(key)
        if due is None or at < due:
            self._due[key] = at
            heapq.heappush(self._heap, (at, key))

    def pop_due(self, now: int) -> list[bytes]:
        """The stores due at or before ``now``, each taken off the watch."""
        found = []
        heap, due = self._heap, self._due
        while heap and heap[0][0] <= now:
            at, key = heapq.heappop(heap)
            if due.get(key) == at:  # else superseded by an earlier note
                del due[key]
                found.append(key)
        return found

    def clear(self) -> None:
        self._heap.clear()
        self._due.clear()

    def __len__(self) -> int:
        return len(self._due)
