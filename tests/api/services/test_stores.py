"""Answers about one store over a fake worker: wherever the store is held, at the group's watermark."""

from __future__ import annotations

import json

import pytest

from api.errors import OutsideHorizon, PartitionsMoving, PeerUnreachable, UnknownStore
from streams.engine import DAY, HOUR, MINUTE, WEEK, StoreProfile, StoreState
from tests.api.fakes import FakeWorker
from tests.api.services.group import AS_OF, CLOSED_PORT, LAST, ROW, run, worker


def test_a_store_held_here_is_answered_at_the_group_watermark() -> None:
    body = json.loads(run(worker(), lambda g: g.stores.lookup("s1")))
    assert body == {
        "store_id": "s1",
        "as_of": "2023-01-23T21:30:00Z",
        "status": "active",
        "standing": "silent",  # open, and its last ping 2.5 hours old: as the fleet counts it
        "open_now": True,
        "last_ping": "2023-01-23T19:00:00Z",
        "silent_since": None,
        **{name: value for name, value in ROW._asdict().items() if name != "store_id"},
    }


def test_lookup_failures_are_domain_errors() -> None:
    with pytest.raises(UnknownStore):
        run(worker(), lambda g: g.stores.lookup("s2"))
    with pytest.raises(UnknownStore):
        run(FakeWorker(latest=None), lambda g: g.stores.lookup("s1"))  # nothing processed yet
    with pytest.raises(UnknownStore):
        run(worker(), lambda g: g.stores.lookup_here("s1", LAST - HOUR))  # no ping by then
    with pytest.raises(OutsideHorizon, match="lies outside"):
        run(worker(), lambda g: g.stores.lookup_here("s1", AS_OF + WEEK + 1))
    with pytest.raises(PartitionsMoving):
        run(FakeWorker(latest=AS_OF, owner=None), lambda g: g.stores.lookup("s1"))
    with pytest.raises(PeerUnreachable, match=r"127\.0\.0\.1:9"):
        run(FakeWorker(latest=AS_OF, owner=CLOSED_PORT), lambda g: g.stores.lookup("s1"))


def test_a_stores_outages_are_answered_where_it_is_held_with_local_times() -> None:
    held = worker()
    held.profiles["s1"] = new_york = StoreProfile("America/New_York")
    pings = [(LAST - 4 * HOUR, True), (LAST - 3 * HOUR, False), (LAST, True)]
    held.states["s1"] = StoreState.from_pings(pings, new_york)
    body = json.loads(run(held, lambda g: g.stores.outages("s1", None)))
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
        run(held, lambda g: g.stores.outages("s2", None))
    with pytest.raises(OutsideHorizon):
        run(held, lambda g: g.stores.outages_here("s1", AS_OF + 2 * WEEK))


def test_a_stores_profile_is_its_own_or_the_default() -> None:
    held = worker()
    held.profiles["s1"] = StoreProfile("America/New_York")
    assert json.loads(run(held, lambda g: g.stores.profile("s1")))["timezone"] == "America/New_York"
    held.states["s3"] = StoreState.from_pings([(LAST, True)], held.profiles["s1"])
    default = json.loads(run(held, lambda g: g.stores.profile("s3")))
    assert default["is_default"] is True and default["store_id"] == "s3"
    assert "s1" not in held.states  # a profile set before any ping makes the store known
    with pytest.raises(UnknownStore):  # neither pings nor a profile: its lookup is 404 too
        run(held, lambda g: g.stores.profile("s2"))


def test_a_stores_history_is_answered_where_it_is_held_in_its_local_dates() -> None:
    held = worker()
    held.profiles["s1"] = new_york = StoreProfile("America/New_York")
    pings = [(LAST - 4 * HOUR, True), (LAST - 3 * HOUR, False), (LAST, True)]
    held.states["s1"] = StoreState.from_pings(pings, new_york)
    body = json.loads(run(held, lambda g: g.stores.history("s1", 30)))
    # as_of 21:30 UTC is 16:30 in New York: the date's 990 minutes, three hours of them down.
    assert body == {
        "store_id": "s1",
        "timezone": "America/New_York",
        "as_of": "2023-01-23T21:30:00Z",
        "days": [
            {
                "date": "2023-01-23",
                "business_minutes": 990.0,
                "uptime_minutes": 810.0,
                "downtime_minutes": 180.0,
                "closed": False,
            }
        ],
    }
    with pytest.raises(UnknownStore):
        run(held, lambda g: g.stores.history("s2", 30))


def test_history_sums_are_asked_where_held_leaving_out_stores_whose_holder_cannot_answer() -> None:
    held = worker()
    held.profiles["s1"] = new_york = StoreProfile("America/New_York")
    held.states["s1"] = StoreState.from_pings([(LAST - 4 * HOUR, True), (LAST - 3 * HOUR, False)], new_york)
    held.profiles["s3"] = new_york
    held.states["s3"] = StoreState.from_pings([(LAST - 2 * DAY, True)], new_york)
    # Open all day. s1: 23 January's 990 minutes through 16:30, up until its 11:00 ping said down.
    # s3: from 21 January, its first ping's date: two whole dates and the 23rd's 990 minutes, all up.
    s3_minutes = 2 * 1_440 + 990
    expected = {"s1": (1, 990 * MINUTE, 660 * MINUTE), "s3": (3, s3_minutes * MINUTE, s3_minutes * MINUTE)}
    sums = run(held, lambda g: g.stores.history_sums(["s3", "s1", "s2"], AS_OF, 30))
    assert sums == expected  # s2 is known nowhere
    assert run(held, lambda g: g.stores.history_sums(["s1"], AS_OF, 30)) == {"s1": expected["s1"]}
    assert run(held, lambda g: g.stores.history_sums([], AS_OF, 30)) == {}
    moving = FakeWorker(latest=AS_OF, owner=None, states=held.states, profiles=held.profiles)
    assert run(moving, lambda g: g.stores.history_sums(["s1"], AS_OF, 30)) == {}
    away = FakeWorker(latest=AS_OF, owner=CLOSED_PORT, states=held.states, profiles=held.profiles)
    assert run(away, lambda g: g.stores.history_sums(["s1", "s3"], AS_OF, 30)) == {}
