"""``GET /api/events``: outage changes pushed as Server-Sent Events as the workers derive them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from api.deps import EventsDep
from api.params import StoreIdFilter
from api.services.events import event_stream, start_of

router = APIRouter(prefix="/api", tags=["events"])


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "outage.opened/updated/closed/retracted"},
        422: {"description": "an event id this stream did not send"},
    },
)
async def events(
    events: EventsDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=4096)] = None,
    after: Annotated[
        str | None,
        Query(max_length=4096, description="an event id to resume after, for clients without headers"),
    ] = None,
    store_id: StoreIdFilter = None,
) -> StreamingResponse:
    """Every store's outage changes from now on, or after the event id given; any worker serves the
    whole fleet, and an id from one resumes on another."""
    start = start_of(events.feed, last_event_id or after)
    return StreamingResponse(
        event_stream(events, start, store_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
