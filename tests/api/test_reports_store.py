"""Report records and ids without a broker: unguessable ids, atomic records, resumption, confinement."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from prometheus_client import CollectorRegistry, Histogram

from api.reports import REPORT_ID_PATTERN, ReportRecord, ReportService, ReportStatus, ReportStore
from streams.engine import UptimeRow

T = TypeVar("T")


class StubCluster:
    """Stands in for the worker group: a fixed watermark and one row, or a failure."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.gatherings = 0

    async def watermark(self) -> int | None:
        return 1_000

    async def report_rows(self, as_of: int) -> list[UptimeRow]:
        self.gatherings += 1
        await asyncio.sleep(0.05)
        if self.fail:
            raise RuntimeError("partitions held [0] do not cover 0..1")
        return [UptimeRow("s1", 60.0, 1.0, 2.0, 0.0, 0.0, 0.0)]


class InlineSide:
    """Runs the report's CPU-heavy steps in the test's own process."""

    async def run(self, function: Callable[..., T], *args: object) -> T:
        return function(*args)


def service(folder: Path, fail: bool = False) -> ReportService:
    duration = Histogram("d", "d", ["status"], registry=CollectorRegistry())
    return ReportService(ReportStore(folder), StubCluster(fail), InlineSide(), duration)  # type: ignore[arg-type]


def test_ids_are_unguessable_and_reports_complete_or_fail_with_a_reason(tmp_path: Path) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        good, bad = service(tmp_path / "good"), service(tmp_path / "bad", fail=True)
        ok = [good.trigger(None).report_id for _ in range(200)]
        failed = [bad.trigger(None).report_id for _ in range(3)]
        await good.wait_idle()
        await bad.wait_idle()
        return ok, failed

    ok, failed = asyncio.run(scenario())
    assert len(set(ok)) == 200 and all(re.fullmatch(REPORT_ID_PATTERN, i) for i in ok)
    store = ReportStore(tmp_path / "good")
    record = store.load(ok[0])
    assert record is not None and record.status is ReportStatus.COMPLETE and record.as_of_us == 1_000
    assert store.csv_path(ok[0]).read_text().splitlines()[1] == "s1,60.0,1.0,2.0,0.0,0.0,0.0"
    failure = ReportStore(tmp_path / "bad").load(failed[0])
    assert (
        failure is not None
        and failure.status is ReportStatus.FAILED
        and "do not cover" in (failure.error or "")
    )


def test_reports_left_running_are_resumed(tmp_path: Path) -> None:
    store = ReportStore(tmp_path)
    store.save(ReportRecord("A" * 22, ReportStatus.RUNNING, 500, 0.0))

    async def scenario() -> int:
        resumed = service(tmp_path)
        count = resumed.resume_interrupted()
        await resumed.wait_idle()
        return count

    assert asyncio.run(scenario()) == 1
    record = store.load("A" * 22)
    assert record is not None and record.status is ReportStatus.COMPLETE and record.as_of_us == 500


def test_ids_that_could_leave_the_folder_never_match() -> None:
    for hostile in (
        "../../../etc/passwd",
        "..%2f..%2fx",
        "/etc/passwd",
        "a" * 21,
        "a" * 23,
        "abc/def" + "x" * 15,
    ):
        assert re.fullmatch(REPORT_ID_PATTERN, hostile) is None


def test_concurrent_reports_at_one_as_of_share_one_gathering(tmp_path: Path) -> None:
    reports = service(tmp_path)

    async def scenario() -> list[str]:
        ids = [reports.trigger(7_000).report_id for _ in range(10)]
        await reports.wait_idle()
        return ids

    ids = asyncio.run(scenario())
    assert reports.cluster.gatherings == 1  # type: ignore[attr-defined]
    statuses = {ReportStore(tmp_path).load(i).status for i in ids}  # type: ignore[union-attr]
    assert statuses == {ReportStatus.COMPLETE}
