"""Reports: triggered on any worker, computed in the background, kept in the shared report log.

A report is Running, Complete with its CSV, or Failed with a reason, and every worker can answer for
every report. The worker computing one says so every few seconds (a heartbeat in its record); when a
worker dies, or restarts, its Running reports go stale and any worker takes them over and runs them
again at their as_of, so a report never vanishes and never stays Running.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, suppress
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import Histogram

from api.errors import OutsideHorizon, ReportLogUnavailable, UnknownReport
from api.ports import Gathering, GroupInstant, ReportLog
from api.schemas import ReportListed, ReportStatus
from api.services.records import ReportRecord
from api.services.repeating import repeating
from streams.engine import SECOND, WEEK
from streams.engine.instants import ClockMode, iso_text, present, to_datetime

log = logging.getLogger(__name__)
HEARTBEAT = 5.0  # seconds between a running report's heartbeats
STALE = 20.0  # a Running report whose heartbeat is older than this is taken over
DEFAULT_KEEP = WEEK / SECOND  # seconds a finished report is kept
JOIN_SECONDS = 0.01  # how long a gathering waits for reports triggered together to join it


class ReportService:
    """Starts reports, runs them in the background to Complete or Failed, and finds them by id.

    An explicit ``as_of`` must lie in the retained horizon: the pings kept reach ``retention`` back
    from the watermark, a report needs a whole week of them before its instant, and it cannot lie
    after ``now`` (by default the watermark; on the wall clock, the present).
    """

    def __init__(
        self,
        report_log: ReportLog,
        gathering: Gathering,
        watermark: GroupInstant,
        duration: Histogram,
        retention: int,
        me: str,
        keep: float = DEFAULT_KEEP,
        clock: Callable[[], float] = time.time,
        now_mode: ClockMode = ClockMode.EVENT,
    ) -> None:
        self.report_log = report_log
        self.gathering = gathering
        self.watermark = watermark
        self.now_mode = now_mode
        self.duration = duration
        self.retention = retention
        self.me = me
        self.keep = keep
        self.clock = clock
        self._running: dict[str, asyncio.Task[None]] = {}
        # Per as_of: the gathering reading now, and the one that reports triggered since will share.
        self._reading: dict[int, asyncio.Task[tuple[str, int]]] = {}
        self._next: dict[int, asyncio.Task[tuple[str, int]]] = {}

    async def trigger(self, as_of_us: int | None) -> str:
        """Start a report at ``as_of_us`` (default: ``now`` when it runs); its id."""
        if as_of_us is not None:
            await self._check_horizon(as_of_us)
        now = self.clock()
        record = ReportRecord(
            secrets.token_urlsafe(16), ReportStatus.RUNNING, as_of_us, now, owner=self.me, heartbeat=now
        )
        await self.report_log.save(record)
        self._start(record)
        return record.report_id

    async def horizon(self) -> tuple[int, int] | None:
        """The instants a report may be asked at (the pings kept cover their week), None before any."""
        watermark = await self.watermark()
        latest = present(self.now_mode, watermark)
        if watermark is None or latest is None:
            return None
        return watermark - (self.retention - WEEK), latest

    async def _check_horizon(self, as_of_us: int) -> None:
        OutsideHorizon.check_range(as_of_us)
        horizon = await self.horizon()
        if horizon is None:
            raise OutsideHorizon("no pings have been processed yet, so there is no horizon to report in")
        earliest, latest = horizon
        if not earliest <= as_of_us <= latest:
            raise OutsideHorizon(
                f"as_of must lie in the retained horizon {iso_text(earliest)} .. {iso_text(latest)}"
            )

    async def record(self, report_id: str) -> ReportRecord:
        """The report's record; one triggered on another worker a moment ago is waited for."""
        record = self.report_log.load(report_id)
        if record is None:
            with suppress(TimeoutError):  # then it is unknown as far as can be told now
                await self.report_log.wait_caught_up()
            record = self.report_log.load(report_id)
        if record is None:
            raise UnknownReport()
        return record

    async def listed(self) -> list[ReportListed]:
        """Every report kept, newest first, those triggered on other workers a moment ago included."""
        with suppress(TimeoutError):  # then the list is as complete as can be told now
            await self.report_log.wait_caught_up()
        records = sorted(self.report_log.records(), key=lambda record: record.created, reverse=True)
        return [
            ReportListed(
                report_id=record.report_id,
                as_of=None if record.as_of_us is None else to_datetime(record.as_of_us),
                status=record.status,
                created_at=datetime.fromtimestamp(record.created, UTC),
                finished_at=None if record.finished is None else datetime.fromtimestamp(record.finished, UTC),
                error=record.error,
            )
            for record in records
        ]

    def csv_path(self, report_id: str) -> Path:
        return self.report_log.csv_path(report_id)

    def supervising(self, every: float = HEARTBEAT) -> AbstractAsyncContextManager[None]:
        """Meanwhile, take over stale reports and delete expired ones, every ``every`` seconds."""
        return repeating(every, self.supervise, "report supervision")

    async def supervise(self) -> None:
        """One pass: run again what a dead or restarted worker left Running; drop what has expired."""
        now = self.clock()
        for record in self.report_log.records():
            if record.status is ReportStatus.RUNNING and record.report_id not in self._running:
                orphaned = record.owner == self.me  # this worker's own, from before a restart
                if orphaned or (record.heartbeat or record.created) < now - STALE:
                    log.info("taking over report %s from %s", record.report_id, record.owner)
                    record.owner, record.heartbeat = self.me, now
                    await self.report_log.save(record)
                    self._start(record)
            elif record.finished is not None and record.finished < now - self.keep:
                await self.report_log.delete(record)

    def _start(self, record: ReportRecord) -> None:
        task = asyncio.get_running_loop().create_task(self._run(record))
        self._running[record.report_id] = task
        task.add_done_callback(lambda _: self._running.pop(record.report_id, None))

    async def _beat(self, record: ReportRecord) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            record.heartbeat = self.clock()
            try:
                await self.report_log.save(record)
            except ReportLogUnavailable as error:  # the next beat tries again
                log.warning("report %s heartbeat not recorded: %s", record.report_id, error)

    async def _run(self, record: ReportRecord) -> None:
        started = time.perf_counter()
        beating = asyncio.get_running_loop().create_task(self._beat(record))
        try:
            if record.as_of_us is None:
                record.as_of_us = present(self.now_mode, await self.watermark())
                if record.as_of_us is None:
                    raise RuntimeError("no pings have been processed yet, so there is no as_of to report at")
                await self.report_log.save(record)  # a worker taking it over reports at the same instant
            text, record.rows = await self._csv(record.as_of_us)
            record.pieces = await self.report_log.save_csv(record.report_id, text)
            record.status = ReportStatus.COMPLETE
        except Exception as error:  # a report must end Complete or Failed, never stay Running
            log.exception("report %s failed", record.report_id)
            record.status = ReportStatus.FAILED
            record.error = f"{type(error).__name__}: {error}"
        finally:
            beating.cancel()
            with suppress(asyncio.CancelledError):
                await beating
        record.finished = self.clock()
        record.owner = record.heartbeat = None
        try:
            await self.report_log.save(record)
        except ReportLogUnavailable as error:  # left Running there: it goes stale and is run again
            log.warning("report %s finished but could not be recorded: %s", record.report_id, error)
            return
        self.duration.labels(record.status.value).observe(time.perf_counter() - started)

    async def _csv(self, as_of: int) -> tuple[str, int]:
        """The CSV at ``as_of`` from a gathering that begins reading after this report was triggered.

        A gathering already reading may miss what was processed since it began (a late ping moves no
        watermark), so a report joins the next one instead: it begins once the current one is done,
        and every report triggered meanwhile shares it. Reports triggered together share one.
        """
        task = self._next.get(as_of)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._gather_next(as_of))
            self._next[as_of] = task
        return await asyncio.shield(task)

    async def _gather_next(self, as_of: int) -> tuple[str, int]:
        me = asyncio.current_task()
        assert me is not None
        try:
            current = self._reading.get(as_of)
            if current is None:
                await asyncio.sleep(JOIN_SECONDS)
            else:
                await asyncio.wait([current])  # its outcome is its own reports'
        finally:
            if self._next.get(as_of) is me:
                del self._next[as_of]  # from here on it reads: reports triggered later wait for the next
        self._reading[as_of] = me
        try:
            return await self.gathering.report_csv(as_of)
        finally:
            if self._reading.get(as_of) is me:
                del self._reading[as_of]

    async def wait_idle(self) -> None:
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)
