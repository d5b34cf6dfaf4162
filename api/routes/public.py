"""A store's public status, for its owner and customers: with ``STOREMON_PUBLIC_STATUS=true`` the one
route answered without the API token."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import StoresDep
from api.params import StoreId
from api.schemas import PublicStatus
from api.services.public_status import public_status

router = APIRouter(prefix="/api/public", tags=["public"])


@router.get(
    "/stores/{store_id}",
    responses={404: {"description": "unknown store"}, 503: {"description": "partitions moving"}},
)
async def store_status(store_id: StoreId, stores: StoresDep) -> PublicStatus:
    """The store's standing now, its hours and closures, its uptime over the last day and week and
    its last 30 local dates: nothing of any other store, and no ping."""
    return await public_status(stores, store_id)
