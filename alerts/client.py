"""A client of ``GET /api/events`` for scripts, benchmarks and tests: parsed events, resumable."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    id: str
    name: str  # outage.opened, outage.updated, outage.closed, outage.retracted
    data: dict[str, Any]


async def events(
    client: httpx.AsyncClient, last_event_id: str | None = None, **params: str
) -> AsyncIterator[Event]:
    """Events from ``client``'s worker after ``last_event_id`` (or from now), until the caller stops
    or the connection drops; comments (heartbeats) are skipped."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    async with client.stream("GET", "/api/events", headers=headers, params=params, timeout=None) as response:
        response.raise_for_status()
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line:
                if not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                continue
            if "data" in fields and "id" in fields:
                yield Event(fields["id"], fields.get("event", "message"), json.loads(fields["data"]))
            fields = {}
