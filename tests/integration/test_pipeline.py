"""The stream end to end against a real broker: replay, Faust worker, report through the HTTP API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from replay.synth import synthesize
from storemon.local import Deployment, WorkerProcess, fetch_report
from tests.helpers import OfflineCsv, replay_under_way

pytestmark = pytest.mark.kafka


def test_stream_report_equals_offline_report(
    deployment: Deployment, sample: Path, offline_csv: OfflineCsv
) -> None:

    async def scenario() -> tuple[str, dict[str, Any]]:
        worker = deployment.worker().start()
        try:
            await worker.wait_ready()
            summary = await deployment.replay(sample)
            assert summary.pings > 30_000 and not summary.rejected
            await deployment.wait_caught_up()
            report = await fetch_report(worker.url)
            async with httpx.AsyncClient(base_url=worker.url) as client:
                status = (await client.get("/api/worker/status")).json()
            return report, status
        finally:
            worker.stop()

    report, status = asyncio.run(scenario())
    assert report == offline_csv(sample)
    assert status["outcomes"]["added"] > 30_000


def test_crash_restart_replay_twice_and_replacement_give_identical_reports(
    deployment: Deployment, tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    source = synthesize(tmp_path / "data.zip", stores=400, days=8, seed=11).path
    expected = offline_csv(source)

    async def scenario() -> list[str]:
        reports = []
        worker = deployment.worker()
        replay = await replay_under_way(deployment, worker, source)
        worker.kill()  # mid-replay, with table writes and offsets not yet committed
        restarted = deployment.worker(data_dir=worker.data_dir, port=worker.port).start()
        try:
            await restarted.wait_ready()
            await replay
            await deployment.wait_caught_up()
            reports.append(await fetch_report(restarted.url))
            await deployment.replay(source)  # the same dataset again
            await deployment.wait_caught_up()
            reports.append(await fetch_report(restarted.url))
        finally:
            restarted.stop()
        replacement = deployment.worker(data_dir=tmp_path / "empty").start()  # recovers from changelogs only
        try:
            await replacement.wait_ready()
            reports.append(await fetch_report(replacement.url))
        finally:
            replacement.stop()
        return reports

    after_crash, after_second_replay, from_changelogs = asyncio.run(scenario())
    assert after_crash == expected
    assert after_second_replay == expected
    assert from_changelogs == expected


def test_a_changelog_record_of_another_format_stops_a_recovering_worker_with_one_line(
    deployment: Deployment, sample: Path
) -> None:
    """An upgrade that changed the changelog's format must not silently lose the state it holds."""

    async def scenario() -> WorkerProcess:
        first = await deployment.serve(sample)
        first.stop()
        producer = AIOKafkaProducer(**deployment.kafka.client_options())
        await producer.start()
        try:
            future_kind = b"some-store" + b"x" + (7).to_bytes(4, "big")  # no kind this version writes
            await producer.send_and_wait(
                f"{deployment.name}-store-states-changelog", b"\x00" * 13, key=future_kind, partition=0
            )
        finally:
            await producer.stop()
        replacement = deployment.worker().start()  # an empty data dir: it recovers from the changelogs
        assert replacement.process is not None
        for _ in range(600):
            if replacement.process.poll() is not None:
                break
            await asyncio.sleep(0.2)
        return replacement

    replacement = asyncio.run(scenario())
    try:
        assert replacement.process is not None and replacement.process.returncode == 1
        last = replacement.log.read_text().strip().splitlines()[-1]
        assert last.startswith("storemon worker: the changelog record of ")
        assert (
            "at offset" in last and "cannot be read by this version" in last and "not one of format 1" in last
        )
    finally:
        replacement.stop()
