"""Benchmark: the stream against the batch report on the same data, back to back, in the same hour.

    python -m bench.stream_vs_batch [--stores 10000] [--days 7.5] [--trigger-every 5] [--workers 1]

First the offline report of the dataset (``storemon report``: the same engine, no Kafka). Then a fresh
broker and one worker (or ``--workers`` of them, on the same machine): the replay at full speed while
a report is triggered every ``trigger-every`` seconds, as users do while a backfill runs; once the
workers have processed every message, one more report, checked equal to the offline one. Prints the
offline time, the stream's (replay start to that exact report) and their ratio (bar: <= 3x, moonshot
1.5x), and where the stream's time went: the replay alone (and its reading), the catch-up after it,
the final report, with each process's CPU seconds.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import httpx

from bench.harness import children, cpu_seconds, dataset, dataset_parser, own_cpu_seconds
from storemon.broker import LocalBroker
from storemon.local import Deployment, WorkerProcess, fetch_report, local_deployment, wait_processed
from storemon.offline import offline_report


async def triggering(url: str, every: float, stop: asyncio.Event) -> int:
    """Reports triggered every ``every`` seconds until ``stop``; how many."""
    count = 0
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        while not stop.is_set():
            if (await client.post("/api/trigger_report")).status_code == 200:
                count += 1
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
    return count


def _children_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each running child of ``pid`` (a worker's report processes)."""
    return {child: cpu_seconds(child) for child in children(pid)}


async def stream(source: Path, root: Path, every: float, expected: str, workers: int) -> float:
    async with local_deployment(root, partitions=8) as (broker, deployment, first):
        group = [first] + [deployment.worker().start() for _ in range(workers - 1)]
        try:
            return await _measured(source, broker, deployment, group, every, expected)
        finally:
            for worker in group[1:]:
                worker.stop()


async def _measured(
    source: Path,
    broker: LocalBroker,
    deployment: Deployment,
    group: list[WorkerProcess],
    every: float,
    expected: str,
) -> float:
    await asyncio.gather(*(worker.wait_ready() for worker in group))
    assert broker.process is not None
    pids = [worker.process.pid for worker in group if worker.process is not None]
    own = own_cpu_seconds()
    workers_cpu, broker_cpu = sum(map(cpu_seconds, pids)), cpu_seconds(broker.process.pid)
    reports_before = {child: cpu for pid in pids for child, cpu in _children_cpu(pid).items()}
    stop = asyncio.Event()
    started = time.perf_counter()
    triggers = asyncio.create_task(triggering(group[0].url, every, stop))
    summary = await deployment.replay(source)
    published = time.perf_counter() - started
    await wait_processed(group, await deployment.end_offsets())
    caught_up = time.perf_counter() - started
    stop.set()
    triggered = await triggers
    final = await fetch_report(group[0].url, timeout=300)
    elapsed = time.perf_counter() - started
    replay_cpu = own_cpu_seconds() - own
    workers_cpu = sum(map(cpu_seconds, pids)) - workers_cpu
    broker_cpu = cpu_seconds(broker.process.pid) - broker_cpu
    reports_after = {child: cpu for pid in pids for child, cpu in _children_cpu(pid).items()}
    reports_cpu = sum(cpu - reports_before.get(child, 0.0) for child, cpu in reports_after.items())
    exact = "equal to" if final == expected else "DIFFERENT FROM"
    print(
        f"stream: {summary.pings:,} pings in {summary.messages:,} messages; "
        f"{triggered} reports triggered meanwhile"
    )
    print(
        f"  replay alone {published:.1f} s (reading {summary.reading:.1f} s); caught up "
        f"{caught_up - published:.1f} s after it; final report {elapsed - caught_up:.1f} s; "
        f"replay start -> exact report {elapsed:.1f} s ({exact} the offline report)"
    )
    print(
        f"  CPU seconds: replay (this process and its readers) {replay_cpu:.1f}, "
        f"{'worker' if len(group) == 1 else f'{len(group)} workers'} {workers_cpu:.1f}, "
        f"their report processes {reports_cpu:.1f}, broker {broker_cpu:.1f}"
    )
    return elapsed


def main() -> None:
    parser = dataset_parser(__doc__)
    parser.add_argument("--trigger-every", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1, help="workers in the group, on the same machine")
    args = parser.parse_args()
    source = dataset(args.stores, args.days, args.seed)
    with tempfile.TemporaryDirectory(prefix="storemon-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        summary = offline_report(source, root / "report.csv")
        batch = time.perf_counter() - started
        print(f"offline report: {summary.pings:,} pings, {summary.rows:,} rows in {batch:.2f} s")
        took = asyncio.run(
            stream(
                source, root / "stream", args.trigger_every, (root / "report.csv").read_text(), args.workers
            )
        )
    print(f"stream / batch: {took:.1f} s / {batch:.2f} s = {took / batch:.2f}x  (bar: <= 3x, moonshot 1.5x)")


if __name__ == "__main__":
    main()
