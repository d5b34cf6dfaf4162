"""Every request body is counted as it arrives and refused (413) once it passes the limit.

A body sent in chunks has no length to check before it is read, and the routes read bodies whole
(the pings intake, FastAPI's JSON bodies): without this, one chunked upload could hold gigabytes of
the worker's memory before anything refused it.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The largest body any route takes: a pings batch at its most is far below it.
MAX_BODY = 16 << 20


class BodyLimit:
    """ASGI middleware: the body of every HTTP request, declared or streamed, at most ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            await _refuse(send, f"request body of {int(declared)} bytes; at most {self.limit}")
            return
        await self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app, with the body counted as it reads it."""
        limit = self.limit
        received, refused, started = 0, False, False

        async def counted() -> Message:
            # Past the limit the app is told the client went away, so it stops reading.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                refused = received > limit
            return {"type": "http.disconnect"} if refused else message

        async def answered(message: Message) -> None:
            # Whatever the app makes of a body it never got whole gives way to the 413.
            nonlocal started
            if not refused:
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, counted, answered)
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await _refuse(send, f"request body of more than {limit} bytes")


async def _refuse(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
