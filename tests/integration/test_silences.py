"""Silences against a real broker and worker: after a replay, the silence topic holds exactly the
silences the engine derives from the dataset's pings at the watermark."""

from __future__ import annotations

import asyncio
import time
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from replay.reader import iter_pings, read_profiles
from replay.rejects import Rejects
from replay.source import open_dataset
from storemon.local import Deployment
from streams.engine import DEFAULT_PROFILE, HOUR, MINUTE, WEEK
from streams.engine.instants import dataset_text, iso_text
from streams.engine.silences import DEFAULT_SILENCE, store_silences
from streams.silences.log import SILENCE
from tests.helpers import instant
from tests.integration.episode_topics import latest_records, read_episode_topic

pytestmark = pytest.mark.kafka
Held = dict[str, tuple[str, str | None]]  # key -> (last ping, ended at)


def expected_silences(source: Path, window: int = 99 * WEEK) -> Held:
    """The silences of the dataset's pings reaching into ``window`` before its latest ping, as
    ``streams.engine.silences`` has them."""
    with open_dataset(source, Rejects()) as dataset:
        profiles = read_profiles(dataset)
        times: defaultdict[str, set[int]] = defaultdict(set)
        for store_id, instant, _ in iter_pings(dataset):
            times[store_id].add(instant)
    watermark = max(max(instants) for instants in times.values())
    found: Held = {}
    for store_id, instants in times.items():
        calendar = profiles.get(store_id, DEFAULT_PROFILE).calendar
        ordered = sorted(instants)
        for silence in store_silences(store_id, ordered, calendar, DEFAULT_SILENCE, watermark, window):
            ended = None if silence.ended_at is None else iso_text(silence.ended_at)
            found[f"{store_id}/{iso_text(silence.started_at)}"] = (iso_text(silence.last_ping), ended)
    return found


def held(records: dict[str, dict[str, Any]]) -> Held:
    return {key: (notice["last_ping"], notice["ended_at"]) for key, notice in records.items()}


async def listed(client: httpx.AsyncClient, status: str) -> Held:
    """Every page of ``/api/silences`` at now (the watermark, on the event clock)."""
    found: list[dict[str, Any]] = []
    query: dict[str, Any] = {"status": status, "limit": 100}
    while True:
        body = (await client.get("/api/silences", params=query)).json()
        found += body["silences"]
        if body["next_cursor"] is None:
            return held({f"{s['store_id']}/{s['started_at']}": s for s in found})
        query["cursor"] = body["next_cursor"]


def with_quiet_stores(sample: Path, folder: Path) -> Path:
    """The sample and three stores that stop pinging before its end: one open all day, two open on
    Monday mornings only (New York), so the timer opens silences at once and at the next opening."""
    with zipfile.ZipFile(sample) as archive:
        archive.extractall(folder)
    start = instant("2023-01-19T00:00:00")
    with (folder / "store_status.csv").open("a") as pings:
        for n, hours in enumerate((30, 40, 50)):
            for h in range(hours):
                pings.write(f"quiet-{n},active,{dataset_text(start + h * HOUR + n * MINUTE)}\n")
    with (folder / "menu_hours.csv").open("a") as hours_file:
        hours_file.writelines(f"quiet-{n},0,09:00:00,12:00:00\n" for n in (1, 2))
    with (folder / "timezones.csv").open("a") as zones:
        zones.writelines(f"quiet-{n},America/New_York\n" for n in (1, 2))
    return folder


def test_the_silence_topic_holds_exactly_the_silences_of_the_replayed_pings(
    deployment: Deployment, sample: Path, tmp_path: Path
) -> None:
    source = with_quiet_stores(sample, tmp_path / "dataset")
    expected = expected_silences(source)
    in_the_week = expected_silences(source, WEEK)
    going_on = sorted(key for key, (_, ended) in expected.items() if ended is None)
    assert len(expected) > 20 and [key.split("/")[0] for key in going_on] == ["quiet-0", "quiet-1", "quiet-2"]

    async def scenario() -> tuple[Held, Held, Held]:
        worker = deployment.worker().start()
        try:
            await worker.wait_ready()
            await deployment.replay(source)
            await deployment.wait_caught_up()
            async with httpx.AsyncClient(base_url=worker.url, timeout=60) as client:
                every, open_now = await listed(client, "all"), await listed(client, "open")
            # The timer announces the silences going on once the worker has caught up.
            deadline = time.monotonic() + 60
            while True:
                found = held(
                    latest_records(await read_episode_topic(deployment, deployment.topics.silences, SILENCE))
                )
                if found == expected or time.monotonic() > deadline:
                    return found, every, open_now
                await asyncio.sleep(1)
        finally:
            worker.stop()

    found, every, open_now = asyncio.run(scenario())
    assert every == in_the_week
    assert sorted(open_now) == going_on
    assert set(found) - set(expected) == set()
    assert set(expected) - set(found) == set()
    assert found == expected
