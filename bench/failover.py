"""Benchmark: one worker of several killed (-9) mid-ingestion; how long until the survivors serve again.

    python -m bench.failover [--stores 10000] [--days 7.5] [--workers 2] [--standby 0]

Starts a broker and ``workers`` workers (``--standby`` standby replicas of each table partition), replays
the generated dataset and kills one worker with SIGKILL once about half the pings are processed. Prints:

- seconds from the kill until a report from a survivor covers every partition again (the survivors
  have noticed, rebalanced and recovered the dead worker's tables);
- seconds from the end of the replay until the survivors have processed everything (by their own
  progress), and whether the report then equals the offline report of the same data;
- whether the group's committed offsets have reached the end of the topics as well;
- the survivors' CPU seconds and peak RSS (standbys cost both).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench.harness import cpu_seconds, dataset, dataset_parser, peak_rss_mib
from storemon.broker import LocalBroker
from storemon.local import Deployment, ReportFailed, WorkerProcess, fetch_report
from storemon.offline import offline_report


async def processed(client: httpx.AsyncClient, workers: list[WorkerProcess]) -> int:
    total = 0
    for worker in workers:
        body = (await client.get(f"{worker.url}/api/worker/status")).json()
        total += int(body["outcomes"].get("added", 0)) + int(body["outcomes"].get("duplicate", 0))
    return total


async def processed_everything(deployment: Deployment, survivors: list[WorkerProcess]) -> bool:
    """True when every message of both source topics is processed: committed by the group, or
    processed by a survivor (whose own commits may lag: see the last line printed)."""
    ends = await deployment.end_offsets()
    done = await deployment.committed_offsets()
    async with httpx.AsyncClient(timeout=30) as client:
        for worker in survivors:
            offsets = (await client.get(f"{worker.url}/api/worker/status")).json()["next_offsets"]
            for topic, partitions in offsets.items():
                for partition, offset in partitions.items():
                    key = (topic, int(partition))
                    done[key] = max(done.get(key, 0), offset)
    return all(end == 0 or done.get(tp, 0) >= end for tp, end in ends.items())


async def first_full_report(url: str, timeout: float) -> float:
    """Seconds until a report triggered on ``url`` completes (it fails while partitions are missing)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            await fetch_report(url, timeout=timeout)
            return time.perf_counter() - started
        except (ReportFailed, httpx.HTTPError):
            await asyncio.sleep(0.5)
    raise TimeoutError("no complete report from the survivors")


async def run(source: Path, workers: int, standby: int, root: Path, expected: str, pings: int) -> None:
    with LocalBroker(root / "broker") as broker:
        deployment = Deployment(broker.connection(), root, partitions=8, standby_replicas=standby)
        group = [deployment.worker().start() for _ in range(workers)]
        try:
            await asyncio.gather(*(worker.wait_ready() for worker in group))
            replay = asyncio.ensure_future(deployment.replay(source))
            finished: list[float] = []
            replay.add_done_callback(lambda _: finished.append(time.perf_counter()))
            async with httpx.AsyncClient(timeout=30) as client:
                while await processed(client, group) < pings // 2 and not replay.done():
                    await asyncio.sleep(0.2)
            victim, survivors = group[0], group[1:]
            victim.kill()
            killed = time.perf_counter()
            pids = [w.process.pid for w in survivors if w.process is not None]
            cpu_before = sum(cpu_seconds(pid) for pid in pids)
            serving = await first_full_report(survivors[0].url, timeout=600)
            print(f"kill -9 of 1 of {workers} workers, {standby} standby replicas, mid-replay")
            print(f"  survivors serve every partition again after {serving:.1f} s")
            summary = await replay
            replayed = finished[0]
            while not await processed_everything(deployment, survivors):
                await asyncio.sleep(0.2)
            caught_up = time.perf_counter() - replayed
            exact = await fetch_report(survivors[0].url, timeout=300) == expected
            print(f"  replay done {replayed - killed:.1f} s after the kill ({summary.pings:,} pings)")
            print(f"  survivors caught up {caught_up:.1f} s after the replay; report exact: {exact}")
            cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
            rss = ", ".join(f"{peak_rss_mib(pid):.0f}" for pid in pids)
            print(f"  survivors' CPU since the kill {cpu:.1f} s; peak RSS {rss} MiB")
            await asyncio.sleep(10)  # several of Faust's commit intervals
            print(f"  the group's committed offsets reach the end 10 s later: {await deployment.caught_up()}")
        finally:
            for worker in group:
                worker.stop()


def main() -> None:
    parser: argparse.ArgumentParser = dataset_parser(__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--standby", type=int, default=0)
    args = parser.parse_args()
    source = dataset(args.stores, args.days, args.seed)
    with tempfile.TemporaryDirectory(prefix="storemon-bench-") as tmp:
        summary = offline_report(source, Path(tmp) / "offline.csv")
        expected = (Path(tmp) / "offline.csv").read_text()
        asyncio.run(run(source, args.workers, args.standby, Path(tmp), expected, summary.pings))


if __name__ == "__main__":
    main()
