"""Small builders shared by the tests: instants and datasets written in the public file format."""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import httpx
from fastapi.routing import iter_route_contexts

from api.main import create_api
from replay.publish import ReplaySummary
from storemon.local import Deployment, WorkerProcess
from streams.engine.instants import to_instant

# The offline report's CSV text of a dataset, optionally at an ``as_of``.
OfflineCsv = Callable[..., str]


def instant(text: str) -> int:
    """Microseconds since the epoch for a naive UTC ISO text."""
    return to_instant(datetime.fromisoformat(text))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_dataset(
    folder: Path,
    pings: Iterable[Sequence[object]],
    hours: Iterable[Sequence[object]] = (),
    timezones: Iterable[Sequence[object]] = (),
    closures: Iterable[Sequence[object]] = (),
) -> Path:
    """A dataset folder with the second public version's file names and headers, and a closures file
    when given closures."""
    write_csv(folder / "store_status.csv", ["store_id", "status", "timestamp_utc"], pings)
    write_csv(
        folder / "menu_hours.csv", ["store_id", "dayOfWeek", "start_time_local", "end_time_local"], hours
    )
    write_csv(folder / "timezones.csv", ["store_id", "timezone_str"], timezones)
    closures = list(closures)
    if closures:
        write_csv(folder / "closures.csv", ["store_id", "start_date", "end_date", "reason"], closures)
    return folder


def read_report(path: Path) -> dict[str, tuple[float, ...]]:
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return {row[0]: tuple(float(v) for v in row[1:]) for row in reader}


def secured_calls() -> list[tuple[str, str]]:
    """(method, path) of every route under ``/api``, from the app's own route table, path parameters
    filled in: each must refuse a request without the token, so a new route is covered as it lands."""
    app = create_api(cast(Any, None))  # the route table does not depend on the services
    return sorted(
        (method, re.sub(r"\{[^}]+\}", "1", route.path))
        for route in iter_route_contexts(app.routes)
        if route.path is not None and route.path.startswith("/api/")
        for method in route.methods or ()
    )


async def replay_under_way(
    deployment: Deployment, worker: WorkerProcess, source: Path
) -> asyncio.Task[ReplaySummary]:
    """``worker`` started and ready, ``source`` being replayed, and the worker's first pings added to its
    state: the moment a fault injected mid-replay needs. The replay's task."""
    await worker.start().wait_ready()
    replay = asyncio.create_task(deployment.replay(source))
    async with httpx.AsyncClient(base_url=worker.url) as client:
        while not (await client.get("/api/worker/status")).json()["outcomes"].get("added", 0):
            await asyncio.sleep(0.05)
    return replay
