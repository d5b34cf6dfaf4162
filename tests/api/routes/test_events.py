"""``GET /api/events``: Server-Sent Events framing, resumption by event id, filters, heartbeats."""

from __future__ import annotations

import json

from alerts.feed import Notice, Position
from tests.api.routes.conftest import TOKEN, Api


def _notice(offset: int, store: str, event: str, kind: str = "outage") -> Notice:
    body = {
        "kind": kind,
        "event": event,
        "event_id": f"id{offset}",
        "store_id": store,
        "started_at": "2023-01-23T16:30:00Z",
    }
    return Notice(Position((offset,)), body)


NOTICES = [
    _notice(1, "a", "opened"),
    _notice(2, "b", "opened"),
    _notice(3, "a", "closed"),
    _notice(4, "b", "opened", "silence"),
]


def _frames(api: Api, count: int, **kwargs: object) -> list[dict[str, str]]:
    """The first ``count`` frames with an id (events), read from a stream."""
    found: list[dict[str, str]] = []
    with api.client.stream("GET", "/api/events", **kwargs) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line == "":
                if "id" in fields:
                    found.append(fields)
                    if len(found) == count:
                        break
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
    return found


def test_events_are_framed_with_their_position_as_id(api: Api) -> None:
    api.feed.notices = list(NOTICES)
    frames = _frames(api, 4, headers={"Last-Event-ID": "0"})
    assert [(f["id"], f["event"]) for f in frames] == [
        ("1", "outage.opened"),
        ("2", "outage.opened"),
        ("3", "outage.closed"),
        ("4", "silence.opened"),
    ]
    assert json.loads(frames[2]["data"]) == NOTICES[2].body


def test_a_client_resumes_after_the_last_event_it_saw(api: Api) -> None:
    api.feed.notices = list(NOTICES)
    assert [f["id"] for f in _frames(api, 1, headers={"Last-Event-ID": "2"})] == ["3"]
    assert [f["id"] for f in _frames(api, 2, params={"after": "1"})] == ["2", "3"]
    assert api.feed.starts == [Position((2,)), Position((1,))]


def test_a_store_filter_and_heartbeats(api: Api) -> None:
    api.feed.notices = list(NOTICES)
    assert [f["id"] for f in _frames(api, 2, params={"store_id": "a", "after": "0"})] == ["1", "3"]
    with api.client.stream("GET", "/api/events") as response:  # from now: nothing new, only heartbeats
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line == ": heartbeat":
                break
    assert lines[0] == "retry: 2000" and lines[-1] == ": heartbeat"


def test_an_id_this_stream_never_sent_is_422(api: Api) -> None:
    for bad in ("x", "1.2", "-1"):
        assert api.client.get("/api/events", headers={"Last-Event-ID": bad}).status_code == 422


def test_events_need_the_token_when_one_is_set(secured: Api) -> None:
    assert secured.client.get("/api/events").status_code == 401
    secured.feed.notices = list(NOTICES)
    assert len(_frames(secured, 1, headers={"Authorization": f"Bearer {TOKEN}", "Last-Event-ID": "0"})) == 1
