"""A store with a dense history against a real broker: exact, in bounded changelog bytes, and recoverable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from storemon.local import Deployment, fetch_report
from streams.engine import DAY, SECOND
from streams.engine.instants import dataset_text
from tests.helpers import OfflineCsv, instant, write_dataset

pytestmark = pytest.mark.kafka

START = instant("2023-01-16T00:00:00")
DENSE = "5f3e2d1c-0b9a-4877-8665-544332211000"


def metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


def test_a_store_pinging_every_ten_seconds_for_eight_and_a_half_days_is_exact_and_recovers(
    deployment: Deployment, tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    """About 73,000 kept pings: its whole state is over a megabyte, more than Kafka takes in one record."""
    pings = [
        (DENSE, "inactive" if (i // 360) % 7 == 3 else "active", dataset_text(START + i * 10 * SECOND))
        for i in range(int(8.5 * DAY // (10 * SECOND)))
    ]
    hourly = [
        ("hourly", "active" if i % 5 else "inactive", dataset_text(START + i * 3600 * SECOND))
        for i in range(int(8.5 * 24))
    ]
    hours = [(DENSE, day, "18:00:00", "02:00:00") for day in range(7)]
    source = write_dataset(tmp_path / "dense", pings + hourly, hours, [(DENSE, "America/Denver")])
    expected = offline_csv(source)
    assert DENSE in expected

    async def scenario() -> tuple[str, str, str]:
        worker = deployment.worker().start()
        try:
            await worker.wait_ready()
            summary = await deployment.replay(source)
            assert summary.pings == len(pings) + len(hourly)
            await deployment.wait_caught_up()
            report = await fetch_report(worker.url)
            metrics = httpx.get(f"{worker.url}/metrics").text
        finally:
            worker.stop()
        replacement = deployment.worker(data_dir=tmp_path / "empty").start()  # recovers from changelogs only
        try:
            await replacement.wait_ready()
            return report, await fetch_report(replacement.url), metrics
        finally:
            replacement.stop()

    report, recovered, metrics = asyncio.run(scenario())
    assert report == expected
    assert recovered == expected
    assert metric(metrics, "storemon_changelog_write_failures_total") == 0
    assert metric(metrics, "storemon_changelog_bytes_total") / (len(pings) + len(hourly)) < 100
