"""``GET /api/public/stores/{id}``: a store's public status, without the token only when made public."""

from __future__ import annotations

import json

from api.schemas import HoursEntry
from api.services.public_status import hours_text
from tests.api.routes.conftest import TOKEN, Api

UPTIME = {
    "store_id": "s1",
    "as_of": "2023-01-25T18:00:00Z",
    "status": "active",
    "standing": "up",
    "open_now": True,
    "last_ping": "2023-01-25T17:40:00Z",
    "silent_since": None,
    "uptime_last_hour": 60.0,
    "uptime_last_day": 7.5,
    "uptime_last_week": 40.0,
    "downtime_last_hour": 0.0,
    "downtime_last_day": 0.5,
    "downtime_last_week": 0.0,
}
PROFILE = {
    "store_id": "s1",
    "is_default": False,
    "timezone": "America/Denver",
    "effective_timezone": "America/Denver",
    "hours": [
        {"day": 0, "start_time_local": "09:00:00", "end_time_local": "17:00:00"},
        {"day": 4, "start_time_local": "22:00:00", "end_time_local": "02:00:00"},
        {"day": 0, "start_time_local": "18:00:00", "end_time_local": "21:00:00"},
    ],
    "closures": [{"start_date": "2023-12-25", "end_date": "2023-12-25", "reason": "Christmas"}],
}
DAY = {"date": "2023-01-25", "business_minutes": 480.0, "uptime_minutes": 450.0, "downtime_minutes": 30.0}
HISTORY = {
    "store_id": "s1",
    "timezone": "America/Denver",
    "as_of": "2023-01-25T18:00:00Z",
    "days": [{**DAY, "closed": False}],
}


def _store(api: Api) -> None:
    api.stores.bodies.update(
        {
            "s1": json.dumps(UPTIME).encode(),
            "profile:s1": json.dumps(PROFILE).encode(),
            "history:s1:30": json.dumps(HISTORY).encode(),
        }
    )


def test_the_public_status_says_the_standing_hours_closures_and_days_and_nothing_else(api: Api) -> None:
    _store(api)
    body = api.client.get("/api/public/stores/s1").json()
    assert body == {
        "store_id": "s1",
        "as_of": "2023-01-25T18:00:00Z",
        "standing": "up",
        "timezone": "America/Denver",
        "hours": [
            "Monday: 09:00\N{EN DASH}17:00, 18:00\N{EN DASH}21:00",
            "Tuesday: closed",
            "Wednesday: closed",
            "Thursday: closed",
            "Friday: 22:00\N{EN DASH}02:00",
            "Saturday: closed",
            "Sunday: closed",
        ],
        "closures": PROFILE["closures"],
        "uptime_percent_last_day": 93.75,
        "uptime_percent_last_week": 100.0,
        "days": HISTORY["days"],
    }
    assert api.client.get("/api/public/stores/nope").status_code == 404


def test_a_store_without_hours_is_open_all_day() -> None:
    assert hours_text([]) == ["Open every day, all day"]
    assert hours_text([HoursEntry(day=2, start_time_local="00:00:00", end_time_local="00:00:00")])[2] == (
        "Wednesday: 00:00\N{EN DASH}00:00"
    )


def test_the_token_is_waived_for_public_status_only_when_made_public(secured: Api, public: Api) -> None:
    for held in (secured, public):
        _store(held)
    assert secured.client.get("/api/public/stores/s1").status_code == 401
    assert public.client.get("/api/public/stores/s1").status_code == 200
    assert public.client.get("/api/stores/s1").status_code == 401  # nothing else
    assert public.client.get("/api/fleet").status_code == 401
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert secured.client.get("/api/public/stores/s1", headers=bearer).status_code == 200
