"""A deployment of the product on this machine, as separate processes: broker, workers, replays.

``storemon demo`` runs on it; so do the integration tests and the benchmarks, so all three run the
product the way an operator does: ``storemon worker`` processes talking to a real broker.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from aiokafka import TopicPartition

from connectors.kafka import KafkaConnection, committed_offsets, end_offsets
from replay.publish import ReplaySummary, publish_dataset
from storemon.broker import ClientSecurity, LocalBroker, free_port
from storemon.processes import terminate
from storemon.settings import kafka_environment
from streams.topics import Topics


class ReportFailed(RuntimeError):
    pass


def fresh_name() -> str:
    """A name no other deployment on the broker uses: its topic prefix and consumer group."""
    return f"t{uuid.uuid4().hex[:10]}"


@dataclass
class Deployment:
    """One product deployment on a broker, isolated by its own topic prefix and consumer group."""

    kafka: KafkaConnection
    root: Path
    name: str = field(default_factory=fresh_name)
    partitions: int = 4
    token: str | None = None
    standby_replicas: int = 0
    replication: int | None = None  # default: three, or every broker when fewer
    settings: dict[str, str] = field(default_factory=dict)  # more STOREMON_* for its workers

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.name)

    def env(self, port: int, data_dir: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.update(kafka_environment(self.kafka))
        env.update(
            STOREMON_APP_ID=self.name,
            STOREMON_TOPIC_PREFIX=self.name,
            STOREMON_PARTITIONS=str(self.partitions),
            STOREMON_API_PORT=str(port),
            STOREMON_DATA_DIR=str(data_dir),
            STOREMON_STANDBY_REPLICAS=str(self.standby_replicas),
        )
        if self.token:
            env["STOREMON_API_TOKEN"] = self.token
        if self.replication is not None:
            env["STOREMON_REPLICATION_FACTOR"] = str(self.replication)
        env.update(self.settings)
        return env

    def worker(self, data_dir: Path | None = None, port: int | None = None) -> WorkerProcess:
        port = port or free_port()
        data_dir = data_dir or self.root / f"worker-{port}"
        return WorkerProcess(port, data_dir, self.env(port, data_dir))

    async def replay(
        self,
        source: str | Path,
        speed: float | None = None,
        progress: bool = False,
        shift_to_now: bool = False,
    ) -> ReplaySummary:
        return await publish_dataset(
            source,
            self.kafka,
            self.topics,
            self.partitions,
            self.replication,
            speed=speed,
            progress=progress,
            shift_to_now=shift_to_now,
        )

    async def serve(
        self, source: str | Path, data_dir: Path | None = None, port: int | None = None
    ) -> WorkerProcess:
        """A worker that has processed all of ``source``: started, ready, fed, caught up."""
        worker = self.worker(data_dir=data_dir, port=port).start()
        try:
            await worker.wait_ready()
            await self.replay(source)
            await self.wait_caught_up()
        except BaseException:
            worker.stop()
            raise
        return worker

    async def end_offsets(self) -> dict[tuple[str, int], int]:
        tps = [TopicPartition(t, p) for t in self.topics.consumed for p in range(self.partitions)]
        ends = await end_offsets(self.kafka, tps)
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}

    async def committed_offsets(self) -> dict[tuple[str, int], int]:
        """The group's committed offsets (next offset to read) per topic partition."""
        committed = await committed_offsets(self.kafka, self.name)
        return {(tp.topic, tp.partition): offset for tp, offset in committed.items()}

    async def caught_up(self) -> bool:
        """True when the group's committed offsets reach the end of the sources and their repartitions."""
        ends = await self.end_offsets()
        done = await self.committed_offsets()
        return all(end == 0 or done.get(tp, -1) >= end for tp, end in ends.items())

    async def wait_caught_up(self, timeout: float = 300.0) -> float:
        started = time.monotonic()
        while not await self.caught_up():
            if time.monotonic() - started > timeout:
                raise TimeoutError("the worker did not catch up with the topics")
            await asyncio.sleep(0.5)
        return time.monotonic() - started


class WorkerProcess:
    """``storemon worker`` in a subprocess, as operators run it (or ``command``, run in ``cwd``: the
    container image's own, say)."""

    def __init__(
        self,
        port: int,
        data_dir: Path,
        env: dict[str, str],
        command: Sequence[str] = (sys.executable, "-m", "storemon.cli", "worker"),
        cwd: Path | None = None,
    ) -> None:
        self.port = port
        self.data_dir = data_dir
        self.env = env
        self.command = list(command)
        self.cwd = cwd
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"worker-{port}.log"
        self._log_handle: IO[bytes] | None = None

    def start(self) -> WorkerProcess:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._log_handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command, env=self.env, cwd=self.cwd, stdout=self._log_handle, stderr=subprocess.STDOUT
        )
        return self

    def _close_log(self) -> None:
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    async def wait_ready(self, timeout: float = 120.0) -> None:
        started = time.monotonic()
        async with httpx.AsyncClient() as client:
            while time.monotonic() - started < timeout:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(
                        f"worker exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
                    )
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
        raise TimeoutError(f"worker not ready:\n{self.log.read_text()[-3000:]}")

    async def wait_processed(self, ends: dict[tuple[str, int], int], timeout: float = 600.0) -> None:
        """Until this worker has processed every message before ``ends`` (a sole worker's view)."""
        await wait_processed([self], ends, timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self._close_log()

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it; SIGKILL after 30 s."""
        if self.process is not None:
            terminate(self.process, 30.0)
        self._close_log()


async def fetch_report(
    url: str, headers: dict[str, str] | None = None, timeout: float = 120.0, **body: str
) -> str:
    """Trigger a report through the API and poll until its CSV is ready."""
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        response = await client.post("/api/trigger_report", json=body or None)
        response.raise_for_status()
        report_id = response.json()["report_id"]
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            got = await client.get("/api/get_report", params={"report_id": report_id})
            got.raise_for_status()
            if got.headers["content-type"].startswith("text/csv"):
                return got.text
            state = got.json()
            if state["status"] != "Running":
                raise ReportFailed(f"report {report_id} ended {state}")
            await asyncio.sleep(0.2)
    raise TimeoutError("report did not complete")


@asynccontextmanager
async def local_deployment(
    root: Path,
    name: str | None = None,
    partitions: int = 4,
    port: int | None = None,
    nodes: int = 1,
    security: ClientSecurity | None = None,
    settings: dict[str, str] | None = None,
) -> AsyncIterator[tuple[LocalBroker, Deployment, WorkerProcess]]:
    """A fresh local broker (or cluster of ``nodes``, with a SASL_SSL listener given ``security``) and
    one ready worker under ``root`` (``settings``: more ``STOREMON_*`` for it), all stopped afterwards
    whatever happens."""
    broker = LocalBroker(
        root / "broker", nodes=nodes, security=security, heap="512m" if nodes == 1 else "384m"
    )
    broker.start()
    worker = None
    try:
        deployment = Deployment(
            broker.connection(), root, name or fresh_name(), partitions, settings=dict(settings or {})
        )
        worker = deployment.worker(port=port).start()
        await worker.wait_ready()
        yield broker, deployment, worker
    finally:
        if worker is not None:
            worker.stop()
        broker.stop()


async def wait_processed(
    workers: Sequence[WorkerProcess], ends: dict[tuple[str, int], int], timeout: float = 600.0
) -> None:
    """Until ``workers`` between them have processed every message before ``ends``, each partition
    by the worker it is assigned to.

    Asked every 0.1 s through one client: a client made per question costs its TLS context (tens of
    milliseconds of CPU) each time, taken from the processes being measured beside it.
    """
    async with httpx.AsyncClient() as client:
        for _ in range(int(timeout / 0.1)):
            done: dict[tuple[str, int], int] = {}
            for worker in workers:
                offsets = (await client.get(f"{worker.url}/api/worker/status")).json()["next_offsets"]
                for topic, partitions in offsets.items():
                    for partition, offset in partitions.items():
                        done[topic, int(partition)] = max(done.get((topic, int(partition)), 0), offset)
            if all(end == 0 or done.get(tp, 0) >= end for tp, end in ends.items()):
                return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"the workers did not process every message within {timeout:.0f} s")
