"""``POST /api/trigger_report``, ``GET /api/get_report`` and ``/api/reports`` over a fake report service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.errors import OutsideHorizon, PeerUnreachable, ReportLogUnavailable
from api.schemas import ReportListed, ReportStatus
from streams.engine.instants import to_instant
from tests.api.fakes import FakeRecord
from tests.api.routes.conftest import Api
from tests.helpers import instant


def test_trigger_answers_running_with_an_id_and_passes_as_of_as_an_instant(api: Api) -> None:
    first = api.client.post("/api/trigger_report")
    second = api.client.post("/api/trigger_report", json={"as_of": "2023-01-25T12:00:00+01:00"})
    naive = api.client.post("/api/trigger_report", json={"as_of": "2023-01-25T12:00:00"})
    assert [r.status_code for r in (first, second, naive)] == [200, 200, 200]
    assert first.json() == {"report_id": f"{1:022d}", "status": "Running"}
    assert api.reports.triggered == [None, instant("2023-01-25T11:00:00"), instant("2023-01-25T12:00:00")]


def test_trigger_refusals(api: Api) -> None:
    assert api.client.post("/api/trigger_report", json={"as_of": "yesterday"}).status_code == 422
    assert api.client.post("/api/trigger_report", content=b"{not json").status_code == 422
    api.reports.failure = OutsideHorizon("as_of must lie in the retained horizon")
    refused = api.client.post("/api/trigger_report", json={"as_of": "1999-01-01T00:00:00Z"})
    assert refused.status_code == 422 and "retained horizon" in refused.json()["detail"]
    api.reports.failure = PeerUnreachable("http://127.0.0.1:2", "connection refused")
    assert api.client.post("/api/trigger_report", json={"as_of": "2023-01-25T12:00:00Z"}).status_code == 503
    api.reports.failure = ReportLogUnavailable("KafkaConnectionError")
    unavailable = api.client.post("/api/trigger_report")
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "1"


def test_get_report_while_running_failed_and_complete(api: Api) -> None:
    ids = [api.client.post("/api/trigger_report").json()["report_id"] for _ in range(3)]
    running, failed, complete = ids
    api.reports.records[failed] = FakeRecord(ReportStatus.FAILED, "IncompleteCoverage: partitions")
    api.reports.records[complete] = FakeRecord(ReportStatus.COMPLETE)
    api.reports.csv_path(complete).write_text("store_id\ns1\n")
    assert api.client.get("/api/get_report", params={"report_id": running}).json() == {"status": "Running"}
    assert api.client.get("/api/get_report", params={"report_id": failed}).json() == {
        "status": "Failed",
        "error": "IncompleteCoverage: partitions",
    }
    download = api.client.get("/api/get_report", params={"report_id": complete})
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == f'attachment; filename="store-uptime-{complete}.csv"'
    assert download.text == "store_id\ns1\n"


def test_get_report_refusals(api: Api) -> None:
    assert api.client.get("/api/get_report").status_code == 422
    assert api.client.get("/api/get_report", params={"report_id": "../../etc/passwd"}).status_code == 422
    unknown = api.client.get("/api/get_report", params={"report_id": "A" * 22})
    assert unknown.status_code == 404 and unknown.json() == {"detail": "no report with that id"}


def test_the_reports_list_is_answered_as_the_service_lists_them(api: Api) -> None:
    assert api.client.get("/api/reports").json() == {
        "reports": [],
        "earliest_as_of": None,
        "latest_as_of": None,
    }
    created = datetime(2023, 1, 25, 12, tzinfo=UTC)
    api.reports.reach = (to_instant(created - timedelta(days=1)), to_instant(created))
    api.reports.listing = [
        ReportListed(report_id="b" * 22, as_of=None, status=ReportStatus.RUNNING, created_at=created),
        ReportListed(
            report_id="a" * 22,
            as_of=created,
            status=ReportStatus.COMPLETE,
            created_at=created,
            finished_at=created,
        ),
    ]
    body = api.client.get("/api/reports").json()
    assert (body["earliest_as_of"], body["latest_as_of"]) == ("2023-01-24T12:00:00Z", "2023-01-25T12:00:00Z")
    listed = body["reports"]
    assert [(r["report_id"], r["as_of"], r["status"]) for r in listed] == [
        ("b" * 22, None, "Running"),
        ("a" * 22, "2023-01-25T12:00:00Z", "Complete"),
    ]
