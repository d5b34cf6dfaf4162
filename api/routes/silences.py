"""The fleet's silences at an instant: stores open for business that stopped pinging."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import MaxStale, SilencesDep
from api.params import StoreIdFilter
from api.schemas import SilencePage
from api.services.silences import SilenceStatus
from streams.engine.instants import to_instant

router = APIRouter(prefix="/api", tags=["silences"])


@router.get("/silences", responses={422: {"description": "bad filter, cursor, or as_of outside the horizon"}})
async def silences(
    listing: SilencesDep,
    max_stale: MaxStale,
    status: SilenceStatus = SilenceStatus.OPEN,
    store_id: StoreIdFilter = None,
    as_of: Annotated[datetime | None, Query(description="default: now")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the page before")] = None,
) -> SilencePage:
    """Silences going on at ``as_of`` (``status=open``, those silent longest first), or every one
    reaching into the week before it (``all``); ``next_cursor`` pages on through the same listing."""
    at = None if as_of is None else to_instant(as_of)
    return await listing.page(status, store_id, at, limit, cursor, max_stale)
