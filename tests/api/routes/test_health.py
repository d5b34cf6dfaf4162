"""Liveness, readiness, metrics and the bearer token, in process."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from api.routes import events, fleet, ingest, internal, outages, public, reports, silences, stores, worker
from tests.api.routes.conftest import TOKEN, Api
from tests.helpers import secured_calls


def test_readiness_follows_the_worker(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json() == {"status": "ready"}
    api.worker.is_ready = False
    not_ready = api.client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json() == {"status": "recovering"}
    assert api.client.get("/healthz").status_code == 200
    api.worker.progress.crashed["ingest-pings"] = "RuntimeError: disk full"
    crashed = api.client.get("/readyz")
    assert crashed.status_code == 503
    assert crashed.json() == {"status": "agent crashed", "detail": "ingest-pings: RuntimeError: disk full"}
    api.worker.kafka_unreachable = "cannot reach Kafka at 127.0.0.1:9 over PLAINTEXT"
    away = api.client.get("/readyz")
    assert away.status_code == 503
    assert away.json() == {"status": "Kafka unreachable", "detail": api.worker.kafka_unreachable}


def test_metrics_serve_the_registry_with_fresh_lag(api: Api) -> None:
    text = api.client.get("/metrics").text
    assert "storemon_test_events_total 1.0" in text
    assert api.worker.lag_updates == 1


def test_worker_status_reports_progress(api: Api) -> None:
    api.worker.progress.advance("pings", 3, 41)
    api.worker.progress.outcomes["added"] += 7
    api.worker.latest = 99
    assert api.client.get("/api/worker/status").json() == {
        "ready": True,
        "next_offsets": {"pings": {"3": 42}},
        "outcomes": {"added": 7},
        "crashed_agents": {},
        "watermark_us": 99,
    }


def test_every_api_route_needs_the_token_and_only_those(secured: Api) -> None:
    client = secured.client
    calls = secured_calls()
    # Read whole: every route each router declares is there.
    declared = {
        (method, re.sub(r"\{[^}]+\}", "1", route.path))
        for module in (events, fleet, ingest, internal, outages, public, reports, silences, stores, worker)
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert set(calls) == declared
    for method, path in calls:
        assert client.request(method, path).status_code == 401, path
        assert client.request(method, path, headers={"Authorization": "Bearer nope"}).status_code == 401, path
    for method, path in [
        ("POST", "/api/trigger_report"),
        ("GET", "/api/stores/1"),
        ("GET", "/api/worker/status"),
    ]:
        assert client.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code != 401
    for open_path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert client.get(open_path).status_code == 200, open_path
    scheme = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert scheme == {"BearerToken": {"type": "http", "scheme": "bearer"}}


def test_without_a_token_the_api_is_open(api: Api) -> None:
    assert api.client.get("/api/worker/status").status_code == 200
