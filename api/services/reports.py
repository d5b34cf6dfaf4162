"""Reports: triggered, computed in the background from the tables, stored on disk, fetched by id.

A report's record and CSV live in ``<data dir>/reports``; the record is written atomically, so a
report is either Running, Complete with its CSV, or Failed with a reason. Reports still Running when
the process stopped are run again (at their original as_of) when it starts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from prometheus_client import Histogram

from api.errors import OutsideHorizon, UnknownReport
from api.ports import GroupRows, OffLoop
from api.schemas import ReportStatus
from streams.engine import WEEK
from streams.engine.instants import iso_text
from streams.snapshot import csv_text

log = logging.getLogger(__name__)


@dataclass
class ReportRecord:
    report_id: str
    status: ReportStatus
    as_of_us: int | None
    created: float
    finished: float | None = None
    rows: int | None = None
    error: str | None = None


class ReportStore:
    """One JSON record and, when complete, one CSV per report, under a single directory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def csv_path(self, report_id: str) -> Path:
        return self.folder / f"{report_id}.csv"

    def save(self, record: ReportRecord) -> None:
        body = json.dumps({**asdict(record), "status": record.status.value})
        _write_atomically(self.folder / f"{record.report_id}.json", body)

    def load(self, report_id: str) -> ReportRecord | None:
        try:
            body = json.loads((self.folder / f"{report_id}.json").read_text())
        except (FileNotFoundError, ValueError):
            return None
        return ReportRecord(**{**body, "status": ReportStatus(body["status"])})

    def running(self) -> list[ReportRecord]:
        records = (self.load(path.stem) for path in self.folder.glob("*.json"))
        return [r for r in records if r is not None and r.status is ReportStatus.RUNNING]

    def write_csv(self, report_id: str, text: str) -> None:
        _write_atomically(self.csv_path(report_id), text)


def _write_atomically(target: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never a part: write aside, then rename."""
    partial = target.with_name(target.name + ".tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)


class ReportService:
    """Starts reports, runs them in the background to Complete or Failed, and finds them by id.

    An explicit ``as_of`` must lie in the retained horizon: the pings kept reach ``retention`` back
    from the watermark, and a report needs a whole week of them before its instant.
    """

    def __init__(
        self, store: ReportStore, cluster: GroupRows, side: OffLoop, duration: Histogram, retention: int
    ) -> None:
        self.store = store
        self.cluster = cluster
        self.side = side
        self.duration = duration
        self.retention = retention
        self._tasks: set[asyncio.Task[None]] = set()
        # Reports at the same as_of that run at the same time share one gathering and one CSV text.
        self._building: dict[int, asyncio.Task[tuple[str, int]]] = {}

    async def trigger(self, as_of_us: int | None) -> str:
        """Start a report at ``as_of_us`` (default: the group's watermark when it runs); its id."""
        if as_of_us is not None:
            await self._check_horizon(as_of_us)
        record = ReportRecord(secrets.token_urlsafe(16), ReportStatus.RUNNING, as_of_us, time.time())
        self.store.save(record)
        self._start(record)
        return record.report_id

    async def _check_horizon(self, as_of_us: int) -> None:
        watermark = await self.cluster.watermark()
        if watermark is None:
            return
        earliest = watermark - (self.retention - WEEK)
        if not earliest <= as_of_us <= watermark:
            raise OutsideHorizon(
                f"as_of must lie in the retained horizon {iso_text(earliest)} .. {iso_text(watermark)}"
            )

    def record(self, report_id: str) -> ReportRecord:
        record = self.store.load(report_id)
        if record is None:
            raise UnknownReport()
        return record

    def csv_path(self, report_id: str) -> Path:
        return self.store.csv_path(report_id)

    def resume_interrupted(self) -> int:
        interrupted = self.store.running()
        for record in interrupted:
            self._start(record)
        return len(interrupted)

    def _start(self, record: ReportRecord) -> None:
        task = asyncio.get_running_loop().create_task(self._run(record))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, record: ReportRecord) -> None:
        started = time.perf_counter()
        try:
            if record.as_of_us is None:
                record.as_of_us = await self.cluster.watermark()
                if record.as_of_us is None:
                    raise RuntimeError("no pings have been processed yet, so there is no as_of to report at")
                self.store.save(record)
            text, record.rows = await self._csv(record.as_of_us)
            await asyncio.to_thread(self.store.write_csv, record.report_id, text)
            record.status = ReportStatus.COMPLETE
        except Exception as error:  # a report must end Complete or Failed, never stay Running
            log.exception("report %s failed", record.report_id)
            record.status = ReportStatus.FAILED
            record.error = f"{type(error).__name__}: {error}"
        record.finished = time.time()
        self.store.save(record)
        self.duration.labels(record.status.value).observe(time.perf_counter() - started)

    async def _csv(self, as_of: int) -> tuple[str, int]:
        task = self._building.get(as_of)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._build_csv(as_of))
            self._building[as_of] = task
            task.add_done_callback(lambda _: self._building.pop(as_of, None))
        return await asyncio.shield(task)

    async def _build_csv(self, as_of: int) -> tuple[str, int]:
        rows = await self.cluster.report_rows(as_of)
        return await self.side.run(csv_text, rows)  # tens of milliseconds per 10,000 rows

    async def wait_idle(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
