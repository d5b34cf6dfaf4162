"""Reading a dataset's pings on every core: one process per share of the files' lines.

A replay cannot send its first frame before every ping is read (the files are in no time order), so
reading is time the broker and the worker wait through. Split into shares of lines, each process
parses only its own (split by store, as the offline report's, each would parse every line to find
its stores'). Each hands back its pings by store, sorted and packed (``replay.reader.packed_pings``),
with the rejects of its lines; a store's shares are merged here.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from array import array
from collections import Counter
from collections.abc import Awaitable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from replay.partition import LineShare
from replay.reader import packed_pings
from replay.rejects import Rejects
from replay.source import Dataset, open_dataset
from streams.contract.rejects import Reject

T = TypeVar("T")


@dataclass
class StorePings:
    """Every store's valid pings in time order, packed ``instant * 2 + active``; how many; and the
    rows refused on the way, by reason and one by one."""

    by_store: dict[str, array[int]] = field(default_factory=dict)
    count: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    rejected: list[Reject] = field(default_factory=list)

    def merge(self, other: StorePings) -> None:
        """Take in what another share of the lines holds."""
        for store, pings in other.by_store.items():
            mine = self.by_store.get(store)
            self.by_store[store] = pings if mine is None else array("q", sorted(mine + pings))
        self.count += other.count
        self.counts.update(other.counts)
        self.rejected.extend(other.rejected)


def _sorted(dataset: Dataset, share: LineShare | None, not_after: int, progress: bool) -> StorePings:
    by_store, count = packed_pings(dataset, None, not_after, share, progress)
    return StorePings({store: array("q", sorted(pings)) for store, pings in by_store.items()}, count)


def _read_share(local: Path, share: LineShare, not_after: int, progress: bool) -> StorePings:
    rejected: list[Reject] = []
    # File-level problems are counted once, by the process that opened the dataset first.
    with open_dataset(local, Rejects()) as dataset:
        dataset.rejects = Rejects(sink=rejected.append)
        found = _sorted(dataset, share, not_after, progress)
    found.counts, found.rejected = dataset.rejects.counts, rejected
    return found


async def read_store_pings(
    dataset: Dataset,
    not_after: int,
    meanwhile: Awaitable[T],
    processes: int | None = None,
    progress: bool = True,
) -> tuple[StorePings, T]:
    """The pings of ``dataset`` (opened by the caller, whose rejects take this process's refusals),
    read by ``processes`` (default: one per core), each with a progress bar on a terminal when
    ``progress``, and what ``meanwhile`` gives, awaited here while they read."""
    count = max(1, processes or os.cpu_count() or 1)
    if count == 1 or dataset.local is None:
        found = _sorted(dataset, None, not_after, progress)
        return found, await meanwhile
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
        reading = [
            loop.run_in_executor(pool, _read_share, dataset.local, LineShare(i, count), not_after, progress)
            for i in range(count)
        ]
        also = await meanwhile
        parts = await asyncio.gather(*reading)
    found = StorePings()
    for part in parts:
        found.merge(part)
    return found, also
