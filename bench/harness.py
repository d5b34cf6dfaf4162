"""What the benchmarks share: their dataset options, and a broker with one worker around a run."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from storemon.broker import LocalBroker
from storemon.local import Deployment, WorkerProcess


def dataset_parser(description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=7.5)
    parser.add_argument("--seed", type=int, default=1)
    return parser


@asynccontextmanager
async def broker_and_worker(
    root: Path, partitions: int = 8
) -> AsyncIterator[tuple[LocalBroker, Deployment, WorkerProcess]]:
    """A fresh broker and one ready worker, both stopped afterwards whatever happens."""
    broker = LocalBroker(root / "broker")
    broker.start()
    worker = None
    try:
        deployment = Deployment(broker.bootstrap, root, partitions=partitions)
        worker = deployment.worker().start()
        await worker.wait_ready()
        yield broker, deployment, worker
    finally:
        if worker is not None:
            worker.stop()
        broker.stop()
