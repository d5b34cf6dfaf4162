"""Live input against a real broker and worker: every door, mixed with a replay, equals one replay of all.

The third-party producer is kcat (librdkafka): its default partitioner hashes keys with CRC32, not
murmur2, so its messages land outside their store's partition unless the worker repartitions them.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import zlib
from datetime import date
from pathlib import Path

import httpx
import pytest

from connectors.kafka import partition_of
from storemon.local import Deployment, fetch_report
from streams.contract.messages import encode_pings, encode_profile
from streams.engine import HOUR, MINUTE, Closure, HoursRow, StoreProfile
from streams.engine.instants import dataset_text, iso_text
from tests.helpers import OfflineCsv, instant, write_dataset

pytestmark = pytest.mark.kafka

START = instant("2023-01-16T00:00:00")
END = START + 8 * 24 * HOUR
KCAT = shutil.which("kcat")


def crc32_misplaced(prefix: str, partitions: int) -> str:
    """A store id that librdkafka's default partitioner puts outside the store's partition."""
    return next(
        name
        for n in range(100)
        if zlib.crc32((name := f"{prefix}-{n}").encode()) % partitions
        != partition_of(name.encode(), partitions)
    )


def kcat(bootstrap: str, topic: str, lines: list[tuple[str, bytes]], partitioner: str | None = None) -> None:
    if KCAT is None:
        pytest.fail("kcat is needed for the third-party producer test (Debian: apt-get install kcat)")
    command = [KCAT, "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-X", "broker.address.family=v4"]
    if partitioner is not None:
        command += ["-X", f"partitioner={partitioner}"]
    payload = b"".join(key.encode() + b"\t" + value + b"\n" for key, value in lines)
    subprocess.run(command, input=payload, check=True, timeout=60)


def test_pings_and_profiles_from_every_door_equal_one_replay_of_everything(
    deployment: Deployment, tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    n = deployment.partitions
    by_kcat, by_kcat_murmur = crc32_misplaced("kcat", n), crc32_misplaced("kcat-murmur", n)
    by_json, by_csv, by_push, by_profile = "json-store", "csv-store", "push-store", "profile-store"
    stores = [by_kcat, by_kcat_murmur, by_json, by_csv, by_push, by_profile]
    history = [
        (store, "active" if (h + i) % 6 else "inactive", dataset_text(START + h * HOUR + 7 * MINUTE))
        for i, store in enumerate(stores)
        for h in range(8 * 24)
    ]
    hours = [(store, day, "09:00:00", "23:30:00") for store in stores for day in range(7)]
    zones = [(store, "America/Chicago") for store in stores]
    source = write_dataset(tmp_path / "history", history, hours, zones)

    # Live: each store gets pings after the history's end, through its own door.
    live = {
        store: [(END + k * 10 * MINUTE + i * MINUTE, k % 2 == 1) for k in range(3)]
        for i, store in enumerate(stores)
    }
    holiday = Closure(date(2023, 1, 22), date(2023, 1, 22), "holiday")  # a Sunday in the report's week
    nights = StoreProfile(
        "Asia/Tokyo", tuple(HoursRow(day, 20 * 3600, 2 * 3600) for day in range(7)), (holiday,)
    )
    everything = write_dataset(
        tmp_path / "everything",
        history
        + [
            (s, "active" if a else "inactive", dataset_text(t)) for s, pings in live.items() for t, a in pings
        ],
        [row for row in hours if row[0] not in (by_profile, by_kcat)]
        + [
            (store, row.day, "20:00:00", "02:00:00")
            for store in (by_profile, by_kcat)
            for row in nights.hours
        ],
        [row for row in zones if row[0] not in (by_profile, by_kcat)]
        + [(by_profile, "Asia/Tokyo"), (by_kcat, "Asia/Tokyo")],
        [(store, "2023-01-22", "2023-01-22", "holiday") for store in (by_profile, by_kcat)],
    )
    expected = offline_csv(everything)

    async def scenario() -> tuple[str, dict[str, object], dict[str, object], float]:
        worker = deployment.worker().start()
        try:
            await worker.wait_ready()
            await deployment.replay(source)
            await deployment.wait_caught_up()
            kcat(
                deployment.kafka.bootstrap, deployment.topics.pings, [(by_kcat, encode_pings(live[by_kcat]))]
            )
            kcat(
                deployment.kafka.bootstrap,
                deployment.topics.pings,
                [(by_kcat_murmur, encode_pings(live[by_kcat_murmur]))],
                partitioner="murmur2_random",
            )
            kcat(deployment.kafka.bootstrap, deployment.topics.profiles, [(by_kcat, encode_profile(nights))])
            async with httpx.AsyncClient(base_url=worker.url, timeout=30) as client:
                items = [
                    {
                        "store_id": by_json,
                        "status": "active" if a else "inactive",
                        "timestamp_utc": iso_text(t),
                    }
                    for t, a in live[by_json]
                ]
                assert (await client.post("/api/pings", json=items)).status_code == 200
                rows = "".join(
                    f"{by_csv},{'active' if a else 'inactive'},{dataset_text(t)}\n" for t, a in live[by_csv]
                )
                csv = "store_id,status,timestamp_utc\n" + rows
                answer = await client.post("/api/pings", content=csv, headers={"content-type": "text/csv"})
                assert answer.status_code == 200
                for t, a in live[by_push]:
                    params = {"status": "active" if a else "inactive", "timestamp_utc": dataset_text(t)}
                    assert (
                        await client.post(f"/api/stores/{by_push}/ping", params=params)
                    ).status_code == 200
                for t, a in live[by_profile]:
                    body = {
                        "store_id": by_profile,
                        "status": "active" if a else "inactive",
                        "timestamp_utc": iso_text(t),
                    }
                    assert (await client.post("/api/pings", json=body)).status_code == 200
                profile = {
                    "timezone": "Asia/Tokyo",
                    "hours": [
                        {"day": d, "start_time_local": "20:00", "end_time_local": "02:00"} for d in range(7)
                    ],
                    "closures": [{"start_date": "2023-01-22", "end_date": "2023-01-22", "reason": "holiday"}],
                }
                assert (
                    await client.put(f"/api/stores/{by_profile}/profile", json=profile)
                ).status_code == 202
                await deployment.wait_caught_up()
                report = await fetch_report(worker.url)
                looked_up = (await client.get(f"/api/stores/{by_kcat}")).json()
                shown = (await client.get(f"/api/stores/{by_kcat}/profile")).json()
                metrics = (await client.get("/metrics")).text
            repartitioned = sum(
                float(line.split()[-1])
                for line in metrics.splitlines()
                if line.startswith("storemon_messages_repartitioned_total{")
            )
            return report, looked_up, shown, repartitioned
        finally:
            worker.stop()

    report, looked_up, shown, repartitioned = asyncio.run(scenario())
    assert report == expected
    assert [line.split(",")[0] for line in report.splitlines()[1:]].count(by_kcat) == 1
    assert (looked_up["last_ping"], looked_up["status"]) == (iso_text(live[by_kcat][-1][0]), "inactive")
    assert shown["timezone"] == "Asia/Tokyo" and not shown["is_default"]
    assert shown["closures"] == [{"start_date": "2023-01-22", "end_date": "2023-01-22", "reason": "holiday"}]
    assert repartitioned == 2  # kcat's default partitioner: one ping message and one profile misplaced


def test_one_device_with_a_clock_decades_ahead_moves_nothing_whichever_door_it_uses(
    deployment: Deployment, sample: Path, offline_csv: OfflineCsv
) -> None:
    """The case found by trying: one ping stamped 2099 used to become every store's ``now``."""
    ahead = instant("2099-06-01T00:00:00")
    expected = offline_csv(sample)

    async def scenario() -> tuple[str, str, list[str], dict[str, int]]:
        worker = await deployment.serve(sample)
        try:
            async with httpx.AsyncClient(base_url=worker.url, timeout=30) as client:
                store = expected.splitlines()[1].split(",")[0]
                before = (await client.get(f"/api/stores/{store}")).json()["as_of"]
                refused = [
                    await client.post(
                        "/api/pings",
                        json=[
                            {
                                "store_id": store,
                                "status": "inactive",
                                "timestamp_utc": "2099-06-01 00:00:00 UTC",
                            }
                        ],
                    ),
                    await client.post(
                        f"/api/stores/{store}/ping", params={"timestamp_utc": "2099-06-01T00:00:00Z"}
                    ),
                ]
                reasons = [
                    answer.json()["rejected"][0]["reason"] for answer in refused if answer.status_code == 422
                ]
                kcat(
                    deployment.kafka.bootstrap,
                    deployment.topics.pings,
                    [(store, encode_pings([(ahead, False)]))],
                )
                await deployment.wait_caught_up()
                after = (await client.get(f"/api/stores/{store}")).json()["as_of"]
                outcomes = (await client.get("/api/worker/status")).json()["outcomes"]
                report = await fetch_report(worker.url)
            assert after == before
            return report, after, reasons, outcomes
        finally:
            worker.stop()

    report, _, reasons, outcomes = asyncio.run(scenario())
    assert reasons == ["from_the_future", "from_the_future"]
    assert outcomes["from_the_future"] == 1  # the ping that went straight to the topic, refused by the worker
    assert report == expected
