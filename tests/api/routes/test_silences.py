"""``GET /api/silences``: those going on by default, longest silent first; every one; paging; a store."""

from __future__ import annotations

from typing import Any

from streams.engine import HOUR
from streams.engine.silences import Silence
from streams.gathering import PlacedSilence
from tests.api.routes.conftest import Api
from tests.helpers import instant

AS_OF = instant("2023-01-23T21:30:00")
T0 = AS_OF - 10 * HOUR


def _silence(store: str, start_hours: int, heard_hours: int | None) -> PlacedSilence:
    heard = None if heard_hours is None else T0 + heard_hours * HOUR
    return PlacedSilence(
        Silence(store, T0 + start_hours * HOUR, T0 + (start_hours - 2) * HOUR, heard), "Asia/Tokyo"
    )


FLEET = [_silence("a", 2, 3), _silence("b", 4, None), _silence("c", 3, None), _silence("a", 6, None)]


def _listed(body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(s["store_id"], s["started_at"], s["ended_at"]) for s in body["silences"]]


def test_silences_going_on_are_listed_longest_silent_first_with_local_times(api: Api) -> None:
    api.gathering.latest, api.gathering.silent = AS_OF, list(FLEET)
    body = api.client.get("/api/silences").json()
    assert body["as_of"] == "2023-01-23T21:30:00Z" and body["next_cursor"] is None
    assert [(store, started) for store, started, _ in _listed(body)] == [
        ("c", "2023-01-23T14:30:00Z"),
        ("b", "2023-01-23T15:30:00Z"),
        ("a", "2023-01-23T17:30:00Z"),
    ]
    first = body["silences"][0]
    assert first["started_at_local"] == "2023-01-23T23:30:00+09:00"
    assert (
        first["last_ping"] == "2023-01-23T12:30:00Z"
        and first["last_ping_local"] == "2023-01-23T21:30:00+09:00"
    )


def test_every_silence_reaching_into_the_week_and_one_stores_are_listed_and_paged(api: Api) -> None:
    api.gathering.latest, api.gathering.silent = AS_OF, list(FLEET)
    every = api.client.get("/api/silences", params={"status": "all"}).json()
    assert [store for store, _, _ in _listed(every)] == ["c", "b", "a", "a"]
    assert _listed(every)[-1] == ("a", "2023-01-23T13:30:00Z", "2023-01-23T14:30:00Z")
    page = api.client.get("/api/silences", params={"status": "all", "store_id": "a", "limit": 1}).json()
    assert [store for store, _, _ in _listed(page)] == ["a"] and page["next_cursor"] is not None
    rest = api.client.get(
        "/api/silences", params={"cursor": page["next_cursor"], "status": "all", "store_id": "a"}
    )
    assert _listed(rest.json()) == [("a", "2023-01-23T13:30:00Z", "2023-01-23T14:30:00Z")]
    assert api.client.get("/api/silences", params={"status": "closed"}).status_code == 422


def test_before_any_ping_there_is_no_instant_and_no_silence(api: Api) -> None:
    assert api.client.get("/api/silences").json() == {"as_of": "", "silences": [], "next_cursor": None}
