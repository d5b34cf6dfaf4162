"""``/api/fleet`` and ``/api/fleet/stores``: standings, uptime spread, sort, search and paging."""

from __future__ import annotations

from typing import Any

import pytest

from api.schemas import FleetSummary
from api.services import fleet
from api.services.fleet import fleet_summary
from streams.engine import HOUR, MINUTE, UptimeRow
from streams.engine.outages import Outage
from streams.gathering import FleetRow, PlacedOutage
from tests.api.routes.conftest import Api
from tests.helpers import instant

AS_OF = instant("2023-01-25T18:00:00")


def _row(
    store: str, up_day: float, down_day: float, active: bool, ping_hours_ago: float, open_now: bool
) -> FleetRow:
    row = UptimeRow(store, 60.0, up_day, up_day * 7, 0.0, down_day, down_day * 7)
    return FleetRow(row, active, AS_OF - int(ping_hours_ago * HOUR), open_now, "UTC", "u" * 23 + "d")


ROWS = [
    _row("a-1", 10.0, 0.0, True, 0.5, True),  # up
    _row("a-2", 5.0, 5.0, False, 0.5, True),  # down
    _row("b-1", 0.0, 10.0, True, 3.0, True),  # silent: open, no ping for 3 h
    _row("b-2", 0.0, 0.0, True, 0.5, False),  # closed, and no business time in the day
]


def _ids(body: dict[str, Any]) -> list[str]:
    return [store["store_id"] for store in body["stores"]]


def test_the_summary_counts_standings_and_spreads_uptime(api: Api) -> None:
    api.gathering.latest, api.gathering.fleet_rows, api.worker.pending = AS_OF, list(ROWS), 7
    body = api.client.get("/api/fleet").json()
    assert body["as_of"] == "2023-01-25T18:00:00Z" and body["lag_messages"] == 7
    assert (body["stores"], body["open_now"], body["up"], body["down"], body["silent"], body["closed"]) == (
        4,
        3,
        1,
        1,
        1,
        1,
    )
    assert body["uptime_last_day"] == [
        1,
        0,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        1,
    ]  # 0 %, 50 %, 100 %; b-2 had no business time


def test_the_summary_is_counted_once_per_gathering_and_its_lag_is_live(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[int | None] = []

    def counting(as_of: int | None, rows: list[FleetRow], silence: int) -> FleetSummary:
        counted.append(as_of)
        return fleet_summary(as_of, rows, silence)

    monkeypatch.setattr(fleet, "fleet_summary", counting)
    api.gathering.latest, api.gathering.fleet_rows, api.worker.pending = AS_OF, list(ROWS), 7
    assert api.client.get("/api/fleet").json()["lag_messages"] == 7
    api.worker.pending = 2
    body = api.client.get("/api/fleet").json()
    assert (body["up"], body["down"], body["lag_messages"]) == (1, 1, 2)
    assert counted == [AS_OF]
    api.gathering.latest = AS_OF + HOUR  # a new gathering is counted again
    api.fleet.now.recent.fresh = 0.0
    assert api.client.get("/api/fleet").json()["as_of"] == "2023-01-25T19:00:00Z"
    assert counted == [AS_OF, AS_OF + HOUR]


def test_stores_sort_search_filter_and_page(api: Api) -> None:
    api.gathering.latest, api.gathering.fleet_rows = AS_OF, list(ROWS)
    get = api.client.get
    most_down = ["b-1", "a-2", "a-1", "b-2"]  # the most downtime of the week first, ties by id
    assert _ids(get("/api/fleet/stores").json()) == most_down
    assert get("/api/fleet/stores").json()["stores"][0]["recent"] == "u" * 23 + "d"
    worst_up = ["b-1", "b-2", "a-2", "a-1"]
    assert (
        _ids(get("/api/fleet/stores", params={"sort": "uptime_last_week", "order": "asc"}).json()) == worst_up
    )
    assert _ids(get("/api/fleet/stores", params={"sort": "store_id", "order": "desc"}).json()) == [
        "b-2",
        "b-1",
        "a-2",
        "a-1",
    ]
    assert _ids(get("/api/fleet/stores", params={"q": "A-"}).json()) == ["a-2", "a-1"]
    silent = get("/api/fleet/stores", params={"standing": "silent"}).json()
    assert _ids(silent) == ["b-1"] and silent["stores"][0]["standing"] == "silent" and silent["total"] == 1
    first = get("/api/fleet/stores", params={"limit": 3}).json()
    assert first["total"] == 4 and first["previous_cursor"] is None
    second = get("/api/fleet/stores", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert _ids(second) == ["b-2"] and second["offset"] == 3 and second["next_cursor"] is None
    back = get("/api/fleet/stores", params={"limit": 3, "cursor": second["previous_cursor"]}).json()
    assert _ids(back) == _ids(first)
    assert get("/api/fleet/stores", params={"sort": "nonsense"}).status_code == 422
    assert get("/api/fleet/stores", params={"timezone": "UTC"}).json()["total"] == 4
    tokyo = get("/api/fleet/stores", params={"timezone": "Asia/Tokyo"}).json()
    assert tokyo["total"] == 0 and tokyo["stores"] == []
    assert get("/api/fleet").json()["timezones"] == {"UTC": 4}
    # The histograms' bars: 100 % up in the day (a-1), 50 % (a-2), none (b-1); b-2 had no business time.
    for band, ids in (("day:9", ["a-1"]), ("day:5", ["a-2"]), ("week:0", ["b-1"]), ("week:4", [])):
        assert _ids(get("/api/fleet/stores", params={"band": band}).json()) == ids
    assert get("/api/fleet/stores", params={"band": "month:1"}).status_code == 422


def test_each_listed_store_shows_its_last_30_dates_summed_from_its_history(api: Api) -> None:
    api.gathering.latest, api.gathering.fleet_rows = AS_OF, list(ROWS)
    api.stores.sums = {"a-1": (30, 600 * MINUTE, 450 * MINUTE), "b-1": (2, 90 * MINUTE + 1, 0)}
    shown = {
        store["store_id"]: store["last_30_days"]
        for store in api.client.get("/api/fleet/stores").json()["stores"]
    }
    assert shown == {
        "a-1": {"dates": 30, "business_minutes": 600.0, "uptime_minutes": 450.0, "downtime_minutes": 150.0},
        "b-1": {"dates": 2, "business_minutes": 90.0, "uptime_minutes": 0.0, "downtime_minutes": 90.0},
        "a-2": None,  # no history to be had: none kept, or its holder could not be asked
        "b-2": None,
    }
    assert api.stores.asked == [AS_OF]  # one question for the page, through the page's instant


def test_a_stores_timeline_is_svg_from_its_owner(api: Api) -> None:
    api.stores.bodies["timeline:s1"] = b"<svg/>"
    response = api.client.get("/api/stores/s1/timeline.svg")
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    assert api.client.get("/api/stores/s2/timeline.svg").status_code == 404


def test_progress_answers_the_watermark_and_lag_without_gathering_the_fleet(api: Api) -> None:
    api.gathering.latest, api.gathering.fleet_rows, api.worker.pending = AS_OF, list(ROWS), 3
    assert api.client.get("/api/fleet/progress").json() == {
        "as_of": "2023-01-25T18:00:00Z",
        "lag_messages": 3,
    }
    assert api.gathering.gatherings == []


def test_a_reader_accepting_stale_answers_gets_the_fleet_kept_ready_in_the_background(api: Api) -> None:
    api.gathering.latest, api.gathering.fleet_rows = AS_OF, list(ROWS)
    api.fleet.now.recent.fresh = 0.0  # no sharing of the watermark between asks
    stale_ok = {"Cache-Control": "max-stale=60"}
    first = api.client.get("/api/fleet", headers=stale_ok).json()  # nothing ready yet: gathered at once
    assert first["as_of"] == "2023-01-25T18:00:00Z" and api.gathering.gatherings == [AS_OF]
    api.gathering.latest = AS_OF + HOUR
    for path in ("/api/fleet", "/api/fleet/stores"):
        assert api.client.get(path, headers=stale_ok).json()["as_of"] == "2023-01-25T18:00:00Z"
        assert api.client.get(path).json()["as_of"] == "2023-01-25T19:00:00Z"
    for unusable in ("max-stale=0", "max-stale=soon", "no-cache"):
        body = api.client.get("/api/fleet", headers={"Cache-Control": unusable}).json()
        assert body["as_of"] == "2023-01-25T19:00:00Z"
    any_age = api.client.get("/api/fleet", headers={"Cache-Control": "max-stale"}).json()
    assert any_age["as_of"] == "2023-01-25T18:00:00Z"
    assert api.client.portal is not None
    api.client.portal.call(api.fleet.now.refresh)  # the background pass: to the watermark
    assert api.client.get("/api/fleet", headers=stale_ok).json()["as_of"] == "2023-01-25T19:00:00Z"
    assert api.gathering.gatherings == [AS_OF, AS_OF + HOUR]


def test_a_store_added_at_the_watermark_is_counted_searched_and_listed(api: Api) -> None:
    """Pings at or before the watermark change the fleet without moving its instant: the state's
    version keys the gatherings, the background pass included."""
    api.gathering.latest, api.gathering.fleet_rows = AS_OF, list(ROWS)
    api.fleet.now.recent.fresh = 0.0
    api.outages.now.recent.fresh = 0.0
    stale_ok = {"Cache-Control": "max-stale=60"}
    assert api.client.get("/api/fleet", headers=stale_ok).json()["stores"] == 4
    assert api.client.get("/api/fleet").json()["stores"] == 4
    api.gathering.fleet_rows.append(_row("late", 1.0, 0.0, True, 0.5, True))
    outage = Outage("late", AS_OF - 2 * HOUR, None, False, AS_OF - 2 * HOUR, 30 * MINUTE)
    api.gathering.found.append(PlacedOutage(outage, "UTC"))
    api.gathering.version += 1  # a message processed: the same watermark, another state
    assert api.client.get("/api/fleet").json()["stores"] == 5
    assert _ids(api.client.get("/api/fleet/stores", params={"q": "late"}).json()) == ["late"]
    outages = api.client.get("/api/outages", params={"store_id": "late"}).json()["outages"]
    assert [outage["store_id"] for outage in outages] == ["late"]
    assert api.client.get("/api/fleet", headers=stale_ok).json()["stores"] == 4  # ready, 60 s at most
    assert api.client.portal is not None
    api.client.portal.call(api.fleet.now.refresh)  # the background pass gathers the new state
    assert api.client.get("/api/fleet", headers=stale_ok).json()["stores"] == 5


def test_an_as_of_before_year_one_in_utc_is_answered_not_a_server_error(api: Api) -> None:
    early = {"as_of": "0001-01-01T00:00:00+00:01"}
    for path in ("/api/fleet", "/api/fleet/stores"):
        assert api.client.get(path, params=early).status_code == 422


def test_an_open_store_is_silent_from_the_instant_its_last_ping_is_the_silence_time_old() -> None:
    row = _row("c-1", 1.0, 0.0, True, 0.0, True)
    assert fleet.row_standing(row, AS_OF + 2 * HOUR - 1, 2 * HOUR) == "up"
    assert fleet.row_standing(row, AS_OF + 2 * HOUR, 2 * HOUR) == "silent"
    assert fleet.row_standing(row, AS_OF + 10 * 60_000_000, 10 * 60_000_000) == "silent"
    assert fleet.row_standing(row._replace(open_now=False), AS_OF + 3 * HOUR, 2 * HOUR) == "closed"


def test_the_fleet_history_sums_per_utc_date_in_minutes_oldest_first(api: Api) -> None:
    api.gathering.latest = AS_OF
    today = AS_OF // (24 * HOUR)
    api.gathering.day_sums = {
        today: [9 * HOUR, 6 * HOUR, 3],
        today - 1: [24 * HOUR, 23 * HOUR + 30 * 60_000_000, 2],
        today - 40: [HOUR, HOUR, 1],  # outside the 30 dates asked
    }
    body = api.client.get("/api/fleet/history").json()
    assert body["as_of"] == "2023-01-25T18:00:00Z"
    assert body["days"] == [
        {
            "date": "2023-01-24",
            "business_minutes": 1440.0,
            "uptime_minutes": 1410.0,
            "downtime_minutes": 30.0,
            "stores": 2,
        },
        {
            "date": "2023-01-25",
            "business_minutes": 540.0,
            "uptime_minutes": 360.0,
            "downtime_minutes": 180.0,
            "stores": 3,
        },
    ]
    assert api.client.get("/api/fleet/history?days=0").status_code == 422
    assert api.client.get("/api/fleet/history?days=401").status_code == 422
    assert api.client.get("/api/fleet/history").json() == body  # kept: asked again, not gathered again
    assert api.gathering.gatherings == [AS_OF]
    api.gathering.version += 1
    api.fleet.now.recent.fresh = 0.0
    api.client.get("/api/fleet/history")
    assert api.gathering.gatherings == [AS_OF, AS_OF]  # the state moved: gathered anew
