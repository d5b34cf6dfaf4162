"""The cluster service over a fake worker: lookups wherever the store is, and gathering every partition."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder

from api.errors import OutsideHorizon, PartitionsMoving, PeerUnreachable, UnknownStore
from api.services.cluster import Cluster, IncompleteCoverage, _fleet_row
from streams.engine import (
    CSV_HEADER,
    DEFAULT_RETENTION,
    HOUR,
    WEEK,
    StoreProfile,
    StoreState,
    StoreStatus,
    UptimeRow,
)
from streams.engine.outages import Outage
from streams.gathering import FleetRow, PlacedOutage
from tests.api.fakes import FakeWorker, InlineSide
from tests.helpers import instant

ROW = UptimeRow("s1", 60.0, 5.0, 5.5, 0.0, 2.5, 2.5)
LAST = instant("2023-01-23T19:00:00")
AS_OF = instant("2023-01-23T21:30:00")
CLOSED_PORT = "http://127.0.0.1:9"  # discard: nothing listens there


def run(worker: FakeWorker, call: str, *args: object) -> Any:
    async def scenario() -> Any:
        cluster = Cluster(worker, InlineSide(), partitions=2)
        try:
            return await getattr(cluster, call)(*args)
        finally:
            await cluster.close()

    return asyncio.run(scenario())


def worker() -> FakeWorker:
    return FakeWorker(stores={"s1": StoreStatus(ROW, True, LAST)}, latest=AS_OF, partitions=frozenset({0, 1}))


def test_a_store_held_here_is_answered_at_the_group_watermark() -> None:
    body = json.loads(run(worker(), "lookup", "s1"))
    assert body == {
        "store_id": "s1",
        "as_of": "2023-01-23T21:30:00Z",
        "status": "active",
        "last_ping": "2023-01-23T19:00:00Z",
        **{name: value for name, value in ROW._asdict().items() if name != "store_id"},
    }


def test_lookup_failures_are_domain_errors() -> None:
    with pytest.raises(UnknownStore):
        run(worker(), "lookup", "s2")
    with pytest.raises(UnknownStore):
        run(FakeWorker(latest=None), "lookup", "s1")  # nothing processed yet
    with pytest.raises(UnknownStore):
        run(worker(), "lookup_here", "s1", LAST - HOUR)  # no ping by then
    with pytest.raises(PartitionsMoving):
        run(FakeWorker(latest=AS_OF, owner=None), "lookup", "s1")
    with pytest.raises(PeerUnreachable, match=r"127\.0\.0\.1:9"):
        run(FakeWorker(latest=AS_OF, owner=CLOSED_PORT), "lookup", "s1")


def test_instants_far_from_the_watermark_are_refused_before_any_work() -> None:
    for far in (AS_OF + WEEK + 1, AS_OF - DEFAULT_RETENTION - 1, 10**17):
        with pytest.raises(OutsideHorizon, match="too far from the watermark"):
            run(worker(), "lookup_here", "s1", far)
        for call in (
            "report_part_here",
            "outages_part_here",
            "fleet_part_here",
            "report_csv",
            "outages",
            "fleet",
        ):
            with pytest.raises(OutsideHorizon):
                run(worker(), call, far)
    assert run(worker(), "report_part_here", AS_OF + WEEK) == (frozenset({0, 1}), [LINE])


LINE = "s1,60.0,5.0,5.5,0.0,2.5,2.5\n"  # ROW as the report's CSV has it


def test_a_report_needs_every_partition_exactly_once() -> None:
    assert run(worker(), "report_csv", AS_OF) == (",".join(CSV_HEADER) + "\n" + LINE, 1)
    half = worker()
    half.partitions = frozenset({1})
    with pytest.raises(IncompleteCoverage, match=r"\[1\] do not cover 0..1"):
        run(half, "report_csv", AS_OF, 0)


def test_an_unreachable_peer_fails_the_watermark_as_a_domain_error() -> None:
    with pytest.raises(PeerUnreachable):
        run(FakeWorker(latest=AS_OF, peers=["http://127.0.0.1:1", CLOSED_PORT]), "watermark")


OUTAGE = Outage("s1", LAST - 3 * HOUR, LAST, False, LAST - 3 * HOUR, 3 * HOUR)


def test_outages_of_every_partition_are_gathered_and_a_store_held_twice_is_refused() -> None:
    held = worker()
    held.outages = [OUTAGE]
    assert run(held, "outages", AS_OF) == [PlacedOutage(OUTAGE, "America/Chicago")]
    half = worker()
    half.partitions = frozenset({0})
    with pytest.raises(IncompleteCoverage, match=r"\[0\] do not cover 0..1"):
        run(half, "outages", AS_OF, 0)


def test_a_stores_outages_are_answered_where_it_is_held_with_local_times() -> None:
    held = worker()
    held.profiles["s1"] = new_york = StoreProfile("America/New_York")
    pings = [(LAST - 4 * HOUR, True), (LAST - 3 * HOUR, False), (LAST, True)]
    held.states["s1"] = StoreState.from_pings(pings, new_york)
    body = json.loads(run(held, "store_outages", "s1", None))
    assert body["as_of"] == "2023-01-23T21:30:00Z"
    assert body["outages"] == [
        {
            "store_id": "s1",
            "started_at": "2023-01-23T16:00:00Z",
            "ended_at": "2023-01-23T19:00:00Z",
            "began_before_window": False,
            "business_started_at": "2023-01-23T16:00:00Z",
            "business_downtime_minutes": 180.0,
            "timezone": "America/New_York",
            "started_at_local": "2023-01-23T11:00:00-05:00",
            "ended_at_local": "2023-01-23T14:00:00-05:00",
            "business_started_at_local": "2023-01-23T11:00:00-05:00",
        }
    ]
    with pytest.raises(UnknownStore):
        run(held, "store_outages", "s2", None)
    with pytest.raises(OutsideHorizon):
        run(held, "store_outages_here", "s1", AS_OF + 2 * WEEK)


def test_a_fleet_row_survives_the_trip_between_workers() -> None:
    fleet_row = FleetRow(ROW, True, LAST, False, "America/New_York")
    sent = json.loads(json.dumps(jsonable_encoder([list(fleet_row)])))  # what /api/internal/fleet-part sends
    assert [_fleet_row(fields) for fields in sent] == [fleet_row]


def test_a_worker_whose_partitions_are_still_recovering_gives_no_part_and_the_gathering_retries() -> None:
    """After a rebalance a worker names its new partitions before their tables are filled: its rows
    then would silently lack their stores."""
    recovering = worker()
    recovering.is_settled = False
    for call in ("report_part_here", "outages_part_here", "fleet_part_here"):
        with pytest.raises(PartitionsMoving):
            run(recovering, call, AS_OF)
    with pytest.raises(PartitionsMoving):
        run(recovering, "report_csv", AS_OF, 2.5)  # retried once, then given up


class SettlesLater(FakeWorker):
    """Still recovering for its first ``moving`` checks, as a survivor is after a failover."""

    moving = 3
    checks = 0

    @property
    def settled(self) -> bool:
        self.checks += 1
        return self.checks > self.moving


def test_a_report_waits_out_a_rebalance_longer_than_a_listing_would() -> None:
    survivor = SettlesLater(stores=worker().stores, latest=AS_OF, partitions=frozenset({0, 1}))
    with pytest.raises(PartitionsMoving):
        run(survivor, "fleet", AS_OF, 2.5)  # two tries: 1 s apart, the next would come after 3 s
    assert survivor.checks == 2
    assert run(survivor, "report_csv", AS_OF) == (",".join(CSV_HEADER) + "\n" + LINE, 1)
    assert survivor.checks == 4
