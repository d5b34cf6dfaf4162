"""The fleet at a glance (``/api/fleet``) and every store, sortable, searchable and paged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import FleetDep, MaxStale, OutagesDep, SilencesDep
from api.errors import OutsideHorizon
from api.schemas import FleetHistory, FleetHours, FleetPage, FleetProgress, FleetSummary
from api.services.fleet import DEFAULT_SORT, FleetSort, StoreFilter, Window
from api.services.fleet_hours import fleet_hours
from streams.engine.instants import to_instant
from streams.engine.report import Standing

router = APIRouter(prefix="/api/fleet", tags=["fleet"])
AsOf = Annotated[datetime | None, Query(description="default: the stream's watermark")]


def _instant(as_of: datetime | None) -> int | None:
    """``as_of`` in microseconds; refused (422) outside the instants the engine counts."""
    if as_of is None:
        return None
    at = to_instant(as_of)
    OutsideHorizon.check_range(at)
    return at


def _band(text: str | None) -> tuple[Window, int] | None:
    """``day:3`` as ("day", 3); the query's pattern has checked it."""
    if text is None:
        return None
    window, tenth = text.split(":")
    return ("day" if window == "day" else "week"), int(tenth)


@router.get("")
async def fleet_summary(fleet: FleetDep, max_stale: MaxStale, as_of: AsOf = None) -> FleetSummary:
    """Stores open now and of those up, down and silent; how last-day and last-week uptime spread."""
    return await fleet.summary(_instant(as_of), max_stale)


@router.get("/history")
async def fleet_history(
    fleet: FleetDep,
    max_stale: MaxStale,
    days: Annotated[int, Query(ge=1, le=400, description="UTC dates through today's")] = 30,
) -> FleetHistory:
    """Every store's daily history summed per UTC date: business minutes, and of them up and down."""
    return await fleet.history(days, max_stale)


@router.get("/hours")
async def fleet_hours_route(
    outages: OutagesDep,
    silences: SilencesDep,
    max_stale: MaxStale,
    hours: Annotated[int, Query(ge=1, le=168, description="UTC hours through now's")] = 168,
) -> FleetHours:
    """Stores down and stores silent in each UTC hour: a provider-wide incident stands out."""
    return await fleet_hours(outages, silences, hours, max_stale)


@router.get("/progress")
async def fleet_progress(fleet: FleetDep) -> FleetProgress:
    """The group's watermark and this worker's ingestion lag, without gathering the fleet."""
    return await fleet.progress()


@router.get("/stores", responses={422: {"description": "bad sort, filter or cursor, or as_of out of range"}})
async def fleet_stores(
    fleet: FleetDep,
    max_stale: MaxStale,
    sort: FleetSort = DEFAULT_SORT,
    order: Literal["asc", "desc"] = "desc",
    q: Annotated[str | None, Query(max_length=128, description="part of a store id")] = None,
    standing: Standing | None = None,
    timezone: Annotated[str | None, Query(max_length=64, description="stores in this IANA zone")] = None,
    band: Annotated[
        str | None,
        Query(
            pattern=r"^(day|week):[0-9]$",
            description="`week:3`: stores 30-40 % up over the last week, as the histograms count them",
        ),
    ] = None,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> FleetPage:
    """Stores sorted by ``sort`` (the most business downtime of the week first by default), paged
    through one listing."""
    where = StoreFilter(q or None, standing, timezone or None, _band(band))
    return await fleet.stores(sort, order == "desc", where, _instant(as_of), limit, cursor, max_stale)
