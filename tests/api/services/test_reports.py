"""Reports without a broker: unguessable ids, atomic records, resumption, confinement, the horizon rule."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Histogram

from api.errors import OutsideHorizon, UnknownReport
from api.schemas import REPORT_ID_PATTERN, ReportStatus
from api.services.reports import ReportRecord, ReportService, ReportStore
from streams.engine import DEFAULT_RETENTION, HOUR, WEEK, UptimeRow
from tests.api.fakes import InlineSide

WATERMARK = 100 * WEEK


class StubCluster:
    """Stands in for the worker group: a fixed watermark and one row, or a failure."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.gatherings = 0

    async def watermark(self) -> int | None:
        return WATERMARK

    async def report_rows(self, as_of: int) -> list[UptimeRow]:
        self.gatherings += 1
        await asyncio.sleep(0.05)
        if self.fail:
            raise RuntimeError("partitions held [0] do not cover 0..1")
        return [UptimeRow("s1", 60.0, 1.0, 2.0, 0.0, 0.0, 0.0)]


def service(folder: Path, cluster: StubCluster | None = None) -> ReportService:
    duration = Histogram("d", "d", ["status"], registry=CollectorRegistry())
    return ReportService(
        ReportStore(folder), cluster or StubCluster(), InlineSide(), duration, DEFAULT_RETENTION
    )


def test_ids_are_unguessable_and_reports_complete_or_fail_with_a_reason(tmp_path: Path) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        good, bad = service(tmp_path / "good"), service(tmp_path / "bad", StubCluster(fail=True))
        ok = [await good.trigger(None) for _ in range(200)]
        failed = [await bad.trigger(None) for _ in range(3)]
        await good.wait_idle()
        await bad.wait_idle()
        return ok, failed

    ok, failed = asyncio.run(scenario())
    assert len(set(ok)) == 200 and all(re.fullmatch(REPORT_ID_PATTERN, i) for i in ok)
    store = ReportStore(tmp_path / "good")
    record = store.load(ok[0])
    assert record is not None and record.status is ReportStatus.COMPLETE and record.as_of_us == WATERMARK
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
    cluster = StubCluster()
    reports = service(tmp_path, cluster)

    async def scenario() -> list[str]:
        ids = [await reports.trigger(WATERMARK - HOUR) for _ in range(10)]
        await reports.wait_idle()
        return ids

    ids = asyncio.run(scenario())
    assert cluster.gatherings == 1
    assert {reports.record(i).status for i in ids} == {ReportStatus.COMPLETE}


def test_an_explicit_as_of_must_lie_in_the_retained_horizon(tmp_path: Path) -> None:
    reports = service(tmp_path)
    earliest = WATERMARK - (DEFAULT_RETENTION - WEEK)

    async def trigger(as_of: int) -> str:
        return await reports.trigger(as_of)

    for outside in (earliest - 1, WATERMARK + 1):
        with pytest.raises(OutsideHorizon, match="retained horizon"):
            asyncio.run(trigger(outside))
    for inside in (earliest, WATERMARK):
        assert re.fullmatch(REPORT_ID_PATTERN, asyncio.run(trigger(inside)))
    with pytest.raises(UnknownReport):
        reports.record("A" * 22)
