"""Gathering every partition's rows: coverage checked, retried while partitions move, rows travel."""

from __future__ import annotations

import json

import pytest
from fastapi.encoders import jsonable_encoder

from api.errors import OutsideHorizon, PartitionsMoving
from api.services.gathering import (
    IncompleteCoverage,
    fleet_row,
    fleet_row_fields,
    placed_fields,
    placed_outage,
)
from streams.engine import CSV_HEADER, HOUR, WEEK
from streams.engine.outages import Outage
from streams.gathering import FleetRow, PlacedOutage
from tests.api.fakes import FakeWorker
from tests.api.services.group import AS_OF, LAST, LINE, ROW, run, worker

OUTAGE = Outage("s1", LAST - 3 * HOUR, LAST, False, LAST - 3 * HOUR, 3 * HOUR)


def test_instants_far_from_the_watermark_are_refused_before_any_work() -> None:
    far = AS_OF + WEEK + 1
    for call in (
        lambda g: g.gathering.here(g.gathering.worker.report_part, far),
        lambda g: g.gathering.here(g.gathering.worker.outages_part, far),
        lambda g: g.gathering.here(g.gathering.worker.fleet_part, far),
        lambda g: g.gathering.report_csv(far),
        lambda g: g.gathering.outages(far),
        lambda g: g.gathering.fleet(far),
    ):
        with pytest.raises(OutsideHorizon):
            run(worker(), call)
    held = worker()
    assert run(held, lambda g: g.gathering.here(held.report_part, AS_OF + WEEK)) == (
        frozenset({0, 1}),
        [LINE],
    )


def test_a_report_needs_every_partition_exactly_once() -> None:
    assert run(worker(), lambda g: g.gathering.report_csv(AS_OF)) == (",".join(CSV_HEADER) + "\n" + LINE, 1)
    half = worker()
    half.partitions = frozenset({1})
    with pytest.raises(IncompleteCoverage, match=r"\[1\] do not cover 0..1"):
        run(half, lambda g: g.gathering.report_csv(AS_OF, 0))


def test_outages_of_every_partition_are_gathered_and_a_store_held_twice_is_refused() -> None:
    held = worker()
    held.outages = [OUTAGE]
    assert run(held, lambda g: g.gathering.outages(AS_OF)) == [PlacedOutage(OUTAGE, "America/Chicago")]
    half = worker()
    half.partitions = frozenset({0})
    with pytest.raises(IncompleteCoverage, match=r"\[0\] do not cover 0..1"):
        run(half, lambda g: g.gathering.outages(AS_OF, 0))


def test_rows_survive_the_trip_between_workers() -> None:
    """What a peer's internal route sends, read back as the gathering does."""
    row = FleetRow(ROW, True, LAST, False, "America/New_York", "c" * 20 + "usdn")
    sent = json.loads(json.dumps(jsonable_encoder([fleet_row_fields(row)])))
    assert [fleet_row(fields) for fields in sent] == [row]
    placed = PlacedOutage(OUTAGE, "America/New_York")
    sent = json.loads(json.dumps(jsonable_encoder([placed_fields(placed)])))
    assert [placed_outage(fields) for fields in sent] == [placed]


def test_a_worker_whose_partitions_are_still_recovering_gives_no_part_and_the_gathering_retries() -> None:
    """After a rebalance a worker names its new partitions before their tables are filled: its rows
    then would silently lack their stores."""
    recovering = worker()
    recovering.is_settled = False
    with pytest.raises(PartitionsMoving):
        run(recovering, lambda g: g.gathering.here(recovering.report_part, AS_OF))
    with pytest.raises(PartitionsMoving):
        run(recovering, lambda g: g.gathering.here(recovering.outages_part, AS_OF))
    with pytest.raises(PartitionsMoving):
        run(recovering, lambda g: g.gathering.here(recovering.fleet_part, AS_OF))
    with pytest.raises(PartitionsMoving):
        run(recovering, lambda g: g.gathering.report_csv(AS_OF, 2.5))  # retried once, then given up


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
        run(survivor, lambda g: g.gathering.fleet(AS_OF, 2.5))  # two tries 1 s apart; the next after 3 s
    assert survivor.checks == 2
    assert run(survivor, lambda g: g.gathering.report_csv(AS_OF)) == (",".join(CSV_HEADER) + "\n" + LINE, 1)
    assert survivor.checks == 4
