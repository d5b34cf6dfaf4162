"""Faults and load against real processes: broker restart, API restart mid-report, concurrent triggers."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from replay.synth import synthesize
from storemon.broker import LocalBroker, free_port
from storemon.local import Deployment, fetch_report
from tests.helpers import OfflineCsv

pytestmark = pytest.mark.kafka
WINDOW_LIMITS = (60.0, 24.0, 168.0)  # minutes, hours, hours


async def added(url: str) -> int:
    async with httpx.AsyncClient(base_url=url) as client:
        return int((await client.get("/api/worker/status")).json()["outcomes"].get("added", 0))


def assert_internally_consistent(text: str) -> None:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header[0] == "store_id" and len(header) == 7
    ids = []
    for row in reader:
        ids.append(row[0])
        values = [float(v) for v in row[1:]]
        assert all(v >= 0 for v in values), row
        for window, limit in enumerate(WINDOW_LIMITS):
            assert values[window] + values[window + 3] <= limit + 0.02, row
    assert ids == sorted(set(ids))


def children_of(pid: int) -> set[int]:
    """Live processes whose parent is ``pid``, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:  # fields after the command: state, ppid, ...
                found.add(int(stat.parent.name))
    return found


async def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """The pids of ``pids`` still alive after ``timeout`` seconds (or as soon as none is)."""
    for _ in range(int(timeout / 0.1)):
        pids = {pid for pid in pids if Path(f"/proc/{pid}").exists()}
        if not pids:
            break
        await asyncio.sleep(0.1)
    return pids


def test_broker_restarted_mid_replay(tmp_path: Path, offline_csv: OfflineCsv) -> None:
    source = synthesize(tmp_path / "data.zip", stores=300, days=8, seed=5).path
    expected = offline_csv(source)
    broker = LocalBroker(tmp_path / "broker", port=free_port(), engine="kafka")
    broker.start()
    deployment = Deployment(broker.connection(), tmp_path)
    worker = deployment.worker()

    async def scenario() -> str:
        worker.start()
        await worker.wait_ready()
        replay = asyncio.create_task(deployment.replay(source))
        while await added(worker.url) == 0:
            await asyncio.sleep(0.05)
        broker.stop()
        await asyncio.sleep(2)
        broker.start()
        with contextlib.suppress(Exception):  # the interrupted replay may give up; running it again is safe
            await replay
        await deployment.replay(source)
        await deployment.wait_caught_up(timeout=240)
        return await fetch_report(worker.url)

    try:
        assert asyncio.run(scenario()) == expected
    finally:
        worker.stop()
        broker.stop()


def test_worker_stops_on_sigterm_when_the_broker_is_gone(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path / "broker", port=free_port(), engine="kafka")
    broker.start()
    worker = Deployment(broker.connection(), tmp_path).worker()
    try:
        worker.start()
        asyncio.run(worker.wait_ready())
        broker.stop()
        worker.stop()  # SIGTERM, then SIGKILL after 30 s
        # uvicorn re-raises the signal it handled once it has shut down: -SIGTERM, not -SIGKILL
        assert worker.process is not None and worker.process.returncode == -signal.SIGTERM
        assert "did not stop within" in worker.log.read_text()
    finally:
        worker.stop()
        broker.stop()


def test_reports_running_when_the_worker_is_killed_finish_after_restart(
    deployment: Deployment, tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    source = synthesize(tmp_path / "data.zip", stores=2000, days=8, seed=6).path
    expected = offline_csv(source)
    worker = deployment.worker()

    async def scenario() -> tuple[int, list[dict[str, Any]], list[str]]:
        worker.start()
        await worker.wait_ready()
        await deployment.replay(source)
        await deployment.wait_caught_up()
        async with httpx.AsyncClient(base_url=worker.url, timeout=30) as client:
            # Triggered and asked after at once, so that the kill finds some still running however
            # fast this machine computes one.
            triggered = await asyncio.gather(*(client.post("/api/trigger_report") for _ in range(60)))
            ids = [answer.json()["report_id"] for answer in triggered]
            statuses = await asyncio.gather(
                *(client.get("/api/get_report", params={"report_id": i}) for i in ids)
            )
        assert worker.process is not None
        children = children_of(worker.process.pid)
        assert children, "the worker computes reports in a child process"
        worker.kill()
        assert await wait_gone(children) == set(), "the report process outlived its killed worker"
        interrupted = sum(not s.headers["content-type"].startswith("text/csv") for s in statuses)
        restarted = deployment.worker(data_dir=worker.data_dir, port=worker.port).start()
        try:
            await restarted.wait_ready()
            async with httpx.AsyncClient(base_url=worker.url, timeout=30) as client:
                for _ in range(600):
                    answers = [await client.get("/api/get_report", params={"report_id": i}) for i in ids]
                    if all(
                        a.headers["content-type"].startswith("text/csv") or a.json()["status"] == "Failed"
                        for a in answers
                    ):
                        break
                    await asyncio.sleep(0.2)
            states = [
                {"csv": a.text} if a.headers["content-type"].startswith("text/csv") else a.json()
                for a in answers
            ]
        finally:
            restarted.stop()
        return interrupted, states, ids

    interrupted, states, _ = asyncio.run(scenario())
    assert interrupted >= 1  # the kill really caught reports half-way
    assert all(state.get("csv") == expected for state in states), [s for s in states if "csv" not in s]


def test_fifty_concurrent_reports_and_lookups_during_a_replay(
    deployment: Deployment, tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    source = synthesize(tmp_path / "data.zip", stores=1000, days=8, seed=8).path
    expected = offline_csv(source)
    store_ids = [line.split(",", 1)[0] for line in expected.splitlines()[1:]]
    worker = deployment.worker()

    async def lookups(stop: asyncio.Event) -> dict[int, int]:
        codes: dict[int, int] = {}
        async with httpx.AsyncClient(base_url=worker.url, timeout=30) as client:
            i = 0
            while not stop.is_set():
                code = (await client.get(f"/api/stores/{store_ids[i % len(store_ids)]}")).status_code
                codes[code] = codes.get(code, 0) + 1
                i += 1
        return codes

    async def scenario() -> tuple[list[str], dict[int, int], str]:
        worker.start()
        await worker.wait_ready()
        replay = asyncio.create_task(deployment.replay(source))
        while await added(worker.url) == 0:
            await asyncio.sleep(0.05)
        stop = asyncio.Event()
        looker = asyncio.create_task(lookups(stop))
        reports = await asyncio.gather(*(fetch_report(worker.url, timeout=300) for _ in range(50)))
        await replay
        await deployment.wait_caught_up()
        stop.set()
        final = await fetch_report(worker.url)
        return reports, await looker, final

    try:
        reports, codes, final = asyncio.run(scenario())
    finally:
        worker.stop()
    assert len(reports) == 50
    for report in reports:
        assert_internally_consistent(report)
    assert set(codes) <= {200, 404} and codes.get(200, 0) > 0, codes
    assert final == expected
