"""The watermark follows the partitions a worker holds: recovered ones count once their tables settle."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge

from streams.engine import DEFAULT_PROFILE, HOUR, StoreState
from streams.progress import AfterRebalance, Watermark


def encoded(latest: int) -> bytes:
    return StoreState.from_pings([(latest - HOUR, True), (latest, False)], DEFAULT_PROFILE).encode()


def test_partitions_gained_in_a_rebalance_are_scanned_once_settled() -> None:
    stored = {0: [encoded(5 * HOUR)], 1: [encoded(9 * HOUR)]}
    held, generation, settled = {0}, [1], [False]
    registry = CollectorRegistry()
    gauge = Gauge("w", "w", registry=registry)
    rebalanced = AfterRebalance(lambda: generation[0], lambda: settled[0])
    watermark = Watermark(gauge, lambda: [raw for p in held for raw in stored[p]], rebalanced)
    assert watermark.value() is None  # recovering: nothing to trust yet
    watermark.saw(2 * HOUR)  # an agent processed a ping meanwhile
    settled[0] = True
    assert watermark.value() == 5 * HOUR
    stored[0].append(encoded(7 * HOUR))  # written by the agents, who also report it
    watermark.saw(7 * HOUR)
    assert watermark.value() == 7 * HOUR
    held.add(1)  # a peer died: its partition is recovered here in a rebalance
    generation[0] += 1
    assert watermark.value() == 9 * HOUR
    assert registry.get_sample_value("w") == 9 * HOUR / 1_000_000
