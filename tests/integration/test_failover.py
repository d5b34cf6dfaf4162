"""Several workers that come and go: what a killed worker held is served, exactly, by the survivors."""

from __future__ import annotations

import asyncio
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
