"""Daily history and closures against a real broker: three weeks of pings, some stores closed on some
dates, give the offline history through the API, from the worker that froze the dates and from a
replacement that recovered them from the changelogs; a ping on a frozen date is refused."""

from __future__ import annotations

import asyncio
import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from replay.reader import iter_pings, read_profiles
from replay.rejects import Rejects
from replay.source import open_dataset
from replay.synth import synthesize
from storemon.local import Deployment, fetch_report
from storemon.offline import offline_report
from streams.engine import DAY, DEFAULT_PROFILE, StoreState
from streams.engine.history import DayFigures, day_start, local_day, utc_parts
from streams.engine.instants import iso_text
from tests.helpers import instant, write_csv

pytestmark = pytest.mark.kafka
History = dict[str, list[list[Any]]]


def closed_dataset(folder: Path) -> tuple[Path, list[str]]:
    """Three weeks of 60 stores; a third of them closed for two dates, another for a week."""
    source = synthesize(folder, stores=60, days=21, seed=5).path
    with (source / "store_status.csv").open(newline="") as handle:
        stores = sorted({row["store_id"] for row in csv.DictReader(handle)})
    closures = [[store, "2023-01-10", "2023-01-11", "holiday"] for store in stores[::3]]
    closures.append([stores[1], "2023-01-16", "2023-01-22", "refit"])
    write_csv(source / "closures.csv", ["store_id", "start_date", "end_date", "reason"], closures)
    return source, stores


def fleet_days(source: Path, as_of: int, days: int) -> list[list[Any]]:
    """The fleet's UTC dates from the engine over every ping at once: what the stream must answer."""
    with open_dataset(source, Rejects()) as dataset:
        profiles = read_profiles(dataset)
        pings: defaultdict[str, list[tuple[int, bool]]] = defaultdict(list)
        for store_id, at, active in iter_pings(dataset):
            pings[store_id].append((at, active))
    sums: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    last = as_of // DAY
    for store_id, kept in pings.items():
        profile = profiles.get(store_id, DEFAULT_PROFILE)
        state = StoreState.from_pings(kept, profile, retention=400 * DAY)
        zone = profile.calendar.zone
        first_instant = day_start(zone, local_day(zone, state.times[0]))  # its history's first
        for part in utc_parts(state, profile, max(first_instant, (last - days + 1) * DAY), as_of):
            total = sums[part.utc_day]
            total[0] += part.business
            total[1] += part.up
            total[2] += 1
    return [
        [
            DayFigures(day, business, up, False).date.isoformat(),
            *DayFigures(day, business, up, False).minutes,
            n,
        ]
        for day, (business, up, n) in sorted(sums.items())
    ]


def offline_history(source: Path, folder: Path) -> tuple[str, History]:
    out, history = folder / "report.csv", folder / "history.csv"
    offline_report(source, out, workers=1, history_out=history)
    found: History = defaultdict(list)
    with history.open(newline="") as handle:
        for row in csv.DictReader(handle):
            figures = [
                float(row[name]) for name in ("business_minutes", "uptime_minutes", "downtime_minutes")
            ]
            found[row["store_id"]].append([row["date"], *figures])
    return out.read_text(), found


async def api_history(url: str, stores: list[str]) -> History:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        found: History = {}
        for store in stores:
            answer = await client.get(f"/api/stores/{store}/history", params={"days": 400})
            while answer.status_code == 503:  # a worker just started: partitions not known yet
                await asyncio.sleep(float(answer.headers["retry-after"]))
                answer = await client.get(f"/api/stores/{store}/history", params={"days": 400})
            body = answer.json()
            found[store] = [
                [day["date"], day["business_minutes"], day["uptime_minutes"], day["downtime_minutes"]]
                for day in body["days"]
            ]
        return found


def test_stream_history_equals_the_offline_history_and_survives_a_replacement(
    deployment: Deployment, tmp_path: Path
) -> None:
    source, stores = closed_dataset(tmp_path / "data")
    report, expected = offline_history(source, tmp_path)
    assert sum(len(days) for days in expected.values()) > 60 * 20

    async def scenario() -> tuple[str, History, History, dict[str, Any], list[list[Any]], int]:
        worker = deployment.worker().start()
        try:
            await worker.wait_ready()
            await deployment.replay(source)
            await deployment.wait_caught_up()
            streamed_report = await fetch_report(worker.url)
            streamed = await api_history(worker.url, stores)
            async with httpx.AsyncClient(base_url=worker.url, timeout=60) as client:
                fleet = (await client.get("/api/fleet/history", params={"days": 30})).json()
                looked_up = (await client.get(f"/api/stores/{stores[0]}")).json()
                late = instant(looked_up["as_of"]) - 12 * DAY  # on a date frozen long since
                item = {"store_id": stores[0], "status": "inactive", "timestamp_utc": iso_text(late)}
                assert (await client.post("/api/pings", json=item)).status_code == 200
                await deployment.wait_caught_up()
                status = (await client.get("/api/worker/status")).json()
        finally:
            worker.stop()
        replacement = deployment.worker(data_dir=tmp_path / "empty").start()  # from the changelogs only
        try:
            await replacement.wait_ready()
            recovered = await api_history(replacement.url, stores)
        finally:
            replacement.stop()
        fleet_rows = [
            [d["date"], d["business_minutes"], d["uptime_minutes"], d["downtime_minutes"], d["stores"]]
            for d in fleet["days"]
        ]
        return streamed_report, streamed, recovered, status, fleet_rows, instant(fleet["as_of"])

    streamed_report, streamed, recovered, status, fleet_rows, fleet_as_of = asyncio.run(scenario())
    assert streamed_report == report
    assert streamed == expected
    assert recovered == expected
    assert status["outcomes"]["too_late"] == 1
    assert fleet_rows == fleet_days(source, fleet_as_of, 30) and len(fleet_rows) == 22  # 4-25 January
    holiday = {day[0]: day[1:] for day in streamed[stores[0]]}
    assert holiday["2023-01-10"] == holiday["2023-01-11"] == [0.0, 0.0, 0.0]
