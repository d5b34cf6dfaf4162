"""Benchmark: a burst of outage changes to 1, 50 and 500 event-stream clients at once.

    python -m bench.events [--stores 2000] [--days 7.5] [--burst 2000] [--clients 1,50,500]

Starts a broker and one worker, replays the dataset (so lookups read a week of every store), then
for each number of clients: connects them to ``/api/events`` (from now on), publishes ``burst``
outage openings straight to the outage topic, as the worker's agents write them, and waits until
every client has every one. It prints, per number of clients: delivery (from the burst's first
publication to arrival at a client, over every client and change) p50 / p99, the worker's CPU seconds
from the burst to the last arrival and its peak RSS so far, and the p50 / p99 of the lookups sent,
one after another, in that time.

Clients are bare HTTP/1.1 connections that only look for each frame's ``event_id``: the benchmark's
own reading stays small beside the worker's sending. It shares the machine's cores with the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from pathlib import Path

import httpx

from bench.harness import cpu_seconds, dataset, dataset_parser, peak_rss_mib
from bench.live import milliseconds
from connectors.kafka import clients
from storemon.local import Deployment, WorkerProcess, local_deployment
from streams.engine import HOUR
from streams.engine.episodes import Change, EpisodeEvent
from streams.engine.outages import Outage
from streams.outages.log import outage_message

EVENT_ID = re.compile(rb'"event_id":"([0-9a-f]+)"')
WAIT = 300.0  # seconds the last client may take before the round reports what it got


class Client:
    """One ``/api/events`` connection: when each event id arrived."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.arrived: dict[bytes, float] = {}
        self.connected = asyncio.Event()

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(b"GET /api/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
        tail = b""
        try:
            while chunk := await reader.read(1 << 16):
                now = time.perf_counter()
                self.connected.set()  # the server's first frame: the stream is open
                # Whole frames only: one may end in the next read.
                whole, _, tail = (tail + chunk).rpartition(b"\n\n")
                for found in EVENT_ID.finditer(whole):
                    self.arrived.setdefault(found.group(1), now)
        finally:
            writer.close()


async def lookups(url: str, store_ids: list[str], stop: asyncio.Event) -> list[tuple[float, float]]:
    """(when sent, latency) of lookups sent one after another until ``stop``."""
    sent = []
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:  # a slow answer is a figure
        i = 0
        while not stop.is_set():
            began = time.perf_counter()
            await client.get(f"/api/stores/{store_ids[i % len(store_ids)]}")
            sent.append((began, time.perf_counter() - began))
            i += 1
    return sent


def burst_messages(count: int, round_number: int) -> list[tuple[bytes, bytes]]:
    """``count`` outage openings, each of its own store and with its own event id."""
    as_of = 1_700_000_000_000_000
    messages = []
    for i in range(count):
        outage = Outage(f"burst-{round_number}-{i}", as_of - HOUR, None, False, as_of - HOUR, HOUR)
        key, value = outage_message(Change(EpisodeEvent.OPENED, outage), "America/Chicago", as_of)
        assert value is not None
        messages.append((key, value))
    return messages


async def one_round(
    deployment: Deployment, worker: WorkerProcess, count: int, burst: int, round_number: int, ids: list[str]
) -> str:
    listeners = [Client(worker.port) for _ in range(count)]
    tasks = [asyncio.create_task(listener.run()) for listener in listeners]
    await asyncio.gather(*(listener.connected.wait() for listener in listeners))
    await asyncio.sleep(1.0)  # every stream past its first read
    messages = burst_messages(burst, round_number)
    wanted = {json.loads(value)["event_id"].encode() for _, value in messages}
    producer = clients.producer(deployment.kafka, linger_ms=5)
    await producer.start()
    stop = asyncio.Event()
    looking = asyncio.create_task(lookups(worker.url, ids, stop))
    await asyncio.sleep(0.5)  # its connection made
    assert worker.process is not None
    cpu_before = cpu_seconds(worker.process.pid)
    try:
        published = time.perf_counter()
        sent = [await producer.send(deployment.topics.outages, value, key=key) for key, value in messages]
        await asyncio.gather(*sent)
        deadline = published + WAIT
        while time.perf_counter() < deadline and not all(wanted <= set(c.arrived) for c in listeners):
            await asyncio.sleep(0.05)
        cpu = cpu_seconds(worker.process.pid) - cpu_before
    finally:
        stop.set()
        await producer.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    delivered = [c.arrived[i] - published for c in listeners for i in wanted if i in c.arrived]
    last = max(delivered) if delivered else float("nan")
    looked = [latency for began, latency in await looking if published <= began <= published + last]
    missing = count * burst - len(delivered)
    return (
        f"{count:>4} clients: {len(delivered):,} of {count * burst:,} deliveries"
        + (f" ({missing:,} missing after {WAIT:.0f} s)" if missing else "")
        + f", delivery {milliseconds(delivered)}, last at {last:.2f} s; worker {cpu:.2f} CPU-s, "
        f"peak RSS so far {peak_rss_mib(worker.process.pid):.0f} MiB; "
        f"{len(looked):,} lookups meanwhile, {milliseconds(looked)}"
    )


async def run(source: Path, counts: list[int], burst: int, root: Path) -> None:
    async with local_deployment(root, partitions=8) as (_, deployment, worker):
        await deployment.replay(source)
        await deployment.wait_caught_up(timeout=900)
        async with httpx.AsyncClient(base_url=worker.url) as client:
            page = (await client.get("/api/fleet/stores", params={"limit": 200})).json()
        ids = [row["store_id"] for row in page["stores"]]
        print(f"a burst of {burst:,} outage changes to every client, one round per number of clients")
        for number, count in enumerate(counts):
            print(await one_round(deployment, worker, count, burst, number, ids), flush=True)


def main() -> None:
    parser: argparse.ArgumentParser = dataset_parser(__doc__)
    parser.set_defaults(stores=2000)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--clients", default="1,50,500", help="numbers of clients, one round each")
    args = parser.parse_args()
    counts = [int(part) for part in args.clients.split(",")]
    source = dataset(args.stores, args.days, args.seed)
    with tempfile.TemporaryDirectory(prefix="storemon-bench-") as tmp:
        asyncio.run(run(source, counts, args.burst, Path(tmp)))


if __name__ == "__main__":
    main()
