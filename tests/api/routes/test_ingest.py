"""Live input routes: what they publish, what they refuse (with reasons, publishing nothing), and when."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date

from streams.contract.messages import decode_pings, decode_profile
from streams.engine import SECOND, Closure, HoursRow, StoreProfile
from streams.engine.instants import dataset_text, wall_clock
from tests.api.routes.conftest import TOKEN, Api
from tests.helpers import instant

T1, T2 = "2023-01-25 18:13:22.479220 UTC", "2023-01-25T19:13:22Z"
HELD_PROFILE = json.dumps(
    {"store_id": "s", "is_default": False, "timezone": None, "effective_timezone": "UTC", "hours": []},
    separators=(",", ":"),
).encode()
JSON = {"content-type": "application/json"}


def published_pings(api: Api) -> dict[str, list[tuple[int, bool]]]:
    return {key: decode_pings(value) for key, value in api.published.messages.get("t-pings", [])}


def test_a_json_batch_is_published_one_message_per_store_once_acknowledged(api: Api) -> None:
    items = [
        {"store_id": "a", "status": "active", "timestamp_utc": T1},
        {"store_id": "b", "status": "inactive", "timestamp_utc": T1},
        {"store_id": "a", "status": "inactive", "timestamp_utc": T2},
    ]
    response = api.client.post("/api/pings", json=items)
    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "stores": 2}
    first, second = instant("2023-01-25T18:13:22.479220"), instant("2023-01-25T19:13:22")
    assert published_pings(api) == {"a": [(first, True), (second, False)], "b": [(first, False)]}
    assert api.client.post("/api/pings", json=items[1]).json() == {"accepted": 1, "stores": 1}


def test_csv_rows_in_the_dataset_format_are_accepted(api: Api) -> None:
    body = f"status,store_id,timestamp_utc\nactive,a,{T1}\nINACTIVE,b,{T1}\n"
    response = api.client.post("/api/pings", content=body, headers={"content-type": "text/csv"})
    assert response.json() == {"accepted": 2, "stores": 2}
    bad = api.client.post("/api/pings", content="a,b\n1,2\n", headers={"content-type": "text/csv"})
    assert bad.status_code == 422 and bad.json()["rejected"][0]["reason"] == "bad_header"


def test_bad_entries_are_answered_with_index_and_reason_and_nothing_is_published(api: Api) -> None:
    items = [
        {"store_id": "a", "status": "active", "timestamp_utc": T1},
        {"store_id": "a", "status": "asleep", "timestamp_utc": T1},
        {"store_id": "a/b", "status": "active", "timestamp_utc": T1},
        {"store_id": "a", "status": "active"},
        {"store_id": "a", "status": "active", "timestamp_utc": "yesterday"},
        ["a", "active", T1],
    ]
    response = api.client.post("/api/pings", json=items)
    assert response.status_code == 422
    reasons = [(entry["index"], entry["reason"]) for entry in response.json()["rejected"]]
    assert reasons == [
        (1, "bad_status"),
        (2, "malformed_store_id"),
        (3, "missing_field"),
        (4, "bad_timestamp"),
        (5, "bad_item"),
    ]
    assert published_pings(api) == {}
    kept = [json.loads(value or b"") for _, value in api.published.messages["t-rejects"]]
    assert [entry["reason"] for entry in kept] == [
        "bad_status",
        "malformed_store_id",
        "missing_field",
        "bad_timestamp",
        "bad_item",
    ]
    assert api.registry.get_sample_value("storemon_intake_refused_total", {"reason": "bad_status"}) == 1
    not_json = api.client.post("/api/pings", content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["rejected"][0]["reason"] == "bad_json"


def test_pings_stamped_after_the_receiving_clock_allows_are_refused_at_every_http_door(api: Api) -> None:
    soon = dataset_text(wall_clock() + 240 * SECOND)  # within the five minutes allowed
    far = "2099-06-01 00:00:00 UTC"
    items = [{"store_id": "a", "status": "active", "timestamp_utc": t} for t in (T1, soon, far)]
    response = api.client.post("/api/pings", json=items)
    assert response.status_code == 422
    assert [(e["index"], e["reason"]) for e in response.json()["rejected"]] == [(2, "from_the_future")]
    csv_body = f"store_id,status,timestamp_utc\na,active,{T1}\na,inactive,{far}\n"
    as_csv = api.client.post("/api/pings", content=csv_body, headers={"content-type": "text/csv"})
    assert [(e["index"], e["reason"]) for e in as_csv.json()["rejected"]] == [(3, "from_the_future")]
    pushed = api.client.post("/api/stores/dev-1/ping", params={"timestamp_utc": "2099-06-01T00:00:00Z"})
    assert pushed.status_code == 422 and pushed.json()["rejected"][0]["reason"] == "from_the_future"
    assert published_pings(api) == {}
    assert api.registry.get_sample_value("storemon_intake_refused_total", {"reason": "from_the_future"}) == 3
    assert api.client.post("/api/pings", json=items[:2]).status_code == 200


def test_more_pings_than_a_request_may_carry_is_413(api: Api) -> None:
    items = [{"store_id": "a", "status": "active", "timestamp_utc": T1}] * 101
    assert api.client.post("/api/pings", json=items).status_code == 413
    assert published_pings(api) == {}


def test_the_push_url_records_one_ping_at_the_time_of_receipt_or_the_one_given(api: Api) -> None:
    before = time.time_ns() // 1000
    assert api.client.post("/api/stores/dev-1/ping?status=inactive").json() == {"accepted": 1, "stores": 1}
    after = time.time_ns() // 1000
    [(at, active)] = published_pings(api)["dev-1"]
    assert before - 1 <= at <= after and active is False
    api.client.post("/api/stores/dev-2/ping", params={"timestamp_utc": T1})
    assert published_pings(api)["dev-2"] == [(instant("2023-01-25T18:13:22.479220"), True)]
    assert api.client.post("/api/stores/dev-1/ping?status=maybe").status_code == 422


def test_a_profile_is_validated_like_the_hours_file_then_published_and_deleted_with_a_tombstone(
    api: Api,
) -> None:
    hours = [{"day": 4, "start_time_local": "18:00", "end_time_local": "02:00:00"}]
    closures = [{"start_date": "2023-12-24", "end_date": "2023-12-26", "reason": "Christmas"}]
    response = api.client.put(
        "/api/stores/s1/profile", json={"timezone": "Asia/Tokyo", "hours": hours, "closures": closures}
    )
    assert response.status_code == 202
    [(key, value)] = api.published.messages["t-profiles"]
    assert key == "s1" and decode_profile(value or b"") == StoreProfile(
        "Asia/Tokyo",
        (HoursRow(4, 64_800, 7_200),),
        (Closure(date(2023, 12, 24), date(2023, 12, 26), "Christmas"),),
    )
    bad = api.client.put(
        "/api/stores/s1/profile",
        json={
            "timezone": "Mars/Olympus",
            "hours": [{"day": 9, "start_time_local": "25:00", "end_time_local": "1"}],
            "closures": [
                {"start_date": "2023-12-26", "end_date": "2023-12-24"},
                {"start_date": "24/12/2023", "end_date": "2023-12-24"},
            ],
        },
    )
    assert bad.status_code == 422
    problems = [(entry["field"], entry["reason"]) for entry in bad.json()["rejected"]]
    assert problems == [
        ("timezone", "unknown_timezone"),
        ("hours[0]", "bad_day"),
        ("closures[0]", "bad_closure"),
        ("closures[1]", "bad_date"),
    ]
    api.stores.bodies["profile:s1"] = HELD_PROFILE
    assert api.client.delete("/api/stores/s1/profile").status_code == 202
    assert api.published.messages["t-profiles"][-1] == ("s1", None)


def test_a_broker_that_does_not_acknowledge_is_503_and_safe_to_retry(api: Api) -> None:
    api.published.down = True
    api.stores.bodies["profile:s1"] = HELD_PROFILE
    response = api.client.post("/api/pings", json={"store_id": "a", "status": "active", "timestamp_utc": T1})
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert api.client.delete("/api/stores/s1/profile").status_code == 503
    bad = api.client.post("/api/pings", json={"store_id": "a", "status": "asleep", "timestamp_utc": T1})
    assert bad.status_code == 422  # refused input is answered as such whatever the broker does
    api.published.down, api.published.silent = False, True  # a broker gone quiet: no answer, no error
    quiet = api.client.post("/api/pings", json={"store_id": "a", "status": "active", "timestamp_utc": T1})
    assert quiet.status_code == 503 and "no acknowledgement within 0.2 s" in quiet.json()["detail"]
    assert api.client.delete("/api/stores/s1/profile").status_code == 503


def test_the_profile_is_answered_by_the_group(api: Api) -> None:
    api.stores.bodies["profile:s1"] = b'{"store_id":"s1"}'
    assert api.client.get("/api/stores/s1/profile").json() == {"store_id": "s1"}


def test_live_input_needs_the_token(secured: Api) -> None:
    body = {"store_id": "a", "status": "active", "timestamp_utc": T1}
    assert secured.client.post("/api/pings", json=body).status_code == 401
    assert secured.client.post("/api/stores/a/ping").status_code == 401
    assert secured.client.put("/api/stores/a/profile", json={}).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert secured.client.post("/api/pings", json=body, headers=auth).status_code == 200


def test_a_chunked_body_past_the_limit_is_413_on_every_route_that_reads_one(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(17):
            yield b" " * (1 << 20)  # 17 MiB, sent without a length

    assert api.client.post("/api/pings", content=chunks()).status_code == 413
    assert api.client.put("/api/stores/s1/profile", content=chunks(), headers=JSON).status_code == 413
    assert api.published.messages == {}


def test_a_body_type_the_route_does_not_take_is_415(api: Api) -> None:
    body = json.dumps([{"store_id": "a", "status": "active", "timestamp_utc": T1}])
    for media in ("application/xml", "application/x-www-form-urlencoded"):
        assert api.client.post("/api/pings", content=body, headers={"content-type": media}).status_code == 415
    assert api.client.post("/api/pings", content=body, headers=JSON).status_code == 200


def test_a_profile_with_an_unknown_or_a_missing_field_is_refused_naming_it(api: Api) -> None:
    hours = [{"day": 0, "start_time_local": "09:00", "end_time_local": "17:00"}]
    cases = {
        "business_hours": {"timezone": "Asia/Tokyo", "business_hours": hours},
        "tz": {"tz": "Asia/Tokyo", "hours": hours},
        "hours": {"timezone": "Asia/Tokyo"},
        "timezone": {"hours": hours},
        "opens": {"timezone": None, "hours": [{**hours[0], "opens": "08:00"}]},
    }
    for field, body in cases.items():
        refused = api.client.put("/api/stores/s1/profile", json=body)
        assert refused.status_code == 422, field
        assert field in {str(part) for error in refused.json()["detail"] for part in error["loc"]}, field
    assert api.client.put("/api/stores/s1/profile", json={}).status_code == 422
    assert api.published.messages == {}
    assert api.client.put("/api/stores/s1/profile", json={"timezone": None, "hours": []}).status_code == 202


def test_deleting_a_profile_a_store_does_not_have_is_404_and_publishes_nothing(api: Api) -> None:
    assert api.client.delete("/api/stores/never-seen/profile").status_code == 404
    api.stores.bodies["profile:pinged"] = HELD_PROFILE.replace(b'"is_default":false', b'"is_default":true')
    refused = api.client.delete("/api/stores/pinged/profile")
    assert refused.status_code == 404 and "no profile" in refused.json()["detail"]
    assert api.published.messages == {}


def test_store_ids_are_trimmed_at_every_door(api: Api) -> None:
    api.stores.bodies["pad"] = b'{"store_id":"pad"}'
    api.stores.bodies["profile:pad"] = HELD_PROFILE
    assert api.client.get("/api/stores/%20pad%20").json() == {"store_id": "pad"}
    assert api.client.get("/api/stores/%20pad/profile").status_code == 200
    assert api.client.post("/api/stores/pad%20/ping").status_code == 200
    hours: dict[str, object] = {"timezone": None, "hours": []}
    assert api.client.put("/api/stores/%09pad%20/profile", json=hours).status_code == 202
    assert api.client.delete("/api/stores/%20pad%20/profile").status_code == 202
    assert [key for key, _ in api.published.messages["t-profiles"]] == ["pad", "pad"]
    assert list(published_pings(api)) == ["pad"]
    for bad in ("%20%20", "8.14E%2B18", "a%E2%80%8Bb%00"):
        refused = api.client.get(f"/api/stores/{bad}/profile")
        assert refused.status_code == 422, bad
