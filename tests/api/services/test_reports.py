"""Reports without a broker: unguessable ids, Complete or Failed, takeover, expiry, the horizon rule."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TypeVar

import pytest
from prometheus_client import CollectorRegistry, Histogram

from api.errors import OutsideHorizon, UnknownReport
from api.ports import PartOf
from api.schemas import REPORT_ID_PATTERN, ReportStatus
from api.services.records import ReportRecord
from api.services.reports import STALE, ReportService
from streams.engine import DEFAULT_RETENTION, HOUR, WEEK
from streams.engine.instants import ClockMode, iso_text, wall_clock
from streams.engine.units import LATEST
from streams.gathering import DaySums, FleetRow, PlacedOutage, PlacedSilence, merged_report
from tests.api.fakes import MemoryReportLog

T = TypeVar("T")
WATERMARK = 100 * WEEK
ME, PEER = "http://127.0.0.1:1", "http://127.0.0.1:2"
NOW = 1_700_000_000.0


class StubGathering:
    """Stands in for the worker group's gatherings: a fixed watermark and one row, or a failure."""

    def __init__(self, fail: bool = False, watermark: int | None = WATERMARK) -> None:
        self.fail = fail
        self.gatherings = 0
        self.latest = watermark

    async def watermark(self) -> int | None:
        return self.latest

    async def report_csv(self, as_of: int) -> tuple[str, int]:
        self.gatherings += 1
        await asyncio.sleep(0.05)
        if self.fail:
            raise RuntimeError("partitions held [0] do not cover 0..1")
        return merged_report(["s1,60.0,1.0,2.0,0.0,0.0,0.0\n"])

    async def outages(self, as_of: int) -> list[PlacedOutage]:
        return []

    async def silences(self, as_of: int) -> list[PlacedSilence]:
        return []

    async def fleet(self, as_of: int) -> list[FleetRow]:
        return []

    async def fleet_history(self, as_of: int, days: int) -> DaySums:
        return {}

    async def here(self, part: PartOf[T], as_of: int) -> tuple[frozenset[int], T]:
        return await part(as_of)


def service(
    log: MemoryReportLog, gathering: StubGathering | None = None, now_mode: ClockMode = ClockMode.EVENT
) -> ReportService:
    duration = Histogram("d", "d", ["status"], registry=CollectorRegistry())
    gathering = gathering or StubGathering()
    return ReportService(
        log,
        gathering,
        gathering.watermark,
        duration,
        DEFAULT_RETENTION,
        ME,
        keep=3600.0,
        clock=lambda: NOW,
        now_mode=now_mode,
    )


def test_ids_are_unguessable_and_reports_complete_or_fail_with_a_reason(tmp_path: Path) -> None:
    good_log, bad_log = MemoryReportLog(tmp_path), MemoryReportLog(tmp_path)
    good, bad = service(good_log), service(bad_log, StubGathering(fail=True))

    async def scenario() -> tuple[list[str], list[str]]:
        ok = [await good.trigger(None) for _ in range(200)]
        failed = [await bad.trigger(None) for _ in range(3)]
        await good.wait_idle()
        await bad.wait_idle()
        return ok, failed

    ok, failed = asyncio.run(scenario())
    assert len(set(ok)) == 200 and all(re.fullmatch(REPORT_ID_PATTERN, i) for i in ok)
    record = good_log.load(ok[0])
    assert record is not None and record.status is ReportStatus.COMPLETE and record.as_of_us == WATERMARK
    assert record.owner is None and record.finished == NOW
    assert good.csv_path(ok[0]).read_text().splitlines()[1] == "s1,60.0,1.0,2.0,0.0,0.0,0.0"
    failure = bad_log.load(failed[0])
    assert failure is not None and failure.status is ReportStatus.FAILED
    assert "do not cover" in (failure.error or "")


def test_the_default_as_of_is_recorded_before_the_rows_are_gathered(tmp_path: Path) -> None:
    """So a worker that takes the report over reports at the same instant, not at a later watermark."""
    log = MemoryReportLog(tmp_path)
    seen_while_gathering: list[int | None] = []

    class WatchingGathering(StubGathering):
        async def report_csv(self, as_of: int) -> tuple[str, int]:
            seen_while_gathering.extend(record.as_of_us for record in log.saved.values())
            return await super().report_csv(as_of)

    reports = service(log, WatchingGathering())

    async def scenario() -> None:
        await reports.trigger(None)
        await reports.wait_idle()

    asyncio.run(scenario())
    assert seen_while_gathering == [WATERMARK]


def running(report_id: str, owner: str, heartbeat: float) -> ReportRecord:
    return ReportRecord(report_id, ReportStatus.RUNNING, 500, NOW - 60, owner=owner, heartbeat=heartbeat)


def test_stale_and_orphaned_reports_are_taken_over_and_live_ones_left_alone(tmp_path: Path) -> None:
    log = MemoryReportLog(tmp_path)
    for record in (
        running("A" * 22, PEER, NOW - STALE - 1),  # its worker died
        running("B" * 22, ME, NOW - 1),  # this worker's own, from before it restarted
        running("C" * 22, PEER, NOW - 1),  # alive elsewhere
    ):
        log.saved[record.report_id] = record
    reports = service(log)

    async def scenario() -> None:
        await reports.supervise()
        await reports.wait_idle()
        await reports.supervise()  # a second pass finds nothing more to do

    asyncio.run(scenario())
    statuses = {i[0]: (r.status, r.as_of_us) for i, r in log.saved.items()}
    assert statuses == {
        "A": (ReportStatus.COMPLETE, 500),
        "B": (ReportStatus.COMPLETE, 500),
        "C": (ReportStatus.RUNNING, 500),
    }


def test_finished_reports_expire_everywhere(tmp_path: Path) -> None:
    log = MemoryReportLog(tmp_path)
    old = ReportRecord("A" * 22, ReportStatus.COMPLETE, 500, NOW - 7200, finished=NOW - 3601)
    fresh = ReportRecord("B" * 22, ReportStatus.FAILED, 500, NOW - 7200, finished=NOW - 3599)
    log.saved.update({old.report_id: old, fresh.report_id: fresh})
    log.csv_path(old.report_id).write_text("store_id\n")
    asyncio.run(service(log).supervise())
    assert list(log.saved) == [fresh.report_id]
    assert not log.csv_path(old.report_id).exists()


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
    gathering = StubGathering()
    reports = service(MemoryReportLog(tmp_path), gathering)

    async def scenario() -> list[ReportStatus]:
        ids = [await reports.trigger(WATERMARK - HOUR) for _ in range(10)]
        await reports.wait_idle()
        return [(await reports.record(i)).status for i in ids]

    assert asyncio.run(scenario()) == [ReportStatus.COMPLETE] * 10
    assert gathering.gatherings == 1


class ChangingGathering(StubGathering):
    """A group whose state changes while the watermark stands (a late ping, say): each gathering's
    CSV holds the state version it read."""

    def __init__(self) -> None:
        super().__init__()
        self.version = 0
        self.reading = asyncio.Event()

    async def report_csv(self, as_of: int) -> tuple[str, int]:
        self.gatherings += 1
        read = self.version
        self.reading.set()
        await asyncio.sleep(0.05)
        return merged_report([f"s1,{read}.0,1.0,2.0,0.0,0.0,0.0\n"])


def test_a_report_never_shares_a_gathering_that_began_reading_before_it_was_triggered(tmp_path: Path) -> None:
    gathering = ChangingGathering()
    reports = service(MemoryReportLog(tmp_path), gathering)

    async def scenario() -> list[str]:
        first = await reports.trigger(WATERMARK - HOUR)
        await gathering.reading.wait()  # the first report's gathering is reading the state
        gathering.version = 1  # processed meanwhile, without moving the watermark
        later = [await reports.trigger(WATERMARK - HOUR) for _ in range(5)]
        await reports.wait_idle()
        return [reports.csv_path(i).read_text().splitlines()[1] for i in (first, *later)]

    first, *later = asyncio.run(scenario())
    assert first.startswith("s1,0.0,")
    assert all(row.startswith("s1,1.0,") for row in later)  # every one sees what came before it
    assert gathering.gatherings == 2  # the later ones still share one gathering


def test_an_explicit_as_of_must_lie_in_the_retained_horizon(tmp_path: Path) -> None:
    earliest = WATERMARK - (DEFAULT_RETENTION - WEEK)

    async def trigger(as_of: int, gathering: StubGathering | None = None) -> str:
        reports = service(MemoryReportLog(tmp_path), gathering)
        report_id = await reports.trigger(as_of)
        await reports.wait_idle()
        return report_id

    for outside in (earliest - 1, WATERMARK + 1, LATEST, -1):
        with pytest.raises(OutsideHorizon, match="as_of must lie"):
            asyncio.run(trigger(outside))
    with pytest.raises(OutsideHorizon, match="no pings have been processed yet"):
        asyncio.run(trigger(WATERMARK, StubGathering(watermark=None)))
    for inside in (earliest, WATERMARK):
        assert re.fullmatch(REPORT_ID_PATTERN, asyncio.run(trigger(inside)))


def test_on_the_wall_clock_reports_reach_up_to_the_present(tmp_path: Path) -> None:
    earliest = WATERMARK - (DEFAULT_RETENTION - WEEK)

    async def trigger(as_of: int | None) -> ReportRecord:
        log = MemoryReportLog(tmp_path)
        reports = service(log, now_mode=ClockMode.WALL)
        report_id = await reports.trigger(as_of)
        await reports.wait_idle()
        return log.saved[report_id]

    before = wall_clock()
    made_at = asyncio.run(trigger(None)).as_of_us
    assert made_at is not None and before <= made_at <= wall_clock()  # the present, not the watermark
    for inside in (earliest, WATERMARK + 1, before):
        assert asyncio.run(trigger(inside)).status is ReportStatus.COMPLETE
    for outside in (earliest - 1, wall_clock() + HOUR):
        with pytest.raises(OutsideHorizon, match="as_of must lie"):
            asyncio.run(trigger(outside))


def test_unknown_reports(tmp_path: Path) -> None:
    with pytest.raises(UnknownReport):
        asyncio.run(service(MemoryReportLog(tmp_path)).record("A" * 22))


def test_the_list_holds_every_kept_report_newest_first_wherever_it_was_triggered(tmp_path: Path) -> None:
    log = MemoryReportLog(tmp_path)
    elsewhere = ReportRecord("e" * 22, ReportStatus.RUNNING, None, NOW - 60, owner=PEER, heartbeat=NOW)
    finished = ReportRecord(
        "f" * 22, ReportStatus.FAILED, WATERMARK - HOUR, NOW - 120, NOW - 110, error="gone"
    )

    async def scenario() -> list[dict[str, object]]:
        await log.save(finished)
        await log.save(elsewhere)  # another worker's, not started yet: no as_of so far
        reports = service(log)
        mine = await reports.trigger(WATERMARK - 2 * HOUR)
        await reports.wait_idle()
        listed = [entry.model_dump(mode="json") for entry in await reports.listed()]
        assert listed[0]["report_id"] == mine
        return listed

    mine, running, failed = asyncio.run(scenario())
    assert (mine["status"], mine["as_of"]) == ("Complete", iso_text(WATERMARK - 2 * HOUR))
    assert mine["created_at"] == mine["finished_at"] == "2023-11-14T22:13:20Z"
    assert running == {
        "report_id": "e" * 22,
        "as_of": None,
        "status": "Running",
        "created_at": "2023-11-14T22:12:20Z",
        "finished_at": None,
        "error": None,
    }
    assert (failed["status"], failed["error"], failed["as_of"]) == (
        "Failed",
        "gone",
        iso_text(WATERMARK - HOUR),
    )
