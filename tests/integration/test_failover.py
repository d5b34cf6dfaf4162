"""Several workers that come and go: what a killed worker held is served, exactly, by the survivors."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import httpx
import pytest
from aiokafka.partitioner import DefaultPartitioner

from replay.parsing import parse_timestamp
from replay.synth import synthesize
from storemon.local import Deployment, WorkerProcess, fetch_report
from streams.engine import MINUTE
from streams.engine.instants import dataset_text, iso_text
from tests.helpers import OfflineCsv, write_csv

pytestmark = pytest.mark.kafka


async def status(worker: WorkerProcess) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=worker.url) as client:
        body: dict[str, object] = (await client.get("/api/worker/status")).json()
        return body


async def held_partitions(worker: WorkerProcess, topic: str) -> set[int]:
    offsets = (await status(worker))["next_offsets"]
    assert isinstance(offsets, dict)
    return {int(p) for p in offsets.get(topic, {})}


async def wait_for_watermark(worker: WorkerProcess, expected: int, timeout: float = 90.0) -> None:
    for _ in range(int(timeout / 0.5)):
        if (await status(worker))["watermark_us"] == expected and (await status(worker))["ready"]:
            return
        await asyncio.sleep(0.5)
    raise TimeoutError(
        f"watermark of {worker.url} never reached {iso_text(expected)}: {await status(worker)}"
    )


def test_a_killed_workers_newest_pings_are_served_by_the_survivor(
    deployment: Deployment, tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    base = synthesize(tmp_path / "base", stores=300, days=8, seed=21).path
    stores = [line.split(",")[0] for line in offline_csv(base).splitlines()[1:]]
    pings = (base / "store_status.csv").read_text().splitlines()[1:]
    newest = max(parse_timestamp(line.split(",")[2]) for line in pings) + 10 * MINUTE
    first, second = deployment.worker().start(), deployment.worker().start()

    async def scenario() -> tuple[str, str, dict[str, object]]:
        await asyncio.gather(first.wait_ready(), second.wait_ready())
        await deployment.replay(base)
        await deployment.wait_caught_up()
        held = await held_partitions(first, deployment.topics.pings)
        assert held and held != set(range(deployment.partitions))
        partitions = list(range(deployment.partitions))
        # The newest ping of all, ten minutes after the latest, for a store the worker to be killed holds.
        store = next(s for s in stores if DefaultPartitioner()(s.encode(), partitions, []) in held)
        row = [store, "inactive", dataset_text(newest)]
        extra = tmp_path / "extra"
        write_csv(extra / "store_status.csv", ["store_id", "status", "timestamp_utc"], [row])
        write_csv(
            extra / "menu_hours.csv", ["store_id", "dayOfWeek", "start_time_local", "end_time_local"], []
        )
        write_csv(extra / "timezones.csv", ["store_id", "timezone_str"], [])
        await deployment.replay(extra)
        await deployment.wait_caught_up()
        first.kill()
        await wait_for_watermark(second, newest)
        combined = tmp_path / "combined"
        shutil.copytree(base, combined)
        with (combined / "store_status.csv").open("a") as handle:
            handle.write(",".join(row) + "\n")
        async with httpx.AsyncClient(base_url=second.url) as client:
            looked_up = (await client.get(f"/api/stores/{store}")).json()
        return await fetch_report(second.url), offline_csv(combined), looked_up

    try:
        from_survivor, expected, looked_up = asyncio.run(scenario())
    finally:
        first.stop()
        second.stop()
    assert from_survivor == expected
    assert looked_up["last_ping"] == looked_up["as_of"] == iso_text(newest)
    assert looked_up["status"] == "inactive"


def test_reports_are_answered_by_every_worker_and_outlive_the_one_that_ran_them(
    deployment: Deployment, sample: Path, offline_csv: OfflineCsv
) -> None:
    expected = offline_csv(sample)
    first, second = deployment.worker().start(), deployment.worker().start()

    async def scenario() -> tuple[list[str], list[int], list[str], list[str], list[str]]:
        await asyncio.gather(first.wait_ready(), second.wait_ready())
        await deployment.replay(sample)
        await deployment.wait_caught_up()
        async with httpx.AsyncClient(timeout=30) as client:
            ids = [
                (await client.post(f"{first.url}/api/trigger_report")).json()["report_id"] for _ in range(5)
            ]
            seen_elsewhere = [
                (await client.get(f"{second.url}/api/get_report", params={"report_id": i})).status_code
                for i in ids
            ]
            listed = (await client.get(f"{second.url}/api/reports")).json()["reports"]
            first.kill()
            reports = [await fetch_report_by_id(client, second.url, i) for i in ids]
            after = (await client.get(f"{second.url}/api/reports")).json()["reports"]
        return ids, seen_elsewhere, [r["report_id"] for r in listed], reports, [r["status"] for r in after]

    try:
        ids, seen_elsewhere, listed, reports, statuses = asyncio.run(scenario())
    finally:
        first.stop()
        second.stop()
    assert seen_elsewhere == [200] * 5
    assert sorted(listed) == sorted(ids)  # the other worker lists them too
    assert reports == [expected] * 5
    assert statuses == ["Complete"] * 5


async def fetch_report_by_id(
    client: httpx.AsyncClient, url: str, report_id: str, timeout: float = 120
) -> str:
    for _ in range(int(timeout / 0.25)):
        answer = await client.get(f"{url}/api/get_report", params={"report_id": report_id})
        answer.raise_for_status()
        if answer.headers["content-type"].startswith("text/csv"):
            return answer.text
        assert answer.json()["status"] == "Running", answer.json()
        await asyncio.sleep(0.25)
    raise TimeoutError(f"report {report_id} never completed")


def test_after_a_kill_mid_replay_the_survivors_commits_reach_the_end_and_its_report_is_exact(
    deployment: Deployment, tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    """The group's committed offsets must follow what the survivor processed, or a restart would
    process the dead worker's partitions again from where it last committed."""
    source = synthesize(tmp_path / "data", stores=2_000, days=7.5, seed=5).path
    report = kill_mid_replay(deployment, source, deployment.worker(), deployment.worker(), 100_000)
    assert report == offline_csv(source)


def test_records_fetched_as_the_survivors_recovery_ends_are_delivered(
    deployment: Deployment, tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    """The dead worker never committed, so the survivor reads the partitions it takes over from their
    start, and nothing seeks them back there: a fetch that returns as the survivor's table recovery
    ends (held open for 3 s here) must not take their records only to drop them."""
    source = synthesize(tmp_path / "data", stores=2_000, days=7.5, seed=5).path
    first = with_faults(deployment.worker(), no_commit="1")
    second = with_faults(deployment.worker(), recovery_end_delay="3")
    report = kill_mid_replay(deployment, source, first, second, 5_000)
    assert report == offline_csv(source)


FAULTS = Path(__file__).parent / "faust_faults"


def with_faults(worker: WorkerProcess, **faults: str) -> WorkerProcess:
    """``worker``, to be started with the faults of ``faust_faults`` named (lower case) in ``faults``."""
    worker.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FAULTS), worker.env.get("PYTHONPATH")]))
    worker.env.update({f"STOREMON_FAULT_{name.upper()}": value for name, value in faults.items()})
    return worker


def kill_mid_replay(
    deployment: Deployment, source: Path, first: WorkerProcess, second: WorkerProcess, kill_at: int
) -> str:
    """Replays ``source`` to both workers, kills ``first`` once they have added ``kill_at`` pings, and
    waits for the group's commits to reach the end (TimeoutError after 180 s): the survivor's report."""

    async def added(worker: WorkerProcess) -> int:
        outcomes = (await status(worker))["outcomes"]
        assert isinstance(outcomes, dict)
        return int(outcomes.get("added", 0))

    async def scenario() -> str:
        await asyncio.gather(first.wait_ready(), second.wait_ready())
        replay = asyncio.ensure_future(deployment.replay(source))
        while await added(first) + await added(second) < kill_at and not replay.done():
            await asyncio.sleep(0.1)
        first.kill()  # with offsets processed but not yet committed
        await replay
        await deployment.wait_caught_up(timeout=180)
        return await fetch_report(second.url)

    first.start()
    second.start()
    try:
        return asyncio.run(scenario())
    finally:
        first.stop()
        second.stop()
