"""Report routes: trigger a report, then poll for it; a complete report downloads as CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from api.deps import ReportsDep
from api.schemas import REPORT_ID_PATTERN, ReportList, ReportStatus
from streams.engine.instants import to_datetime, to_instant

router = APIRouter(prefix="/api", tags=["reports"])


class TriggerRequest(BaseModel):
    as_of: datetime | None = Field(None, description="instant the report describes; default: the latest ping")


class TriggerResponse(BaseModel):
    report_id: str
    status: ReportStatus


class ReportState(BaseModel):
    status: ReportStatus
    error: str | None = None


@router.post(
    "/trigger_report",
    status_code=status.HTTP_200_OK,
    responses={422: {"description": "as_of outside the retained horizon"}},
)
async def trigger_report(
    reports: ReportsDep, request: Annotated[TriggerRequest | None, Body()] = None
) -> TriggerResponse:
    """Start a report and answer at once with its id; poll ``get_report`` for the result."""
    as_of = None if request is None or request.as_of is None else to_instant(request.as_of)
    return TriggerResponse(report_id=await reports.trigger(as_of), status=ReportStatus.RUNNING)


@router.get(
    "/get_report",
    response_model=ReportState,
    responses={200: {"content": {"text/csv": {}}, "description": "the CSV when complete"}, 404: {}},
)
async def get_report(
    reports: ReportsDep, report_id: Annotated[str, Query(pattern=REPORT_ID_PATTERN)]
) -> FileResponse | JSONResponse:
    """``Running`` while the report is computed, then the CSV as a download (or ``Failed`` with a reason)."""
    record = await reports.record(report_id)
    if record.status is ReportStatus.COMPLETE:
        return FileResponse(
            reports.csv_path(report_id), media_type="text/csv", filename=f"store-uptime-{report_id}.csv"
        )
    return JSONResponse(ReportState(status=record.status, error=record.error).model_dump(exclude_none=True))


@router.get("/reports", response_model=ReportList)
async def list_reports(reports: ReportsDep) -> ReportList:
    """The reports kept (``STOREMON_REPORT_RETENTION_HOURS`` after they finish), newest first, whichever
    worker ran them; and the instants a report may be asked at."""
    horizon = await reports.horizon()
    earliest, latest = (None, None) if horizon is None else map(to_datetime, horizon)
    return ReportList(reports=await reports.listed(), earliest_as_of=earliest, latest_as_of=latest)
