"""Report routes: trigger a report, then poll for it; a complete report downloads as CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, status
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from api.deps import ClusterDep, ReportsDep, SettingsDep
from api.reports import REPORT_ID_PATTERN, ReportStatus
from api.timefmt import to_datetime, to_instant
from streams.engine import WEEK

router = APIRouter(prefix="/api", tags=["reports"])


class TriggerRequest(BaseModel):
    as_of: datetime | None = Field(None, description="instant the report describes; default: the latest ping")


class TriggerResponse(BaseModel):
    report_id: str
    status: ReportStatus


class ReportState(BaseModel):
    status: ReportStatus
    error: str | None = None


@router.post("/trigger_report", status_code=status.HTTP_200_OK)
async def trigger_report(
    reports: ReportsDep,
    cluster: ClusterDep,
    settings: SettingsDep,
    request: Annotated[TriggerRequest | None, Body()] = None,
) -> TriggerResponse:
    """Start a report and answer at once with its id; poll ``get_report`` for the result."""
    as_of = None
    if request is not None and request.as_of is not None:
        as_of = to_instant(request.as_of)
        watermark = await cluster.watermark()
        if watermark is not None:
            earliest = watermark - (settings.retention - WEEK)
            if not earliest <= as_of <= watermark:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    f"as_of must lie in the retained horizon {to_datetime(earliest).isoformat()} .. "
                    f"{to_datetime(watermark).isoformat()}",
                )
    record = reports.trigger(as_of)
    return TriggerResponse(report_id=record.report_id, status=record.status)


@router.get(
    "/get_report",
    response_model=ReportState,
    responses={200: {"content": {"text/csv": {}}, "description": "the CSV when complete"}, 404: {}},
)
async def get_report(
    reports: ReportsDep, report_id: Annotated[str, Query(pattern=REPORT_ID_PATTERN)]
) -> FileResponse | JSONResponse:
    """``Running`` while the report is computed, then the CSV as a download (or ``Failed`` with a reason)."""
    record = reports.store.load(report_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no report with that id")
    if record.status is ReportStatus.COMPLETE:
        return FileResponse(
            reports.store.csv_path(report_id), media_type="text/csv", filename=f"store-uptime-{report_id}.csv"
        )
    return JSONResponse(ReportState(status=record.status, error=record.error).model_dump(exclude_none=True))
