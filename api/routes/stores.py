"""Live per-store lookups, answered by whichever worker holds the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import GroupDep
from api.schemas import StoreUptime

router = APIRouter(prefix="/api/stores", tags=["stores"])


@router.get(
    "/{store_id}",
    response_model=StoreUptime,
    responses={404: {"description": "unknown store"}, 503: {"description": "partitions moving"}},
)
async def store_uptime(
    store_id: Annotated[str, Path(min_length=1, max_length=128)], group: GroupDep
) -> Response:
    """The store's six figures at the stream's watermark, its current status and its last ping."""
    return Response(await group.lookup(store_id), media_type="application/json")
