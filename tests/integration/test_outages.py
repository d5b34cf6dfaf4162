"""Outages against a real broker: the API equals the offline derivation, with one worker and with two,
and the outage topic holds every outage the stream derived."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from storemon.local import Deployment
from storemon.offline import offline_report
from tests.integration.episode_topics import latest_records, read_outage_topic

pytestmark = pytest.mark.kafka
Listing = list[dict[str, Any]]


def offline_outages(source: Path, folder: Path) -> Listing:
    outages = folder / "outages.csv"
    offline_report(source, folder / "report.csv", workers=1, outages_out=outages)
    with outages.open(newline="") as handle:
        return [
            {
                **row,
                "ended_at": row["ended_at"] or None,
                "ended_at_local": row["ended_at_local"] or None,
                "began_before_window": row["began_before_window"] == "true",
                "business_downtime_minutes": float(row["business_downtime_minutes"]),
            }
            for row in csv.DictReader(handle)
        ]


async def all_pages(client: httpx.AsyncClient, **params: object) -> tuple[str, Listing]:
    found: Listing = []
    query: dict[str, Any] = {"limit": 250, **params}
    while True:
        body = (await client.get("/api/outages", params=query)).json()
        found += body["outages"]
        if body["next_cursor"] is None:
            return body["as_of"], found
        query["cursor"] = body["next_cursor"]


async def outage_topic(deployment: Deployment) -> dict[str, dict[str, Any]]:
    return latest_records(await read_outage_topic(deployment))


@pytest.mark.parametrize("workers", [1, 2])
def test_api_outages_equal_the_offline_outages(
    deployment: Deployment, sample: Path, tmp_path: Path, workers: int
) -> None:
    expected = offline_outages(sample, tmp_path)
    assert len(expected) > 50 and any(o["ended_at"] is None for o in expected)

    async def scenario() -> tuple[str, Listing, list[dict[str, Any]], dict[str, dict[str, Any]]]:
        started = [deployment.worker().start() for _ in range(workers)]
        try:
            await asyncio.gather(*(worker.wait_ready() for worker in started))
            await deployment.replay(sample)
            await deployment.wait_caught_up()
            async with httpx.AsyncClient(base_url=started[-1].url, timeout=60) as client:
                as_of, listed = await all_pages(client)
                stores = sorted({o["store_id"] for o in expected})[:5]
                per_store = [(await client.get(f"/api/stores/{s}/outages")).json() for s in stores]
            return as_of, listed, per_store, await outage_topic(deployment)
        finally:
            for worker in started:
                worker.stop()

    as_of, listed, per_store, topic = asyncio.run(scenario())
    key = lambda o: (o["store_id"], o["started_at"])  # noqa: E731
    assert sorted(listed, key=key) == expected
    opened = [o["ended_at"] is None for o in listed]
    assert opened == sorted(opened, reverse=True)  # open ones first
    for body in per_store:
        assert body["as_of"] == as_of
        assert body["outages"] == [o for o in expected if o["store_id"] == body["store_id"]]
    # Every outage that closed inside the window is in the topic as the stream derived it.
    for outage in expected:
        if outage["ended_at"] is None or outage["began_before_window"]:
            continue
        published = topic[f"{outage['store_id']}/{outage['started_at']}"]
        assert published["event"] in {"closed", "updated"}
        assert {k: published[k] for k in outage} == outage, json.dumps(published)
