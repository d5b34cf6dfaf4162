"""The group's peers: the watermark gathered from every worker, and instants checked against it."""

from __future__ import annotations

import pytest

from api.errors import OutsideHorizon, PeerUnreachable
from streams.engine import DEFAULT_RETENTION, WEEK
from streams.engine.instants import ClockMode, wall_clock
from tests.api.fakes import FakeWorker
from tests.api.services.group import AS_OF, CLOSED_PORT, run, worker


def test_an_unreachable_peer_fails_the_watermark_as_a_domain_error() -> None:
    with pytest.raises(PeerUnreachable):
        run(
            FakeWorker(latest=AS_OF, peers=["http://127.0.0.1:1", CLOSED_PORT]), lambda g: g.peers.watermark()
        )


def test_alone_the_groups_watermark_is_this_workers() -> None:
    assert run(worker(), lambda g: g.peers.watermark()) == AS_OF
    assert run(worker(), lambda g: g.peers.cached_watermark()) == AS_OF


def test_instants_far_from_the_watermark_are_refused() -> None:
    def check(instant: int) -> None:
        run(worker(), lambda g: g.peers.check_instant(instant))

    for far in (AS_OF + WEEK + 1, AS_OF - DEFAULT_RETENTION - 1, 10**17):
        with pytest.raises(OutsideHorizon, match="lies outside"):
            check(far)
    for near in (AS_OF + WEEK, AS_OF - DEFAULT_RETENTION):
        check(near)


def test_now_is_the_watermark_on_the_event_clock_and_the_present_on_the_wall_clock() -> None:
    assert run(worker(), lambda g: g.peers.now()) == AS_OF
    assert run(worker(), lambda g: g.peers.cached_now()) == AS_OF
    before = wall_clock()
    assert before <= run(worker(), lambda g: g.peers.now(), ClockMode.WALL) <= wall_clock()
    assert before <= run(worker(), lambda g: g.peers.cached_now(), ClockMode.WALL) <= wall_clock()
    assert run(FakeWorker(latest=None), lambda g: g.peers.now(), ClockMode.WALL) is None


def test_on_the_wall_clock_instants_up_to_a_week_after_the_present_are_answered() -> None:
    late = wall_clock() + WEEK - 60 * 1_000_000
    run(worker(), lambda g: g.peers.check_instant(late), ClockMode.WALL)
    with pytest.raises(OutsideHorizon, match="lies outside"):
        run(worker(), lambda g: g.peers.check_instant(late))
    with pytest.raises(OutsideHorizon, match="lies outside"):
        run(worker(), lambda g: g.peers.check_instant(AS_OF - DEFAULT_RETENTION - 1), ClockMode.WALL)


def test_the_moment_is_now_with_a_state_version_that_moves_with_every_message_processed() -> None:
    one = worker()
    first = run(one, lambda g: g.peers.moment())
    assert first.instant == AS_OF and run(one, lambda g: g.peers.moment()) == first
    one.progress.advance("pings", 0, 41)  # the watermark stays: a late ping, or a profile
    second = run(one, lambda g: g.peers.moment())
    assert second.instant == AS_OF and second.version != first.version
    assert run(FakeWorker(latest=None), lambda g: g.peers.moment()) is None
