"""Request bodies are counted as they arrive: one past the limit is refused before the rest is read."""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive, Scope, Send

from api.body_limit import BodyLimit

CHUNK = b"x" * (1 << 20)


class Reads:
    """An app that reads the whole body, as the routes do, and answers how much it got."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ConnectionError("the client went away")  # as Starlette's request.body() does
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})


def run(limit: int, chunks: int, declared: int | None = None) -> tuple[int, list[Message]]:
    """Send ``chunks`` MiB through ``BodyLimit``; how many chunks it pulled, and what it answered."""
    pulled = 0

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": CHUNK, "more_body": pulled < chunks}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [] if declared is None else [(b"content-length", str(declared).encode())]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}

    asyncio.run(BodyLimit(Reads(), limit)(scope, receive, send))
    return pulled, sent


def test_a_streamed_body_past_the_limit_is_refused_after_the_chunk_that_passes_it() -> None:
    pulled, sent = run(limit=3 << 20, chunks=600)  # 600 MiB, chunked: no length declared
    assert pulled == 4 and sent[0]["status"] == 413 and len(sent) == 2


def test_a_declared_length_past_the_limit_is_refused_before_anything_is_read() -> None:
    pulled, sent = run(limit=3 << 20, chunks=600, declared=600 << 20)
    assert pulled == 0 and sent[0]["status"] == 413


def test_a_body_within_the_limit_is_read_whole() -> None:
    pulled, sent = run(limit=3 << 20, chunks=3)
    assert pulled == 3 and sent[-1]["body"] == str(3 << 20).encode()
