"""The fleet's outages at an instant: filtered, sorted (open first, then the costliest) and paged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import MaxStale, OutagesDep
from api.params import StoreIdFilter
from api.schemas import OutagePage
from api.services.outages import OutageFilter, OutageStatus
from streams.engine.instants import to_instant

router = APIRouter(prefix="/api", tags=["outages"])


@router.get("/outages", responses={422: {"description": "bad filter, cursor, or as_of outside the horizon"}})
async def outages(
    listing: OutagesDep,
    max_stale: MaxStale,
    status: OutageStatus = OutageStatus.ALL,
    store_id: StoreIdFilter = None,
    since: Annotated[datetime | None, Query(description="only outages going on at or after it")] = None,
    min_minutes: Annotated[float | None, Query(ge=0, description="least business downtime")] = None,
    as_of: Annotated[datetime | None, Query(description="default: now")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the page before")] = None,
) -> OutagePage:
    """Outages of every store in the week before ``as_of``; ``next_cursor`` pages on through the
    same listing (it carries the ``as_of``)."""
    where = OutageFilter(status, store_id, None if since is None else to_instant(since), min_minutes)
    return await listing.page(where, None if as_of is None else to_instant(as_of), limit, cursor, max_stale)
