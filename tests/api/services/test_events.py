"""The event stream's life: it ends as soon as the server stops, whatever it was waiting on."""

from __future__ import annotations

import asyncio

from alerts.feed import Notice, Position
from api.services.events import Events, event_stream
from tests.api.fakes import FakeFeed


def test_an_open_stream_ends_when_the_server_closes_its_streams() -> None:
    notice = Notice(Position((1,)), {"kind": "outage", "event": "opened", "store_id": "a"})
    events = Events(FakeFeed([notice]), heartbeat=3600.0)  # a quiet stream waits an hour between reads

    async def scenario() -> list[bytes]:
        stream = event_stream(events, Position((0,)))
        frames = [await anext(stream), await anext(stream)]  # the greeting, then the one event
        waiting = asyncio.ensure_future(anext(stream))  # nothing more: it waits on the feed
        await asyncio.sleep(0.05)
        assert not waiting.done()
        events.closing.set()
        # The guard only keeps a regression from hanging the suite: the stream ends at once.
        done, _ = await asyncio.wait({waiting}, timeout=60)
        assert done == {waiting} and isinstance(waiting.exception(), StopAsyncIteration)
        return frames

    greeting, event = asyncio.run(scenario())
    assert greeting.startswith(b"retry: ") and event.startswith(b"id: 1\nevent: outage.opened\n")
