"""``GET /api/stores/{id}`` and its internal twin: the service's answer, its errors as HTTP statuses."""

from __future__ import annotations

from api.errors import OutsideHorizon, PartitionsMoving, PeerUnreachable
from streams.engine.units import LATEST
from tests.api.routes.conftest import Api


def test_a_lookup_answers_the_services_body_as_json(api: Api) -> None:
    api.stores.bodies["s1"] = b'{"store_id":"s1"}'
    response = api.client.get("/api/stores/s1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"store_id": "s1"}


def test_unknown_store_is_404(api: Api) -> None:
    response = api.client.get("/api/stores/nope")
    assert response.status_code == 404 and response.json() == {"detail": "unknown store"}


def test_moving_partitions_and_unreachable_peers_are_503_with_a_retry_hint(api: Api) -> None:
    for failure in (PartitionsMoving(), PeerUnreachable("http://127.0.0.1:2", "connection refused")):
        api.stores.failure = failure
        response = api.client.get("/api/stores/s1")
        assert response.status_code == 503, failure
        assert response.headers["retry-after"] == "1"
        assert response.json()["detail"] == str(failure)


def test_over_long_ids_are_422(api: Api) -> None:
    assert api.client.get("/api/stores/" + "x" * 129).status_code == 422


def test_internal_routes_check_instants_before_the_service_sees_them(api: Api) -> None:
    api.stores.bodies["s1"] = b"{}"
    for path in ("/api/internal/stores/s1", "/api/internal/report-part"):
        assert api.client.get(path, params={"as_of_us": 5}).status_code == 200
        for bad in ("soon", -1, LATEST, 10**21):
            refused = api.client.get(path, params={"as_of_us": bad})
            assert refused.status_code == 422, (path, bad)
        assert api.client.get(path).status_code == 422
    assert api.stores.asked == [5] and api.gathering.asked == [5]
    api.gathering.failure = OutsideHorizon("as_of is too far from the watermark")
    assert api.client.get("/api/internal/report-part", params={"as_of_us": 5}).status_code == 422


def test_a_history_asks_for_its_days_within_bounds(api: Api) -> None:
    api.stores.bodies["history:s1:90"] = b'{"store_id":"s1","days":[]}'
    assert api.client.get("/api/stores/s1/history?days=90").json() == {"store_id": "s1", "days": []}
    assert api.client.get("/api/stores/s1/history").status_code == 404  # 30 days by default: not held
    for days in ("0", "3661", "x"):
        assert api.client.get(f"/api/stores/s1/history?days={days}").status_code == 422, days
    internal = api.client.get("/api/internal/stores/s1/history?as_of_us=1&days=90")
    assert internal.status_code == 200


def test_a_peer_asks_for_a_pages_history_sums_with_the_ids_in_its_body(api: Api) -> None:
    api.stores.sums = {"s1": (30, 600, 500), "s2": (2, 60, 0)}
    asked = api.client.post("/api/internal/history-sums?as_of_us=7&days=30", json=["s2", "nowhere"])
    assert asked.json() == {"sums": {"s2": [2, 60, 0]}} and api.stores.asked == [7]
    for query, body in (("as_of_us=7&days=30", ["x"] * 501), ("as_of_us=-1&days=30", []), ("days=30", [])):
        assert api.client.post(f"/api/internal/history-sums?{query}", json=body).status_code == 422, query
