"""Outage and silence alerts against a real broker and worker: the event stream during a paced replay,
resumed after a disconnect and after the worker is killed; webhooks to a receiver that is down, then
failing."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from alerts.client import Event, events
from replay.synth import synthesize
from storemon.broker import free_port
from storemon.local import Deployment, WorkerProcess
from tests.integration.episode_topics import read_episode_topics

pytestmark = pytest.mark.kafka
# Two days of 40 stores in about 12 s: one ping per store and message, as live traffic comes.
STORES, DAYS, SPEED = 40, 2.0, 2 * 86400 / 12


def place(previous: str, event: Event) -> tuple[int, int]:
    """(partition, offset) of an event: the one partition its id moved on from the previous id."""
    before, after = (list(map(int, text.split("."))) for text in (previous, event.id))
    moved = [p for p, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(moved) == 1 and after[moved[0]] > before[moved[0]], (previous, event.id)
    return moved[0], after[moved[0]] - 1


async def ends_of(deployment: Deployment) -> str:
    consumer = AIOKafkaConsumer(bootstrap_servers=deployment.kafka.bootstrap)
    await consumer.start()
    try:
        topics = (deployment.topics.outages, deployment.topics.silences)
        tps = [TopicPartition(topic, p) for topic in topics for p in range(deployment.partitions)]
        ends = await consumer.end_offsets(tps)
        return ".".join(str(ends[tp]) for tp in tps)
    finally:
        await consumer.stop()


def test_the_event_stream_carries_every_change_in_order_across_a_disconnect_and_a_killed_worker(
    deployment: Deployment, tmp_path: Path
) -> None:
    source = synthesize(tmp_path / "data", stores=STORES, days=DAYS, seed=5).path
    received: list[tuple[str, Event]] = []  # (the id before it, the event)

    async def listen(worker: WorkerProcess, last: str, until: int | str) -> str:
        """Read until ``until`` events were received in all, or the stream reaches position ``until``."""
        if last == until:
            return last
        async with httpx.AsyncClient(base_url=worker.url) as client:
            async for event in events(client, last):
                received.append((last, event))
                last = event.id
                if len(received) == until or last == until:
                    return last
        raise AssertionError("the stream ended")

    async def scenario() -> None:
        first = deployment.worker().start()
        await first.wait_ready()
        start = await ends_of(deployment)  # an empty topic: every event of the replay comes after
        replay = asyncio.create_task(deployment.replay(source, speed=SPEED))
        last = await listen(first, start, 10)
        last = await listen(first, last, 20)  # a disconnect, then resumption from the last id seen
        first.kill()
        second = deployment.worker(data_dir=first.data_dir, port=first.port).start()
        try:
            await second.wait_ready()
            await replay
            # Caught up means committed, and a commit waits until every outage record before it is
            # acknowledged: the topic's ends are final now.
            await deployment.wait_caught_up()
            await asyncio.wait_for(listen(second, last, await ends_of(deployment)), timeout=60)
        finally:
            second.stop()

    asyncio.run(scenario())
    expected = asyncio.run(read_episode_topics(deployment))
    got = [(*place(before, event), event.data) for before, event in received]
    assert sorted(got, key=lambda item: item[:2]) == expected  # every record once: none lost, none made up
    for partition in range(deployment.partitions):
        offsets = [offset for p, offset, _ in got if p == partition]
        assert offsets == sorted(offsets)  # in order
    kinds = {event.name for _, event in received}
    assert {"outage.opened", "outage.closed", "silence.closed"} <= kinds
    assert [f"{event.data['kind']}.{event.data['event']}" for _, event in received] == [
        event.name for _, event in received
    ]


async def gauge(worker: WorkerProcess, name: str, until: float | None = None) -> float:
    """A gauge of the worker's metrics; with ``until``, asked again for up to 10 s until it says that."""
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            text = (await client.get(f"{worker.url}/metrics")).text
            value = next(float(line.split()[1]) for line in text.splitlines() if line.startswith(f"{name} "))
            if until is None or value == until:
                break
            await asyncio.sleep(0.1)
    return value


def test_fifty_clients_share_one_reader_of_the_topic_and_each_gets_every_change_once(
    deployment: Deployment, tmp_path: Path
) -> None:
    source = synthesize(tmp_path / "data", stores=STORES, days=DAYS, seed=6).path
    received: list[list[Event]] = [[] for _ in range(50)]

    async def listen(worker: WorkerProcess, got: list[Event]) -> None:
        async with httpx.AsyncClient(base_url=worker.url) as client:
            async for event in events(client):
                got.append(event)

    async def scenario() -> tuple[str, float, float]:
        worker = deployment.worker().start()
        try:
            await worker.wait_ready()
            start = await ends_of(deployment)
            listening = [asyncio.create_task(listen(worker, got)) for got in received]
            assert await gauge(worker, "storemon_event_clients", until=len(received)) == len(received)
            await deployment.replay(source)
            await deployment.wait_caught_up()  # every outage record acknowledged: the ends are final
            readers = await gauge(worker, "storemon_event_readers")
            ends = await ends_of(deployment)
            for _ in range(600):
                if all(got and got[-1].id == ends for got in received):
                    break
                await asyncio.sleep(0.1)
            for task in listening:
                task.cancel()
            await asyncio.gather(*listening, return_exceptions=True)
            return start, readers, await gauge(worker, "storemon_event_clients", until=0)
        finally:
            worker.stop()

    start, readers, left = asyncio.run(scenario())
    assert readers == 1  # the worker's own: no client has a reader of its own
    assert left == 0
    expected = asyncio.run(read_episode_topics(deployment))
    assert len(expected) > 20
    for got in received:
        places = [
            place(before, event) for before, event in zip([start, *(e.id for e in got)], got, strict=False)
        ]
        assert sorted((*at, event.data) for at, event in zip(places, got, strict=True)) == expected
        assert [(event.id, event.name) for event in got] == [(e.id, e.name) for e in received[0]]


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver that answers 500 to its first ``failures`` POSTs."""

    failures: ClassVar[int] = 3
    bodies: ClassVar[list[dict[str, Any]]] = []
    ids: ClassVar[list[str]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            failing = Receiver.failures > 0
            Receiver.failures -= 1
            if not failing:
                Receiver.bodies.append(json.loads(body))
                Receiver.ids.append(self.headers["X-Storemon-Event-Id"])
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def receiving(port: int) -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_a_webhook_receiver_that_is_down_then_failing_finally_gets_every_opening_and_closing(
    deployment: Deployment, tmp_path: Path
) -> None:
    source = synthesize(tmp_path / "data", stores=STORES, days=DAYS, seed=9).path
    port = free_port()
    deployment.settings["STOREMON_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/hook"
    deployment.settings["STOREMON_WEBHOOK_RETRY_MAX_SECONDS"] = "2"  # so the test waits seconds, not minutes

    async def scenario() -> list[tuple[int, int, dict[str, Any]]]:
        worker = deployment.worker().start()
        try:
            await worker.wait_ready()
            await deployment.replay(source)  # the receiver is down all along
            await deployment.wait_caught_up()
            derived = await read_episode_topics(deployment)
            wanted = {n["event_id"] for _, _, n in derived if n["event"] in ("opened", "closed")}
            with receiving(port):
                for _ in range(240):
                    if wanted <= set(Receiver.ids):
                        break
                    await asyncio.sleep(0.5)
            return derived
        finally:
            worker.stop()

    derived = asyncio.run(scenario())
    by_id = {n["event_id"]: n for _, _, n in derived if n["event"] in ("opened", "closed")}
    assert len(by_id) > 10 and Receiver.failures < 0  # the receiver did fail some
    assert set(Receiver.ids) == set(by_id)  # every one, and none that was never derived
    for body in Receiver.bodies:
        assert body == by_id[body["event_id"]]
