"""Live per-store lookups and outages, answered by whichever worker holds the store."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import StoresDep
from api.params import StoreId
from api.schemas import StoreHistory, StoreOutages, StoreUptime
from streams.engine.instants import to_instant

router = APIRouter(prefix="/api/stores", tags=["stores"])
MAX_HISTORY_DAYS = 3_660  # a decade; what is kept (STOREMON_HISTORY_DAYS) bounds the answer


@router.get(
    "/{store_id}",
    response_model=StoreUptime,
    responses={404: {"description": "unknown store"}, 503: {"description": "partitions moving"}},
)
async def store_uptime(store_id: StoreId, stores: StoresDep) -> Response:
    """The store's six figures at the stream's watermark, its current status and its last ping."""
    return Response(await stores.lookup(store_id), media_type="application/json")


@router.get(
    "/{store_id}/outages",
    response_model=StoreOutages,
    responses={404: {"description": "unknown store"}, 422: {"description": "as_of outside the horizon"}},
)
async def store_outages(
    store_id: StoreId,
    stores: StoresDep,
    as_of: Annotated[datetime | None, Query(description="default: the stream's watermark")] = None,
) -> Response:
    """The store's outages in the week before ``as_of``, by start."""
    at = None if as_of is None else to_instant(as_of)
    return Response(await stores.outages(store_id, at), media_type="application/json")


@router.get(
    "/{store_id}/timeline.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, 404: {"description": "unknown store"}},
)
async def store_timeline(
    store_id: StoreId,
    stores: StoresDep,
    as_of: Annotated[datetime | None, Query(description="default: the stream's watermark")] = None,
) -> Response:
    """The store's week up to ``as_of`` as an SVG: a lane per local day, business hours shaded, up
    solid and down hatched, pings, outages outlined, clock changes marked."""
    at = None if as_of is None else to_instant(as_of)
    return Response(await stores.timeline(store_id, at), media_type="image/svg+xml")


@router.get(
    "/{store_id}/history",
    response_model=StoreHistory,
    responses={404: {"description": "unknown store"}, 503: {"description": "partitions moving"}},
)
async def store_history(
    store_id: StoreId,
    stores: StoresDep,
    days: Annotated[int, Query(ge=1, le=MAX_HISTORY_DAYS, description="local dates through today's")] = 30,
) -> Response:
    """The store's daily history: per local date, its business minutes and of them the minutes up and
    down (exact while the date's pings are kept, then frozen), oldest first."""
    return Response(await stores.history(store_id, days), media_type="application/json")
