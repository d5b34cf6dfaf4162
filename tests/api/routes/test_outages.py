"""``GET /api/outages`` and ``GET /api/stores/{id}/outages``: filters, order, paging, errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from api.services import listings
from streams.engine import HOUR, MINUTE
from streams.engine.hourly import Span, stores_per_hour
from streams.engine.outages import Outage
from streams.engine.silences import Silence
from streams.gathering import PlacedOutage, PlacedSilence
from tests.api.routes.conftest import TOKEN, Api
from tests.helpers import instant

AS_OF = instant("2023-01-23T21:30:00")
T0 = AS_OF - 10 * HOUR


def _outage(store: str, start_hours: int, hours: int | None, minutes: int) -> PlacedOutage:
    end = None if hours is None else T0 + (start_hours + hours) * HOUR
    outage = Outage(store, T0 + start_hours * HOUR, end, False, T0 + start_hours * HOUR, minutes * MINUTE)
    return PlacedOutage(outage, "America/New_York")


FLEET = [
    _outage("a", 0, 2, 120),
    _outage("b", 1, None, 30),
    _outage("c", 2, 1, 45),
    _outage("d", 3, None, 300),
    _outage("a", 5, 1, 0),
]


def _listed(body: dict[str, Any]) -> list[tuple[str, float]]:
    return [(o["store_id"], o["business_downtime_minutes"]) for o in body["outages"]]


def test_open_outages_come_first_then_the_costliest(api: Api) -> None:
    api.gathering.latest, api.gathering.found = AS_OF, list(FLEET)
    body = api.client.get("/api/outages").json()
    assert body["as_of"] == "2023-01-23T21:30:00Z" and body["next_cursor"] is None
    assert _listed(body) == [("d", 300.0), ("b", 30.0), ("a", 120.0), ("c", 45.0), ("a", 0.0)]
    first = body["outages"][0]
    assert first["ended_at"] is None and first["timezone"] == "America/New_York"
    assert (
        first["started_at"] == "2023-01-23T14:30:00Z"
        and first["started_at_local"] == "2023-01-23T09:30:00-05:00"
    )


def test_filters_narrow_the_listing(api: Api) -> None:
    api.gathering.latest, api.gathering.found = AS_OF, list(FLEET)

    def get(**params: object) -> list[tuple[str, float]]:
        return _listed(api.client.get("/api/outages", params=params).json())

    assert get(status="open") == [("d", 300.0), ("b", 30.0)]
    assert get(status="closed") == [("a", 120.0), ("c", 45.0), ("a", 0.0)]
    assert get(store_id="a") == [("a", 120.0), ("a", 0.0)]
    assert get(min_minutes=45) == [("d", 300.0), ("a", 120.0), ("c", 45.0)]
    # Going on at or after 16:00 UTC: open ones, and closed ones that ended after it.
    assert get(since="2023-01-23T16:00:00Z") == [("d", 300.0), ("b", 30.0), ("a", 0.0)]
    assert api.client.get("/api/outages", params={"status": "gone"}).status_code == 422
    assert api.client.get("/api/outages", params={"limit": 0}).status_code == 422


def test_pages_follow_one_listing_through_the_cursor(api: Api) -> None:
    api.gathering.latest, api.gathering.found = AS_OF, list(FLEET)
    seen: list[tuple[str, float]] = []
    params: dict[str, object] = {"limit": 2, "status": "all"}
    pages = 0
    while True:
        body = api.client.get("/api/outages", params=params).json()
        seen += _listed(body)
        pages += 1
        if body["next_cursor"] is None:
            break
        api.gathering.latest = AS_OF + HOUR  # the watermark moves on; the cursor keeps its as_of
        params["cursor"] = body["next_cursor"]
        assert body["as_of"] == "2023-01-23T21:30:00Z"
    assert pages == 3 and seen == _listed(
        api.client.get("/api/outages", params={"as_of": "2023-01-23T21:30:00Z"}).json()
    )
    assert api.gathering.gatherings == [
        AS_OF
    ]  # the pages, and a request naming their as_of, share one gathering


def test_a_cursor_is_refused_for_other_filters_or_when_unreadable(api: Api) -> None:
    api.gathering.latest, api.gathering.found = AS_OF, list(FLEET)
    cursor = api.client.get("/api/outages", params={"limit": 1}).json()["next_cursor"]
    refused = api.client.get("/api/outages", params={"limit": 1, "cursor": cursor, "status": "open"})
    assert refused.status_code == 422 and "cursor" in refused.json()["detail"]
    assert api.client.get("/api/outages", params={"cursor": "not-a-cursor"}).status_code == 422


def test_nothing_processed_yet_is_an_empty_listing(api: Api) -> None:
    assert api.client.get("/api/outages").json() == {"as_of": "", "outages": [], "next_cursor": None}


def test_a_stores_outages_are_the_services_body(api: Api) -> None:
    api.stores.bodies["outages:s1"] = b'{"store_id":"s1","as_of":"","outages":[]}'
    assert api.client.get("/api/stores/s1/outages").json()["store_id"] == "s1"
    assert api.client.get("/api/stores/s2/outages").status_code == 404


def test_outages_need_the_token_when_one_is_set(secured: Api) -> None:
    for path in ("/api/outages", "/api/stores/s1/outages"):
        assert secured.client.get(path).status_code == 401
    authorized = secured.client.get("/api/outages", headers={"Authorization": f"Bearer {TOKEN}"})
    assert authorized.status_code == 200


def test_a_reader_accepting_stale_answers_gets_the_outages_kept_ready_in_the_background(api: Api) -> None:
    api.gathering.latest, api.gathering.found = AS_OF, list(FLEET)
    api.outages.now.recent.fresh = 0.0
    stale_ok = {"Cache-Control": "max-stale=30"}
    assert api.client.get("/api/outages", headers=stale_ok).json()["as_of"] == "2023-01-23T21:30:00Z"
    api.gathering.latest = AS_OF + HOUR
    stale = api.client.get("/api/outages", headers=stale_ok).json()
    assert stale["as_of"] == "2023-01-23T21:30:00Z" and len(stale["outages"]) == len(FLEET)
    assert api.client.get("/api/outages").json()["as_of"] == "2023-01-23T22:30:00Z"
    assert api.gathering.gatherings == [AS_OF, AS_OF + HOUR]


def test_the_fleets_hours_count_stores_down_and_silent_per_utc_hour(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[int] = []

    def counting(spans: Iterable[Span], start: int, hours: int) -> list[int]:
        counted.append(hours)
        return stores_per_hour(spans, start, hours)

    monkeypatch.setattr(listings, "stores_per_hour", counting)
    api.gathering.latest, api.gathering.found = AS_OF, list(FLEET)
    silence = Silence("e", T0 + 8 * HOUR, T0 + 6 * HOUR, None)  # silent from 19:30 on
    api.gathering.silent = [PlacedSilence(silence, "UTC")]
    body = api.client.get("/api/fleet/hours", params={"hours": 12}).json()
    assert body["as_of"] == "2023-01-23T21:30:00Z"
    hours = body["hours"]
    assert [hour["start"] for hour in (hours[0], hours[-1])] == [
        "2023-01-23T10:00:00Z",
        "2023-01-23T21:00:00Z",
    ]
    # T0 is 11:30: a down 11:30-13:30 and 16:30-17:30, b from 12:30 on, c 13:30-14:30, d from 14:30 on.
    assert [hour["down"] for hour in hours] == [0, 1, 2, 3, 3, 2, 3, 3, 2, 2, 2, 2]
    assert [hour["silent"] for hour in hours] == [0] * 9 + [1, 1, 1]
    assert api.client.get("/api/fleet/hours", params={"hours": 169}).status_code == 422
    assert api.client.get("/api/fleet/hours", params={"hours": 12}).json() == body
    assert counted == [12, 12]  # outages and silences, counted once per gathering
