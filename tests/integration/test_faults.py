"""Faults and load against real processes: broker restart, API restart mid-report, concurrent triggers."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from replay.synth import synthesize
from storemon.broker import LocalBroker, free_port
from storemon.local import Deployment, WorkerProcess, fetch_report
from tests.helpers import OfflineCsv, replay_under_way

pytestmark = pytest.mark.kafka
WINDOW_LIMITS = (60.0, 24.0, 168.0)  # minutes, hours, hours


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
        replay = await replay_under_way(deployment, worker, source)
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


async def log_says(worker: WorkerProcess, text: str, timeout: float = 90.0) -> None:
    """Until the worker's log holds ``text``."""
    for _ in range(int(timeout / 0.3)):
        if text in worker.log.read_text():
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"the worker never logged {text!r}")


async def not_ready(worker: WorkerProcess, timeout: float = 90.0) -> dict[str, Any]:
    """The first answer of ``/readyz`` that is not ``ready``."""
    async with httpx.AsyncClient(base_url=worker.url, timeout=10) as client:
        for _ in range(int(timeout / 0.3)):
            answer = dict((await client.get("/readyz")).json())
            if answer["status"] != "ready":
                return answer
            await asyncio.sleep(0.3)
    raise AssertionError("the worker stayed ready")


def test_a_worker_waits_for_its_broker_and_is_not_ready_while_it_is_away(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path / "broker", port=free_port(), engine="kafka")
    deployment = Deployment(broker.connection(), tmp_path, settings={"STOREMON_INGEST_TIMEOUT_SECONDS": "2"})
    worker = deployment.worker()
    ping = {"store_id": "s1", "status": "active", "timestamp_utc": "2023-01-25 18:13:22 UTC"}

    async def scenario() -> tuple[dict[str, Any], httpx.Response, httpx.Response]:
        worker.start()  # before its broker: it waits, saying so, instead of dying
        await log_says(worker, "trying again")
        broker.start()
        await worker.wait_ready()
        broker.stop()
        away = await not_ready(worker)
        # Shorter than aiokafka's own 40 s request timeout, so only the worker's own bound answers in time.
        async with httpx.AsyncClient(base_url=worker.url, timeout=25) as client:
            refused = await client.post("/api/pings", json=ping)
            broker.start()
            await worker.wait_ready()
            accepted = await client.post("/api/pings", json=ping)
        return away, refused, accepted

    try:
        away, refused, accepted = asyncio.run(scenario())
    finally:
        worker.stop()
        broker.stop()
    assert away["status"] == "Kafka unreachable", away
    assert f"cannot reach Kafka at {broker.bootstrap}" in away["detail"]
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1", refused.text
    assert accepted.status_code == 200, accepted.text


def test_a_worker_on_a_taken_port_stops_before_it_joins_the_group(
    deployment: Deployment, tmp_path: Path
) -> None:
    first = deployment.worker().start()
    second = deployment.worker(data_dir=tmp_path / "second" / "data", port=first.port)
    try:
        asyncio.run(first.wait_ready())
        second.start()
        assert second.process is not None and second.process.wait(timeout=60) == 1
    finally:
        second.stop()
        first.stop()
    lines = second.log.read_text().strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{first.port}" in lines[0], lines


def test_a_data_directory_reused_on_a_wiped_cluster_is_recovered_from_the_new_logs(
    tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    before = synthesize(tmp_path / "before.zip", stores=150, days=8, seed=11).path
    after = synthesize(tmp_path / "after.zip", stores=100, days=8, seed=12).path
    expected = offline_csv(after)
    first = LocalBroker(tmp_path / "first", port=free_port(), engine="kafka")
    wiped = LocalBroker(tmp_path / "wiped", port=free_port(), engine="kafka")
    data_dir = tmp_path / "kept" / "data"

    async def scenario() -> str:
        with first:
            deployment = Deployment(first.connection(), tmp_path)
            (await deployment.serve(before, data_dir=data_dir)).stop()
        with wiped:  # same deployment name, same data directory: its changelogs are gone
            again = Deployment(wiped.connection(), tmp_path, name=deployment.name)
            worker = again.worker(data_dir=data_dir).start()
            try:
                await worker.wait_ready()
                await again.replay(after)
                await again.wait_caught_up()
                return await fetch_report(worker.url)
            finally:
                worker.stop()

    assert asyncio.run(scenario()) == expected
    log = (tmp_path / "kept").glob("worker-*.log")
    assert any("its topics were deleted or recreated since" in path.read_text() for path in log)


def test_ctrl_c_with_event_streams_open_ends_them_and_stops_without_an_error(deployment: Deployment) -> None:
    worker = deployment.worker().start()

    async def listen(client: httpx.AsyncClient, opened: asyncio.Event) -> list[str]:
        async with client.stream("GET", "/api/events") as response:
            lines = []
            async for line in response.aiter_lines():
                lines.append(line)
                opened.set()
            return lines  # the server ended the stream: no error, nothing cut

    async def scenario() -> tuple[list[list[str]], float]:
        await worker.wait_ready()
        async with httpx.AsyncClient(base_url=worker.url, timeout=60) as client:
            opened = [asyncio.Event() for _ in range(3)]
            streams = [asyncio.create_task(listen(client, event)) for event in opened]
            await asyncio.gather(*(event.wait() for event in opened))
            assert worker.process is not None
            worker.process.send_signal(signal.SIGINT)
            began = time.monotonic()
            ended = await asyncio.gather(*streams)
            await asyncio.to_thread(worker.process.wait, 60)
            return ended, time.monotonic() - began

    try:
        ended, took = asyncio.run(scenario())
    finally:
        worker.stop()
    print(f"stopped {took:.1f} s after Ctrl-C")
    assert all(lines and lines[0].startswith("retry: ") for lines in ended)
    stopping = worker.log.read_text().partition("Shutting down")[2]
    assert stopping, "the worker logs its stop"
    assert "graceful shutdown exceeded" not in stopping and "Traceback" not in stopping
    assert '"levelname": "ERROR"' not in stopping, [line for line in stopping.splitlines() if "ERROR" in line]
    assert worker.process is not None and worker.process.returncode in (130, -signal.SIGINT)


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
        replay = await replay_under_way(deployment, worker, source)
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
