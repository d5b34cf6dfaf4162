"""Benchmark: ping published -> outage event on the stream, at the webhook and as a notification,
at a live rate.

    python -m bench.alerts [--stores 10000] [--days 7.5] [--rate 200]

Starts a broker and one worker whose webhook and notification channel (Apprise ``json://``) point at
receivers in this process, replays the generated dataset (so the worker holds a week of every
store), connects a client to ``/api/events``,
then publishes one ping per Kafka message, open loop at ``rate`` pings/s for 30 s, to stores of their
own that are open around the clock and alternate inactive and active: every ping opens or closes an
outage. Latency runs from the instant a ping was due to be published (no coordinated omission) to
the instant the event arrived, and is printed as p50 / p99 for each way.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from aiokafka import TopicPartition

from alerts.channels import channel_name
from alerts.client import events
from alerts.notifications import notification_id, notification_ids
from bench.harness import run_against_worker
from bench.live import milliseconds
from connectors.kafka import clients, committed_offsets, end_offsets, partition_of
from storemon.broker import free_port
from storemon.local import Deployment, local_deployment
from streams.contract.messages import encode_pings
from streams.engine import SECOND
from streams.engine.instants import iso_text

BAR = "(bar: p99 <= 250 ms, moonshot <= 50 ms)"
SECONDS = 30.0
STORES = 100  # each pings every STORES / rate seconds


class Arrivals:
    """When each (store, instant) was due, and when its event came by each way."""

    def __init__(self) -> None:
        self.due: dict[tuple[str, str], float] = {}
        self.latencies: dict[str, list[float]] = {"stream": [], "webhook": [], "notification": []}
        self.notified: dict[str, float] = {}  # notification id -> when its ping was due

    def expect(self, store: str, instant: str, active: bool, started_at: str, due: float) -> None:
        """A ping due at ``due`` that closes (``active``) or opens the store's outage of ``started_at``."""
        self.due[(store, instant)] = due
        episode = {"kind": "outage", "store_id": store, "started_at": started_at}
        self.notified[notification_id(episode, "up" if active else "down")] = due

    def arrived(self, way: str, body: dict[str, object]) -> None:
        now = time.perf_counter()
        instant = body["started_at"] if body["event"] == "opened" else body["ended_at"]
        due = self.due.get((str(body["store_id"]), str(instant)))
        if due is not None and body["event"] in ("opened", "closed"):
            self.latencies[way].append(now - due)

    def notification(self, body: dict[str, object]) -> None:
        now = time.perf_counter()
        for ident in notification_ids(str(body["message"])):  # one, or a digest's
            due = self.notified.get(ident)
            if due is not None:
                self.latencies["notification"].append(now - due)


class Receiver:
    """A bare HTTP/1.1 server that answers every POST 204 and hands each body to ``arrived``."""

    def __init__(self, arrived: Callable[[dict[str, object]], None]) -> None:
        self.arrived = arrived
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self, port: int) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", port)

    async def stop(self) -> None:
        """Close the listener and every connection, and let their handlers end on their own."""
        self.server.close()
        for writer in self.writers:
            writer.close()
        await asyncio.sleep(0.2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.arrived(json.loads(await reader.readexactly(length)))
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
        finally:
            self.writers.discard(writer)


async def listen(url: str, arrivals: Arrivals) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        async for event in events(client):
            arrivals.arrived("stream", event.data)


async def pending(deployment: Deployment, group: str) -> int:
    """Outage and silence records the delivery of consumer group ``group`` has not committed yet."""
    topics = (deployment.topics.outages, deployment.topics.silences)
    tps = [TopicPartition(topic, p) for topic in topics for p in range(deployment.partitions)]
    ends = await end_offsets(deployment.kafka, tps)
    done = await committed_offsets(deployment.kafka, group)
    return sum(end - done.get(tp, 0) for tp, end in ends.items())


async def run(source: Path, rate: int, root: Path) -> None:
    port, notify_port = free_port(), free_port()
    os.environ["STOREMON_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/hook"  # the worker's environment
    os.environ["STOREMON_NOTIFY_URLS"] = f"json://127.0.0.1:{notify_port}/notify"
    arrivals = Arrivals()
    receivers = (
        Receiver(lambda body: arrivals.arrived("webhook", body)),
        Receiver(arrivals.notification),
    )
    for receiver, at in zip(receivers, (port, notify_port), strict=True):
        await receiver.start(at)
    async with local_deployment(root, partitions=8) as (_, deployment, worker):
        await deployment.replay(source)
        await deployment.wait_caught_up(timeout=900)
        groups = {
            "webhook": f"{deployment.name}-webhooks",
            "notification": f"{deployment.name}-notify-{channel_name(os.environ['STOREMON_NOTIFY_URLS'])}",
        }
        for way, group in groups.items():
            started, backlog = time.perf_counter(), await pending(deployment, group)
            while await pending(deployment, group):
                await asyncio.sleep(0.5)
            drained = time.perf_counter() - started
            print(f"{way} delivery was {backlog:,} records behind when the worker caught up with the")
            print(f"replay, and caught up {drained:.1f} s later")
        async with httpx.AsyncClient(base_url=worker.url) as client:
            after = (await client.get("/api/internal/watermark")).json()["watermark_us"] + SECOND
        listener = asyncio.create_task(listen(worker.url, arrivals))
        await asyncio.sleep(1.0)  # connected, reading from now on
        producer = clients.producer(deployment.kafka, linger_ms=0)
        await producer.start()
        stores = [f"bench-{i}" for i in range(STORES)]
        try:
            start = time.perf_counter()
            for k in range(int(SECONDS * rate)):
                due = start + k / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                store, instant = stores[k % STORES], after + k * 1000
                active = (k // STORES) % 2 == 1  # each store: inactive, active, inactive, ...
                opened_at = instant - STORES * 1000 if active else instant
                arrivals.expect(store, iso_text(instant), active, iso_text(opened_at), due)
                key = store.encode()
                await producer.send(
                    deployment.topics.pings,
                    encode_pings([(instant, active)]),
                    key=key,
                    partition=partition_of(key, deployment.partitions),
                )
            await producer.flush()
            await asyncio.sleep(5.0)  # the last events arrive
        finally:
            await producer.stop()
            listener.cancel()
    for receiver in receivers:
        await receiver.stop()  # once the worker has stopped delivering
    sent = int(SECONDS * rate)
    print(f"{sent:,} pings published at {rate}/s, one per message, each opening or closing an outage")
    bars = {"stream": BAR, "webhook": BAR, "notification": "(bar: p99 <= 1 s)"}
    for way, latencies in arrivals.latencies.items():
        print(f"published -> {way}: {len(latencies):,} events, {milliseconds(latencies)}  {bars[way]}")


def main() -> None:
    run_against_worker(__doc__, "rate", 200, run)


if __name__ == "__main__":
    main()
