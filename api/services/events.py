"""Outage and silence changes as Server-Sent Events: one ``event:``/``id:``/``data:`` frame per
change, heartbeats between them, ids that resume the stream (``alerts.feed.Position``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, field

from alerts.feed import BadPosition, Notice, Position
from api.errors import BadEventId
from api.ports import EventFeed

# How long a client waits before reconnecting after the connection drops, in milliseconds.
RECONNECT_MS = 2000
WRITE_BYTES = 1 << 16


@dataclass(frozen=True)
class Events:
    feed: EventFeed
    heartbeat: float = 15.0  # seconds of silence before a heartbeat comment
    # Set when the server stops: every open stream ends at once, so the stop does not wait out its
    # graceful timeout and then cancel them mid-write.
    closing: asyncio.Event = field(default_factory=asyncio.Event)


def start_of(feed: EventFeed, last_event_id: str | None) -> Position | None:
    """Where a stream starts: just after ``last_event_id``, or (None) from now on."""
    if not last_event_id:
        return None
    try:
        return feed.position(last_event_id)
    except BadPosition as error:
        raise BadEventId(str(error)) from None


async def _unless_closing(read: Awaitable[list[Notice]], closing: asyncio.Event) -> list[Notice] | None:
    """What ``read`` gives, or None (the read cancelled) once ``closing`` is set."""
    reading = asyncio.ensure_future(read)
    stopping = asyncio.ensure_future(closing.wait())
    try:
        await asyncio.wait((reading, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reading, stopping):
            task.cancel()
        await asyncio.gather(reading, stopping, return_exceptions=True)
    return None if closing.is_set() else reading.result()


async def event_stream(
    events: Events, start: Position | None, store_id: str | None = None
) -> AsyncIterator[bytes]:
    """Frames of every outage and silence change after ``start`` (of ``store_id`` only, when given), until the
    client goes or the server stops; a comment line whenever ``heartbeat`` seconds pass without one,
    so proxies and clients can tell a quiet stream from a dead one."""
    async with events.feed.reading(start) as reader:
        yield f"retry: {RECONNECT_MS}\n: from {reader.position}\n\n".encode()
        while True:
            notices = await _unless_closing(reader.read(events.heartbeat), events.closing)
            if notices is None:
                return
            frames = [n.frame for n in notices if store_id is None or n.store_id == store_id]
            if not frames:
                yield b": heartbeat\n\n"
            for piece in _pieces(frames):
                yield piece


def _pieces(frames: list[bytes]) -> Iterator[bytes]:
    """Frames joined into writes of about ``WRITE_BYTES``: a burst costs a client a few sends, not one
    per change, and no client holds more than one such write the network has not taken yet."""
    piece: list[bytes] = []
    size = 0
    for frame in frames:
        piece.append(frame)
        size += len(frame)
        if size >= WRITE_BYTES:
            yield b"".join(piece)
            piece, size = [], 0
    if piece:
        yield b"".join(piece)
