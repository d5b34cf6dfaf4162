"""Benchmark: replay -> worker caught up, end to end on one machine, with a real broker.

    python -m bench.stream_throughput [--stores 10000] [--days 7.5] [--partitions 8] [--rounds 1]

Starts a broker and one ``storemon worker`` process, replays the generated dataset at full speed
from this process, and stops the clock when the worker has processed every message. Prints pings/s,
the CPU seconds of replay, worker and broker, the worker's peak RSS and the changelog bytes per ping;
with outage derivation off and on (the default), each on a fresh broker and worker, ``--rounds`` times.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from statistics import median
from typing import NamedTuple

from bench.harness import changelog_bytes, cpu_seconds, own_cpu_seconds, peak_rss_mib, run_against_worker
from storemon.local import Deployment, WorkerProcess, local_deployment


class ReplayRun(NamedTuple):
    rate: float  # pings per second, replay start to caught up
    rss_mib: float  # the worker's peak resident memory


async def run(source: Path, partitions: int, root: Path, rounds: int) -> None:
    """``rounds`` times off then on: on a shared machine the rate of one run can move by a fifth, so
    the medians of interleaved runs compare the two."""
    rates: dict[str, list[float]] = {"false": [], "true": []}
    for round_ in range(1, rounds + 1):
        for outages in ("false", "true"):
            os.environ["STOREMON_OUTAGES"] = outages  # the worker's environment is this process's
            print(f"--- round {round_} of {rounds}, outage derivation {'on' if outages == 'true' else 'off'}")
            measured = await run_once(source, partitions, root / f"{round_}-outages-{outages}")
            rates[outages].append(measured.rate)
    off, on = median(rates["false"]), median(rates["true"])
    print(f"median of {rounds}: {off:,.0f} pings/s without outages, {on:,.0f} with")
    print(f"with outages: {on / off - 1:+.1%} pings/s against without (bar: >= -10%)")


async def run_once(
    source: Path,
    partitions: int,
    root: Path,
    then: Callable[[Deployment, WorkerProcess], Awaitable[None]] | None = None,
) -> ReplayRun:
    """One replay until the worker caught up; ``then`` runs after, before the worker stops."""
    async with local_deployment(root, partitions=partitions) as (broker, deployment, worker):
        assert broker.process is not None and worker.process is not None
        cpu_before = (
            own_cpu_seconds(),
            cpu_seconds(worker.process.pid),
            cpu_seconds(broker.process.pid),
        )
        started = time.perf_counter()
        summary = await deployment.replay(source, progress=True)
        published = time.perf_counter() - started
        ends = await deployment.end_offsets()
        await worker.wait_processed(ends)
        elapsed = time.perf_counter() - started
        replay_cpu = own_cpu_seconds() - cpu_before[0]
        worker_cpu = cpu_seconds(worker.process.pid) - cpu_before[1]
        broker_cpu = cpu_seconds(broker.process.pid) - cpu_before[2]
        rss = peak_rss_mib(worker.process.pid)
        await asyncio.sleep(1)
        changelog = changelog_bytes(root / "broker", deployment.name)
        print(f"pings {summary.pings:,} in {summary.messages:,} messages; {summary.profiles:,} profiles")
        print(f"published in {published:.1f} s; worker caught up after {elapsed:.1f} s")
        print(f"end to end: {summary.pings / elapsed:,.0f} pings/s  (bar: >= 30,000)")
        print(f"CPU seconds: replay {replay_cpu:.1f}, worker {worker_cpu:.1f}, broker {broker_cpu:.1f}")
        per_ping = changelog / summary.pings
        print(f"worker peak RSS {rss:.0f} MiB; changelog {changelog:,} bytes = {per_ping:.1f} bytes/ping")
        if then is not None:
            await then(deployment, worker)
        return ReplayRun(summary.pings / elapsed, rss)


def main() -> None:
    run_against_worker(__doc__, "partitions", 8, run, rounds=1)


if __name__ == "__main__":
    main()
