"""Benchmark: the daily history's cost, replay throughput and worker RSS with history kept and without.

    python -m bench.history [--stores 10000] [--days 60] [--partitions 8] [--rounds 1]

Replays the generated dataset into a fresh broker and worker with ``STOREMON_HISTORY_DAYS=0`` (no
history: the pings' retention alone) and with the default 400, interleaved ``--rounds`` times, and
prints the medians and their ratios (bar: within 10 %). With history kept it then times the history
endpoint, ``GET /api/stores/{id}/history?days=90`` for stores taken in turn (p50 and p99), the
stores listing's pages with each store's last 30 days (p50 and p99 of ``PAGES``), and the fleet's,
``GET /api/fleet/history?days=30`` (each of ``FLEET_ASKS`` answers).

    python -m bench.history --fleet-only 1 [--stores 100000] [--days 8]

replays once, history kept, and times the fleet's history alone.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from statistics import median, quantiles

import httpx

from bench.harness import run_against_worker
from bench.stream_throughput import ReplayRun, run_once
from storemon.local import Deployment, WorkerProcess

LOOKUPS = 2_000
PAGES = 200  # of the stores listing, in turn (the fleet's gathering kept, their histories read each time)
FLEET_ASKS = 5


async def run(source: Path, partitions: int, root: Path, rounds: int, fleet_only: int) -> None:
    if fleet_only:
        os.environ["STOREMON_HISTORY_DAYS"] = "400"
        await run_once(source, partitions, root / "fleet", time_fleet_history)
        return
    runs: dict[str, list[ReplayRun]] = {"0": [], "400": []}
    for round_ in range(1, rounds + 1):
        for days in runs:
            os.environ["STOREMON_HISTORY_DAYS"] = days  # the worker's environment is this process's
            print(f"--- round {round_} of {rounds}, STOREMON_HISTORY_DAYS={days}")
            then = time_history if days != "0" and round_ == rounds else None
            runs[days].append(await run_once(source, partitions, root / f"{round_}-history-{days}", then))
    off = ReplayRun(median(r.rate for r in runs["0"]), median(r.rss_mib for r in runs["0"]))
    on = ReplayRun(median(r.rate for r in runs["400"]), median(r.rss_mib for r in runs["400"]))
    print(f"median of {rounds}: {off.rate:,.0f} pings/s, {off.rss_mib:.0f} MiB without history; ", end="")
    print(f"{on.rate:,.0f} pings/s, {on.rss_mib:.0f} MiB with")
    rate, rss = on.rate / off.rate - 1, on.rss_mib / off.rss_mib - 1
    print(f"history kept: {rate:+.1%} pings/s, {rss:+.1%} RSS (bar: within 10%)")


async def time_history(deployment: Deployment, worker: WorkerProcess) -> None:
    """p50 and p99 of the history endpoint, 90 days, one request at a time over stores in turn."""
    async with httpx.AsyncClient(base_url=worker.url, timeout=30) as client:
        stores = (await client.get("/api/fleet/stores", params={"limit": 500})).json()["stores"]
        ids = [store["store_id"] for store in stores]
        took = []
        for i in range(LOOKUPS):
            started = time.perf_counter()
            answer = await client.get(f"/api/stores/{ids[i % len(ids)]}/history", params={"days": 90})
            took.append(time.perf_counter() - started)
            answer.raise_for_status()
        days = len(answer.json()["days"])
        print(f"history endpoint ({days} dates a store): {_percentiles(took)}")
        took = []
        cursor = None
        for _ in range(PAGES):
            started = time.perf_counter()
            paged = {"limit": 50} if cursor is None else {"limit": 50, "cursor": cursor}
            answer = await client.get("/api/fleet/stores", params=paged)
            took.append(time.perf_counter() - started)
            answer.raise_for_status()
            cursor = answer.json()["next_cursor"]
        recent = [store["last_30_days"]["dates"] for store in answer.json()["stores"]]
    print(f"stores listing, 50 a page with their last 30 days ({min(recent)}-{max(recent)} dates): ", end="")
    print(_percentiles(took))
    await time_fleet_history(deployment, worker)


def _percentiles(took: list[float]) -> str:
    cuts = quantiles(took, n=100)
    return f"p50 {cuts[49] * 1e3:.1f} ms, p99 {cuts[98] * 1e3:.1f} ms"


async def time_fleet_history(deployment: Deployment, worker: WorkerProcess) -> None:
    """Each of ``FLEET_ASKS`` answers of the fleet's 30-day history, one after the other."""
    async with httpx.AsyncClient(base_url=worker.url, timeout=300) as client:
        took = []
        for _ in range(FLEET_ASKS):
            started = time.perf_counter()
            answer = await client.get("/api/fleet/history", params={"days": 30})
            took.append(time.perf_counter() - started)
            answer.raise_for_status()
        days = answer.json()["days"]
    stores = max(day["stores"] for day in days)
    shown = ", ".join(f"{seconds:.2f}" for seconds in took)
    print(f"fleet history, 30 days of {stores:,} stores ({len(days)} dates with data): {shown} s")


def main() -> None:
    run_against_worker(__doc__, "partitions", 8, run, rounds=1, fleet_only=0)


if __name__ == "__main__":
    main()
