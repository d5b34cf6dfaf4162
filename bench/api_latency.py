"""Benchmark: report latency and live-lookup latency through the HTTP API, with state built.

    python -m bench.api_latency [--stores 10000] [--days 7.5] [--clients 200]

Starts a broker and one worker, replays the generated dataset and waits for the worker. Then it
times trigger -> complete CSV for a few reports, and runs lookups of random stores from ``clients``
concurrent connections: closed loop from wrk (each connection sends its next request as soon as it
has an answer) when wrk is installed, and open loop at fixed total rates from this Python process,
whose own overhead on the same 2 cores is part of those figures.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import httpx

from bench.harness import run_against_worker
from storemon.local import local_deployment


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def time_reports(url: str, count: int) -> list[float]:
    durations = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(count):
            started = time.perf_counter()
            report_id = (await client.post("/api/trigger_report")).json()["report_id"]
            while True:
                got = await client.get("/api/get_report", params={"report_id": report_id})
                if got.headers["content-type"].startswith("text/csv"):
                    break
                await asyncio.sleep(0.005)
            durations.append(time.perf_counter() - started)
    return durations


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError(f"no content-length in {head!r}")


async def lookups(port: int, stores: list[str], clients: int, seconds: float, rate: float) -> list[float]:
    """Open-loop lookups: ``clients`` keep-alive connections sharing ``rate`` requests per second.

    Each latency runs from the request's scheduled time, so a stalled server cannot hide queued
    requests (no coordinated omission). A bare asyncio HTTP/1.1 client keeps the generator cheap.
    """
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def one_client(seed: int) -> None:
        rng = random.Random(seed)
        interval = clients / rate
        scheduled = time.perf_counter() + rng.random() * interval
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while scheduled < deadline:
                await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                writer.write(f"GET /api/stores/{rng.choice(stores)} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200"), head
                await reader.readexactly(content_length(head))
                latencies.append(time.perf_counter() - scheduled)
                scheduled += interval
        finally:
            writer.close()

    await asyncio.gather(*(one_client(i) for i in range(clients)))
    return latencies


WRK_SCRIPT = """
local ids = {}
for line in io.lines("%s") do ids[#ids + 1] = line end
request = function() return wrk.format("GET", "/api/stores/" .. ids[math.random(#ids)]) end
"""


def wrk_lookups(url: str, stores: list[str], clients: int, root: Path) -> None:
    """The same closed-loop load from wrk (a C load generator), when it is installed."""
    if shutil.which("wrk") is None:
        print("wrk not installed: skipping the wrk run (apt-get install wrk)")
        return
    (root / "ids.txt").write_text("\n".join(stores))
    (root / "lookup.lua").write_text(WRK_SCRIPT % (root / "ids.txt"))
    command = ["wrk", "-t2", f"-c{clients}", "-d10s", "--latency", "-s", str(root / "lookup.lua"), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    wanted = ("Requests/sec", "50%", "99%", "Non-2xx")
    print(
        f"wrk, {clients} connections, closed loop: "
        + "; ".join(" ".join(line.split()) for line in output.splitlines() if line.strip().startswith(wanted))
    )


async def run(source: Path, clients: int, root: Path) -> None:
    async with local_deployment(root, partitions=8) as (_, deployment, worker):
        await deployment.replay(source)
        await deployment.wait_caught_up(timeout=900)
        report_times = await time_reports(worker.url, 5)
        print(
            f"trigger -> complete CSV: median {statistics.median(report_times):.3f} s, "
            f"max {max(report_times):.3f} s over {len(report_times)} reports  (bar: <= 1 s)"
        )
        started = time.perf_counter()
        await asyncio.gather(*(time_reports(worker.url, 1) for _ in range(50)))
        print(f"50 concurrent triggers: all 50 CSVs complete after {time.perf_counter() - started:.2f} s")
        async with httpx.AsyncClient(base_url=worker.url) as client:
            report_id = (await client.post("/api/trigger_report")).json()["report_id"]
            await asyncio.sleep(2)
            text = (await client.get("/api/get_report", params={"report_id": report_id})).text
        stores = [line.split(",", 1)[0] for line in text.splitlines()[1:]]
        print(f"{len(stores):,} stores in the report")
        wrk_lookups(worker.url, stores, clients, root)
        for rate in (200.0, 500.0, 1000.0):
            latencies = await lookups(worker.port, stores, clients, 10.0, rate)
            label = f"open loop {rate:.0f} req/s"
            p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
            throughput = len(latencies) / 10
            print(f"lookups, {clients} clients, {label}: {throughput:,.0f} req/s, ", end="")
            print(f"p50 {p50:.1f} ms, p99 {p99:.1f} ms")


def main() -> None:
    run_against_worker(__doc__, "clients", 200, run)


if __name__ == "__main__":
    main()
