"""The HTTP API against a real broker and worker processes: reports, lookups, auth, bad input, scale-out."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.kafka import KafkaConnection
from storemon.local import Deployment, WorkerProcess, fetch_report
from streams.engine import CSV_HEADER
from streams.engine.instants import to_instant
from tests.helpers import OfflineCsv, secured_calls

pytestmark = pytest.mark.kafka
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def rows_of(text: str) -> dict[str, list[float]]:
    reader = csv.reader(io.StringIO(text))
    next(reader)
    return {row[0]: [float(v) for v in row[1:]] for row in reader}


@pytest.fixture(scope="module")
def secured(
    kafka: KafkaConnection, sample: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """One worker with a token, the bundled sample replayed and processed."""
    deployment = Deployment(kafka, tmp_path_factory.mktemp("secured"), token=TOKEN)
    worker = asyncio.run(deployment.serve(sample))
    try:
        yield worker
    finally:
        worker.stop()


def test_every_api_route_needs_the_token(secured: WorkerProcess) -> None:
    with httpx.Client(base_url=secured.url) as client:
        for method, path in secured_calls():
            assert client.request(method, path).status_code == 401, path
            assert (
                client.request(method, path, headers={"Authorization": "Bearer nope"}).status_code == 401
            ), path
        assert client.get("/api/worker/status", headers=AUTH).status_code == 200
        for open_path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            assert client.get(open_path).status_code == 200, open_path
        metrics = client.get("/metrics").text
        processed = re.search(r'^storemon_pings_processed_total\{outcome="added"\} (\S+)$', metrics, re.M)
        assert processed is not None and float(processed.group(1)) > 30_000
        assert re.search(r'^storemon_partition_lag\{partition="\d+",topic="[^"]+"\} 0\.0$', metrics, re.M)


def test_bad_input_is_4xx_never_5xx(secured: WorkerProcess) -> None:
    with httpx.Client(base_url=secured.url, headers=AUTH) as client:
        assert client.get("/api/get_report").status_code == 422
        assert client.get("/api/get_report", params={"report_id": "../../etc/passwd"}).status_code == 422
        assert client.get("/api/get_report", params={"report_id": "A" * 22}).status_code == 404
        assert client.post("/api/trigger_report", json={"as_of": "yesterday"}).status_code == 422
        assert client.post("/api/trigger_report", json={"as_of": "1999-01-01T00:00:00Z"}).status_code == 422
        assert client.post("/api/trigger_report", content=b"{not json").status_code == 422
        assert client.get("/api/stores/no-such-store").status_code == 404


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), as the kernel counts it: measured from outside."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


async def chunked_upload(port: int, mib: int) -> bytes:
    """POST ``mib`` MiB of pings body in chunks without a length, until the worker answers; its answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST /api/pings HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {TOKEN}\r\n"
    writer.write(f"{head}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
    answer = asyncio.create_task(reader.readuntil(b"\r\n\r\n"))
    chunk = b"100000\r\n" + b" " * (1 << 20) + b"\r\n"
    try:
        for _ in range(mib):
            if answer.done():
                break
            writer.write(chunk)
            await writer.drain()
        else:
            writer.write(b"0\r\n\r\n")  # the body's end
            await writer.drain()
    except ConnectionError:
        pass  # the worker answered and closed: the answer is read below
    try:
        return await asyncio.wait_for(answer, timeout=60)
    finally:
        writer.close()


def test_a_600_mib_chunked_upload_is_refused_without_the_worker_holding_it(secured: WorkerProcess) -> None:
    assert secured.process is not None
    before = peak_rss_mib(secured.process.pid)
    answer = asyncio.run(chunked_upload(secured.port, 600))
    grown = peak_rss_mib(secured.process.pid) - before
    print(f"worker peak RSS {before:.0f} MiB before, grew {grown:.0f} MiB")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert grown < 64  # the body is refused past 16 MiB, never held whole (it was: 132 -> 1,330 MiB)


def test_report_at_an_explicit_as_of_equals_the_offline_report(
    secured: WorkerProcess, sample: Path, offline_csv: OfflineCsv
) -> None:
    as_of = datetime(2023, 1, 25, 18, 13, 6, tzinfo=UTC) - timedelta(hours=13)
    report = asyncio.run(fetch_report(secured.url, headers=AUTH, as_of=as_of.isoformat()))
    assert report == offline_csv(sample, as_of=to_instant(as_of))


def test_lookup_matches_the_report_row(secured: WorkerProcess) -> None:
    report = rows_of(asyncio.run(fetch_report(secured.url, headers=AUTH)))
    store_id, figures = sorted(report.items())[7]
    body = httpx.get(f"{secured.url}/api/stores/{store_id}", headers=AUTH).json()
    assert [body[k] for k in CSV_HEADER[1:]] == figures
    assert body["status"] in {"active", "inactive"}
    assert body["last_ping"] <= body["as_of"]


async def group_watermark_known(first: WorkerProcess, second: WorkerProcess, store_id: str) -> None:
    """Wait until both workers answer lookups at the group's watermark: each refreshes its view of the
    other's every second."""
    async with httpx.AsyncClient(timeout=30) as client:
        own = [
            (await client.get(f"{w.url}/api/internal/watermark")).json()["watermark_us"]
            for w in (first, second)
        ]
        group = max(own)
        for _ in range(200):
            seen = [
                (await client.get(f"{w.url}/api/stores/{store_id}")).json()["as_of"] for w in (first, second)
            ]
            if all(to_instant(datetime.fromisoformat(as_of)) == group for as_of in seen):
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"lookups did not reach the group's watermark: {seen}")


def test_two_workers_share_partitions_and_answer_for_every_store(
    deployment: Deployment, sample: Path, offline_csv: OfflineCsv
) -> None:
    first, second = deployment.worker().start(), deployment.worker().start()
    expected = offline_csv(sample)
    histories: dict[str, list[dict[str, Any]]] = {}  # by store: its last 30 dates
    recent: dict[str, dict[str, Any]] = {}  # by store: its fleet listing's last 30 dates

    async def scenario() -> tuple[str, str, dict[str, list[float]], set[int], set[int]]:
        await asyncio.gather(first.wait_ready(), second.wait_ready())
        await deployment.replay(sample)
        await deployment.wait_caught_up()
        await group_watermark_known(first, second, next(iter(rows_of(expected))))
        from_first, from_second = await fetch_report(first.url), await fetch_report(second.url)
        looked_up = {}
        async with httpx.AsyncClient(timeout=30) as client:
            for i, store_id in enumerate(rows_of(expected)):
                body = (await client.get(f"{(first, second)[i % 2].url}/api/stores/{store_id}")).json()
                looked_up[store_id] = [body[k] for k in CSV_HEADER[1:]]
                histories[store_id] = (
                    await client.get(f"{(second, first)[i % 2].url}/api/stores/{store_id}/history")
                ).json()["days"]
            listed = (await client.get(f"{first.url}/api/fleet/stores", params={"limit": 500})).json()
            recent.update({store["store_id"]: store["last_30_days"] for store in listed["stores"]})
            held = [
                {
                    int(p)
                    for p in (await client.get(f"{w.url}/api/worker/status"))
                    .json()["next_offsets"]
                    .get(deployment.topics.pings, {})
                }
                for w in (first, second)
            ]
        return from_first, from_second, looked_up, held[0], held[1]

    try:
        from_first, from_second, looked_up, held_first, held_second = asyncio.run(scenario())
    finally:
        first.stop()
        second.stop()
    assert from_first == expected
    assert from_second == expected
    assert looked_up == rows_of(expected)
    assert held_first and held_second
    # Each listed store's last 30 dates, half of them asked of the other worker: its history summed
    # (whose dates are rounded one by one, the sum once).
    assert recent.keys() == histories.keys()
    for store_id, days in histories.items():
        summed = {name: sum(day[name] for day in days) for name in ("business_minutes", "uptime_minutes")}
        assert recent[store_id] == {
            "dates": len(days),
            "business_minutes": pytest.approx(summed["business_minutes"], abs=0.01 * len(days)),
            "uptime_minutes": pytest.approx(summed["uptime_minutes"], abs=0.01 * len(days)),
            "downtime_minutes": pytest.approx(
                summed["business_minutes"] - summed["uptime_minutes"], abs=0.02 * len(days)
            ),
        }, store_id
