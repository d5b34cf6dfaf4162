"""Outage changes as Server-Sent Events: one ``event:``/``id:``/``data:`` frame per change, heartbeats
between them, ids that resume the stream (``alerts.feed.Position``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from alerts.feed import BadPosition, Notice, Position
from api.errors import BadEventId
from api.ports import EventFeed

# How long a client waits before reconnecting after the connection drops, in milliseconds.
RECONNECT_MS = 2000


@dataclass(frozen=True)
class Events:
    feed: EventFeed
    heartbeat: float = 15.0  # seconds of silence before a heartbeat comment


def start_of(feed: EventFeed, last_event_id: str | None) -> Position | None:
    """Where a stream starts: just after ``last_event_id``, or (None) from now on."""
    if not last_event_id:
        return None
    try:
        return feed.position(last_event_id)
    except BadPosition as error:
        raise BadEventId(str(error)) from None


def frame(notice: Notice) -> bytes:
    data = json.dumps(notice.body, separators=(",", ":"))
    return f"id: {notice.position}\nevent: outage.{notice.event}\ndata: {data}\n\n".encode()


async def event_stream(
    feed: EventFeed, start: Position | None, heartbeat: float, store_id: str | None = None
) -> AsyncIterator[bytes]:
    """Frames of every outage change after ``start`` (of ``store_id`` only, when given), until the
    client goes; a comment line whenever ``heartbeat`` seconds pass without one, so proxies and
    clients can tell a quiet stream from a dead one."""
    async with feed.reading(start) as reader:
        yield f"retry: {RECONNECT_MS}\n: from {reader.position}\n\n".encode()
        while True:
            sent = False
            for notice in await reader.read(heartbeat):
                if store_id is None or notice.body.get("store_id") == store_id:
                    sent = True
                    yield frame(notice)
            if not sent:
                yield b": heartbeat\n\n"
