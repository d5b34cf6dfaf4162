"""Live doors into the stream: pings over HTTP (batches and a push URL) and profile changes.

Each ends in the topics the replay fills, so the worker, its state, lookups and reports need no
second path. A 2xx means the broker has acknowledged: the input is durable.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import IntakeDep, StoresDep
from api.errors import NoProfile, UnsupportedMediaType
from api.params import StoreId
from api.schemas import PingsAccepted, ProfileIn, ProfileOut
from replay.live import CSV_TYPES, pings_from_body, pings_from_items
from streams.engine.instants import dataset_text

router = APIRouter(prefix="/api", tags=["ingest"])
PING_TYPES = ("application/json", *CSV_TYPES)
_PING_ITEM = {
    "type": "object",
    "required": ["store_id", "status", "timestamp_utc"],
    "properties": {
        "store_id": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "inactive"]},
        "timestamp_utc": {"type": "string", "examples": ["2023-01-25 18:13:22.479220 UTC"]},
    },
}
_REFUSED: dict[int | str, dict[str, Any]] = {
    413: {"description": "more pings or bytes than one request may carry"},
    415: {"description": "a body type the route does not take"},
    422: {"description": "entries refused, each with its index and reason; nothing was published"},
    503: {"description": "the broker did not acknowledge; resending is safe"},
}


@router.post(
    "/pings",
    response_model=PingsAccepted,
    responses=_REFUSED,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"anyOf": [_PING_ITEM, {"type": "array", "items": _PING_ITEM}]}
                },
                "text/csv": {"schema": {"type": "string"}},
            },
            "description": "a ping object, a list of them, or CSV headed store_id,status,timestamp_utc",
        }
    },
)
async def post_pings(request: Request, intake: IntakeDep) -> dict[str, int]:
    """Publish one ping or a batch, as JSON objects with the dataset's field names, or as CSV rows."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media not in PING_TYPES:
        raise UnsupportedMediaType(f"{media} is not a pings body: send {', '.join(PING_TYPES)}")
    parsed = pings_from_body(await request.body(), media, intake.not_after())  # bounded: api.body_limit
    return await intake.pings(parsed)


@router.post("/stores/{store_id}/ping", response_model=PingsAccepted, responses=_REFUSED)
async def push_ping(
    store_id: StoreId,
    intake: IntakeDep,
    status_: Annotated[Literal["active", "inactive"], Query(alias="status")] = "active",
    timestamp_utc: Annotated[str | None, Query(description="default: the time of receipt")] = None,
) -> dict[str, int]:
    """A push URL for simple devices: one ping of this store, at the time of receipt unless given."""
    when = timestamp_utc or dataset_text(intake.now())
    items = [{"store_id": store_id, "status": status_, "timestamp_utc": when}]
    return await intake.pings(pings_from_items(items, intake.not_after()))


@router.get(
    "/stores/{store_id}/profile",
    response_model=ProfileOut,
    responses={404: {"description": "unknown store"}, 503: {"description": "partitions moving"}},
)
async def get_profile(store_id: StoreId, stores: StoresDep) -> Response:
    """The store's timezone, weekly hours and closures as the worker holding it has them."""
    return Response(await stores.profile(store_id), media_type="application/json")


@router.put("/stores/{store_id}/profile", status_code=status.HTTP_202_ACCEPTED, responses=_REFUSED)
async def put_profile(store_id: StoreId, body: ProfileIn, intake: IntakeDep) -> dict[str, str]:
    """Set the store's timezone, weekly hours and closures; every later answer uses them."""
    hours = [(str(row.day), row.start_time_local, row.end_time_local) for row in body.hours]
    closures = [(entry.start_date, entry.end_date, entry.reason) for entry in body.closures]
    await intake.put_profile(store_id, body.timezone, hours, closures)
    return {"status": "published"}


@router.delete(
    "/stores/{store_id}/profile",
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"description": "unknown store, or no profile set"}, **_REFUSED},
)
async def delete_profile(store_id: StoreId, intake: IntakeDep, stores: StoresDep) -> dict[str, str]:
    """Remove the store's profile: it falls back to 24x7 in the default zone. A store without one, as
    its worker holds it (a profile put but not yet applied counts as none), is a 404 and nothing is
    published."""
    if ProfileOut.model_validate_json(await stores.profile(store_id)).is_default:
        raise NoProfile()
    await intake.delete_profile(store_id)
    return {"status": "published"}
