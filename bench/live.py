"""Benchmark: live traffic, one ping per message, into a worker whose stores already hold a week.

    python -m bench.live [--stores 10000] [--days 7.5] [--connections 32]

Starts a broker and one worker, replays the generated dataset and waits for the worker. Every ping
sent afterwards is new (a later instant than any the store has), so each one changes state and
writes to the changelog. Then:

1. Kafka, one ping per message, as fast as one producer sends: pings/s the worker sustains (from the
   first message to caught up), its CPU per ping, and the changelog bytes per ping it wrote.
2. ``POST /api/pings`` closed loop from ``connections`` keep-alive connections, batches of 1, 100
   and 1,000 pings: pings/s acknowledged, and p50 / p99 per request.
3. Single pings over HTTP in an open loop at 500 pings/s: p99 to acknowledgement, counted from the
   scheduled instant (no coordinated omission).
4. Acknowledged -> visible: a ping is posted, then its store looked up until the lookup shows it.

The load generators are bare asyncio clients on the same 2 cores as the worker.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.api_latency import content_length, percentile
from bench.harness import changelog_bytes, cpu_seconds, run_against_worker
from connectors.kafka.publisher import Publisher
from storemon.local import Deployment, WorkerProcess, fetch_report, local_deployment
from streams.contract.messages import encode_pings
from streams.engine import SECOND
from streams.engine.instants import iso_text

KAFKA_PINGS = 100_000
SECONDS = 10.0


class Pings:
    """New pings for random stores: each instant later than every one before it."""

    def __init__(self, stores: list[str], after: int) -> None:
        self.stores = stores
        self.next = after + SECOND
        self.rng = random.Random(7)

    def take(self) -> tuple[str, int, bool]:
        self.next += 1_000  # a millisecond apart
        return self.rng.choice(self.stores), self.next, self.rng.random() > 0.2

    def items(self, count: int) -> Iterator[dict[str, str]]:
        for _ in range(count):
            store, instant, active = self.take()
            yield {
                "store_id": store,
                "status": "active" if active else "inactive",
                "timestamp_utc": iso_text(instant),
            }


def milliseconds(latencies: list[float]) -> str:
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies) * 1000:.1f} ms"


async def metric(url: str, name: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{url}/metrics")).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


async def kafka_single_pings(deployment: Deployment, worker: WorkerProcess, pings: Pings, root: Path) -> None:
    if worker.process is None:
        raise RuntimeError("the worker is not running")
    pid = worker.process.pid
    bytes_before = await metric(worker.url, "storemon_changelog_bytes_total")
    disk_before = changelog_bytes(root / "broker", deployment.name)
    cpu_before = cpu_seconds(pid)
    publisher = Publisher(deployment.kafka, linger_ms=5)
    await publisher.start()
    started = time.perf_counter()
    try:
        for start in range(0, KAFKA_PINGS, 5_000):
            messages: list[tuple[str, bytes | None]] = []
            for _ in range(min(5_000, KAFKA_PINGS - start)):
                store, instant, active = pings.take()
                messages.append((store, encode_pings([(instant, active)])))
            await publisher.send_all(deployment.topics.pings, messages)
    finally:
        await publisher.stop()
    published = time.perf_counter() - started
    await deployment.wait_caught_up(timeout=900)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu_before
    written = await metric(worker.url, "storemon_changelog_bytes_total") - bytes_before
    on_disk = changelog_bytes(root / "broker", deployment.name) - disk_before
    rate, per_ping = KAFKA_PINGS / elapsed, cpu / KAFKA_PINGS * 1e6
    print(
        f"Kafka, one ping per message: {KAFKA_PINGS:,} pings published in {published:.1f} s, worker "
        f"caught up after {elapsed:.1f} s = {rate:,.0f} pings/s; worker CPU {per_ping:.0f} us per ping; "
        f"changelog {on_disk / KAFKA_PINGS:.1f} bytes per ping on the broker's disk, "
        f"{written / KAFKA_PINGS:.1f} of keys and values  (bar: <= 100 B)"
    )


async def connect(port: int, count: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    return await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(count)))


async def post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes) -> None:
    head = (
        f"POST /api/pings HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    answer = await reader.readuntil(b"\r\n\r\n")
    text = await reader.readexactly(content_length(answer))
    if not answer.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"POST /api/pings answered {answer[:12]!r}: {text[:200]!r}")


async def closed_loop(port: int, connections: int, batch: int, pings: Pings) -> None:
    pairs = await connect(port, connections)
    latencies: list[float] = []
    deadline = time.perf_counter() + SECONDS

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while time.perf_counter() < deadline:
            body = json.dumps(list(pings.items(batch))).encode()
            sent = time.perf_counter()
            await post(reader, writer, body)
            latencies.append(time.perf_counter() - sent)

    started = time.perf_counter()
    await asyncio.gather(*(one(*pair) for pair in pairs))
    elapsed = time.perf_counter() - started
    for _, writer in pairs:
        writer.close()
    print(
        f"POST /api/pings, batches of {batch:,}, {connections} connections, closed loop: "
        f"{len(latencies) * batch / elapsed:,.0f} pings/s acknowledged, {milliseconds(latencies)} per request"
    )


async def open_loop(port: int, connections: int, rate: float, pings: Pings) -> None:
    pairs = await connect(port, connections)
    latencies: list[float] = []
    interval = connections / rate
    start = time.perf_counter() + 0.05
    deadline = start + SECONDS

    async def one(seed: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        scheduled = start + random.Random(seed).random() * interval
        while scheduled < deadline:
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            await post(reader, writer, json.dumps(next(pings.items(1))).encode())
            latencies.append(time.perf_counter() - scheduled)
            scheduled += interval

    await asyncio.gather(*(one(i, *pair) for i, pair in enumerate(pairs)))
    for _, writer in pairs:
        writer.close()
    print(
        f"single pings, open loop {rate:,.0f}/s over {connections} connections: "
        f"{len(latencies) / SECONDS:,.0f} acknowledged/s, {milliseconds(latencies)} to acknowledgement  "
        f"(bar: p99 <= 50 ms)"
    )


async def visibility(url: str, pings: Pings, samples: int = 200) -> None:
    delays: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for _ in range(samples):
            store, instant, active = pings.take()
            body = {
                "store_id": store,
                "status": "active" if active else "inactive",
                "timestamp_utc": iso_text(instant),
            }
            (await client.post("/api/pings", json=body)).raise_for_status()
            acknowledged = time.perf_counter()
            while (await client.get(f"/api/stores/{store}")).json().get("last_ping") != iso_text(instant):
                await asyncio.sleep(0.001)
            delays.append(time.perf_counter() - acknowledged)
    print(f"acknowledged -> visible in the lookup: {milliseconds(delays)} over {samples} pings")


async def run(source: Path, connections: int, root: Path) -> None:
    async with local_deployment(root, partitions=8) as (_, deployment, worker):
        await deployment.replay(source)
        await deployment.wait_caught_up(timeout=900)
        async with httpx.AsyncClient(base_url=worker.url) as client:
            watermark = (await client.get("/api/internal/watermark")).json()["watermark_us"]
        text = await fetch_report(worker.url, timeout=300)
        stores = [line.split(",", 1)[0] for line in text.splitlines()[1:]]
        print(f"{len(stores):,} stores with a week of history")
        pings = Pings(stores, watermark)
        await kafka_single_pings(deployment, worker, pings, root)
        for batch in (1, 100, 1_000):
            await closed_loop(worker.port, connections, batch, pings)
            await deployment.wait_caught_up(timeout=900)  # each phase starts with nothing queued
        await open_loop(worker.port, connections, 500.0, pings)
        await deployment.wait_caught_up(timeout=900)
        await visibility(worker.url, pings)


def main() -> None:
    run_against_worker(__doc__, "connections", 32, run)


if __name__ == "__main__":
    main()
