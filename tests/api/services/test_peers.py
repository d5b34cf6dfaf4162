"""The group's peers: the watermark gathered from every worker, and instants checked against it."""

from __future__ import annotations

import pytest

from api.errors import OutsideHorizon, PeerUnreachable
from streams.engine import DEFAULT_RETENTION, WEEK
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
        with pytest.raises(OutsideHorizon, match="too far from the watermark"):
            check(far)
    for near in (AS_OF + WEEK, AS_OF - DEFAULT_RETENTION):
        check(near)
