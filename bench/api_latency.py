"""Benchmark: report latency and live-lookup latency through the HTTP API, with state built.

    python -m bench.api_latency [--stores 10000] [--days 7.5] [--clients 200]

Starts a broker and one worker, replays the generated dataset and waits for the worker. Then it
times trigger -> complete CSV for a few reports, and lookups of random stores from ``clients``
concurrent keep-alive connections:

- open loop at fixed total rates: every connection sends on its own schedule whether or not the
  server kept up, and each latency runs from the scheduled instant, so stalls are counted in full
  (no coordinated omission). This bare asyncio client runs on the same 2 cores as the worker.
- the same open loop while reports run back to back.
- closed loop from wrk, when installed: each connection sends its next request as soon as it has
  an answer, so latency there is ``clients / throughput`` (Little's law) and measures capacity.
  ``/healthz``, the cheapest route, is run the same way to show the HTTP server's own floor.
"""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import httpx

from bench.harness import cpu_seconds, peak_rss_with_children_mib, run_against_worker
from storemon.local import WorkerProcess, fetch_report, local_deployment

RATES = (250.0, 500.0, 1000.0, 1500.0, 2000.0)
SECONDS = 10.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def time_reports(url: str, count: int | None, stop: asyncio.Event | None = None) -> list[float]:
    """Trigger -> complete CSV times of ``count`` reports in a row (or until ``stop`` is set)."""
    durations: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        while len(durations) != count and not (stop and stop.is_set()):
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
    """Open-loop lookups: ``clients`` connections, opened first, sharing ``rate`` requests per second.

    Each latency runs from the request's scheduled instant, so a stalled server cannot hide the
    requests queued behind it. A bare asyncio HTTP/1.1 client keeps the generator cheap.
    """
    connections = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(clients)))
    latencies: list[float] = []
    interval = clients / rate
    start = time.perf_counter() + 0.05
    deadline = start + seconds

    async def one_client(seed: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        rng = random.Random(seed)
        scheduled = start + rng.random() * interval
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

    await asyncio.gather(*(one_client(i, *pair) for i, pair in enumerate(connections)))
    return latencies


def print_latencies(label: str, latencies: list[float]) -> None:
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    print(
        f"{label}: {len(latencies) / SECONDS:,.0f} req/s answered, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms  (bar: p99 <= 10 ms)"
    )


WRK_SCRIPT = """
local ids = {}
for line in io.lines("%s") do ids[#ids + 1] = line end
request = function() return wrk.format("GET", "/api/stores/" .. ids[math.random(#ids)]) end
"""


def wrk_closed_loop(worker: WorkerProcess, stores: list[str], clients: int, root: Path) -> None:
    """Closed-loop load from wrk (a C load generator) on the lookups and on /healthz, when installed.

    Also prints the worker's CPU time per request under that load: what one request costs the loop.
    """
    if shutil.which("wrk") is None:
        print("wrk not installed: skipping the closed-loop runs (apt-get install wrk)")
        return
    assert worker.process is not None
    (root / "ids.txt").write_text("\n".join(stores))
    (root / "lookup.lua").write_text(WRK_SCRIPT % (root / "ids.txt"))
    for label, script, path in (
        ("lookups", ["-s", str(root / "lookup.lua")], ""),
        ("/healthz", [], "/healthz"),
    ):
        command = ["wrk", "-t2", f"-c{clients}", "-d10s", "--latency", *script, worker.url + path]
        cpu_before = cpu_seconds(worker.process.pid)
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        cpu = cpu_seconds(worker.process.pid) - cpu_before
        found = re.search(r"(\d+) requests in", output)
        if found is None:
            raise RuntimeError(f"unexpected wrk output:\n{output}")
        requests = int(found.group(1))
        wanted = ("Requests/sec", "50%", "99%", "Non-2xx")
        print(
            f"wrk closed loop, {clients} connections, {label}: "
            + "; ".join(
                " ".join(line.split()) for line in output.splitlines() if line.strip().startswith(wanted)
            )
            + f"; worker CPU {cpu / requests * 1e6:.0f} us per request"
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
        concurrent = 50 if len(report_times) and max(report_times) < 2 else 5  # fewer at 100,000 stores
        started = time.perf_counter()
        await asyncio.gather(*(time_reports(worker.url, 1) for _ in range(concurrent)))
        print(
            f"{concurrent} concurrent triggers: all {concurrent} CSVs complete after "
            f"{time.perf_counter() - started:.2f} s"
        )
        text = await fetch_report(worker.url, timeout=300)
        stores = [line.split(",", 1)[0] for line in text.splitlines()[1:]]
        print(f"{len(stores):,} stores in the report")
        if worker.process is not None:
            own, side = peak_rss_with_children_mib(worker.process.pid)
            print(
                f"peak RSS after the reports: worker {own:.0f} MiB + report processes {side:.0f} MiB "
                f"= {own + side:.0f} MiB  (bar at 100,000 stores: <= 1 GB)"
            )
        await lookups(worker.port, stores, clients, 3.0, RATES[0])  # warm-up, not counted
        for rate in RATES:
            latencies = await lookups(worker.port, stores, clients, SECONDS, rate)
            print_latencies(f"lookups, {clients} connections, open loop {rate:,.0f} req/s", latencies)
        stop = asyncio.Event()
        reporting = asyncio.ensure_future(time_reports(worker.url, None, stop))
        latencies = await lookups(worker.port, stores, clients, SECONDS, 500.0)
        stop.set()
        reports_done = len(await reporting)
        print_latencies(f"same, 500 req/s, during {reports_done} back-to-back reports", latencies)
        wrk_closed_loop(worker, stores, clients, root)


def main() -> None:
    run_against_worker(__doc__, "clients", 200, run)


if __name__ == "__main__":
    main()
