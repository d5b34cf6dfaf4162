"""``GET /api/stores/{id}`` and its internal twin: the service's answer, its errors as HTTP statuses."""

from __future__ import annotations

from api.errors import PartitionsMoving, PeerUnreachable
from tests.api.routes.conftest import Api


def test_a_lookup_answers_the_services_body_as_json(api: Api) -> None:
    api.lookups.bodies["s1"] = b'{"store_id":"s1"}'
    response = api.client.get("/api/stores/s1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"store_id": "s1"}


def test_unknown_store_is_404(api: Api) -> None:
    response = api.client.get("/api/stores/nope")
    assert response.status_code == 404 and response.json() == {"detail": "unknown store"}


def test_moving_partitions_and_unreachable_peers_are_503_with_a_retry_hint(api: Api) -> None:
    for failure in (PartitionsMoving(), PeerUnreachable("http://127.0.0.1:2", "connection refused")):
        api.lookups.failure = failure
        response = api.client.get("/api/stores/s1")
        assert response.status_code == 503, failure
        assert response.headers["retry-after"] == "1"
        assert response.json()["detail"] == str(failure)


def test_over_long_ids_are_422(api: Api) -> None:
    assert api.client.get("/api/stores/" + "x" * 129).status_code == 422


def test_the_internal_lookup_passes_its_instant_to_the_service(api: Api) -> None:
    api.lookups.bodies["s1"] = b"{}"
    assert api.client.get("/api/internal/stores/s1", params={"as_of_us": 5}).status_code == 200
    assert api.client.get("/api/internal/stores/s1", params={"as_of_us": "soon"}).status_code == 422
    assert api.client.get("/api/internal/stores/s1").status_code == 422
