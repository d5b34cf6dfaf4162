"""The worker's report processes: child processes a gathering's reading and computing runs in.

The worker's own event loop answers lookups and ingests pings, so a gathering (a report, the fleet,
the outages) reads and computes in children at a lower scheduling priority. Only paths and text
cross between the processes.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing import get_context
from typing import ParamSpec, TypeVar

from streams.gathering.reads import rows_at
from streams.state.cut import Cut

P = ParamSpec("P")
T = TypeVar("T")


# How much less the report process counts for the scheduler than the worker (``nice``): when the
# cores are busy, lookups and ingestion come before reports.
NICENESS = 10


def background_child(parent: int) -> None:
    """Run in a child of the worker (a report process, the notifier): yield the cores to the worker,
    and exit with it. A worker killed with SIGKILL cannot stop its child, so the child watches for
    that itself."""
    os.nice(NICENESS)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class SideProcess:
    """One child process for a report's CPU-heavy steps, started with a clean interpreter.

    ``spawn`` rather than ``fork``: the worker runs Kafka client and RocksDB threads, which a fork
    would copy in whatever state they were in.
    """

    def __init__(self) -> None:
        self._pool = self._new_pool()

    @staticmethod
    def _new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=get_context("spawn"),
            initializer=background_child,
            initargs=(os.getpid(),),
        )

    async def start(self) -> None:
        """Start the child now, so the first report does not wait for its interpreter and imports."""
        await self.run(rows_at, [], 0)

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``function(*args, **kwargs)`` in the child; it and its arguments must pickle."""
        call = partial(function, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, call)
        except BrokenProcessPool:
            # This report fails; the next one gets a fresh child.
            broken, self._pool = self._pool, self._new_pool()
            broken.shutdown(wait=False)
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class ReportProcesses:
    """The worker's report processes: a gathering splits the partitions held here among them.

    Each reads its share through its own secondary instances and keeps its own decoded profiles, so
    the same partitions keep going to the same process while the worker's partitions stay the same.
    The first also runs the other CPU-heavy steps (merging a report's parts).
    """

    def __init__(self, count: int) -> None:
        self._children = [SideProcess() for _ in range(count)]

    async def start(self) -> None:
        await asyncio.gather(*(child.start() for child in self._children))

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._children[0].run(function, *args, **kwargs)

    async def each(
        self,
        read: Callable[[Cut, int], T],
        partitions: frozenset[int],
        cut: Callable[[frozenset[int], int], Cut],
        as_of: int,
    ) -> list[T]:
        """What ``read`` makes of each process's share of ``partitions`` (``cut(share, process)``)."""
        shares = shares_of(partitions, len(self._children))
        return list(
            await asyncio.gather(
                *(
                    child.run(read, cut(share, index), as_of)
                    for index, (child, share) in enumerate(zip(self._children, shares, strict=True))
                    if share
                )
            )
        )

    def close(self) -> None:
        for child in self._children:
            child.close()


def shares_of(partitions: frozenset[int], count: int) -> list[frozenset[int]]:
    """``partitions`` dealt round-robin in order into ``count`` shares, as even as they can be."""
    ordered = sorted(partitions)
    return [frozenset(ordered[index::count]) for index in range(count)]
