"""The API in process, over fakes of its services: routes tested without a broker or a worker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter

from api.deps import Services
from api.main import create_api
from api.services.events import Events
from api.services.fleet import FleetView
from api.services.intake import Intake
from api.services.outages import OutageListing
from api.services.silences import SilenceListing
from streams.topics import Topics
from tests.api.fakes import (
    FakeFeed,
    FakeGathering,
    FakePublisher,
    FakeReports,
    FakeStoreAnswers,
    FakeWorker,
)

TOKEN = "route-test-token"
ACK_TIMEOUT = 0.2  # seconds live input waits for the (fake) broker's acknowledgement


@dataclass
class Api:
    client: TestClient
    worker: FakeWorker
    stores: FakeStoreAnswers
    reports: FakeReports
    registry: CollectorRegistry
    published: FakePublisher
    gathering: FakeGathering
    feed: FakeFeed
    fleet: FleetView
    outages: OutageListing
    silences: SilenceListing


def build(tmp_path: Path, token: str | None, public_status: bool = False) -> Iterator[Api]:
    worker, stores, reports = FakeWorker(), FakeStoreAnswers(), FakeReports(tmp_path)
    registry = CollectorRegistry()
    Counter("storemon_test_events", "a metric the fake registry holds", registry=registry).inc()
    published, gathering, feed = FakePublisher(), FakeGathering(), FakeFeed()
    intake = Intake(published, Topics.with_prefix("t"), registry, max_pings=100, timeout=ACK_TIMEOUT)
    events = Events(feed, heartbeat=0.01)
    fleet = FleetView(gathering, gathering.moment, worker, stores)
    outages = OutageListing(gathering, gathering.moment)
    silences = SilenceListing(gathering, gathering.moment)
    services = Services(
        worker,
        stores,
        gathering,
        reports,
        intake,
        outages,
        silences,
        events,
        fleet,
        registry,
        token,
        public_status,
    )
    with TestClient(create_api(services)) as client:
        yield Api(
            client, worker, stores, reports, registry, published, gathering, feed, fleet, outages, silences
        )


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from build(tmp_path, None)


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Api]:
    yield from build(tmp_path, TOKEN)


@pytest.fixture
def public(tmp_path: Path) -> Iterator[Api]:
    """A worker with a token whose stores' public status pages are public."""
    yield from build(tmp_path, TOKEN, public_status=True)
