"""A stalled table recovery is started again; checked on the pinned faust-streaming's own Recovery."""

from __future__ import annotations

import asyncio
import math
from typing import Any, cast

from faust.types import TP

from streams.faust_internals.recovery import STALL, restart_if_stalled, stalled_partitions
from streams.worker import StreamWorker

STATES, PROFILES = TP("agents-store-states-changelog", 2), TP("agents-store-profiles-changelog", 2)


def recovering(stream_worker: StreamWorker) -> tuple[Any, float]:
    """The worker's Faust recovery, started as a rebalance starts it, with records left on two
    partitions; and the instant it started."""
    recovery: Any = cast(Any, stream_worker.app.tables).recovery
    recovery._set_recovery_started()
    # Moved back to a whole second: the instants the tests add to it are then exact in floating point,
    # where ``started + STALL - started`` can otherwise come out a hair under ``STALL``.
    recovery._recovery_started_at = float(math.floor(recovery._recovery_started_at))
    recovery.active_highwaters.update({STATES: 40, PROFILES: 9})
    recovery.active_offsets.update({STATES: 3, PROFILES: -1})
    return recovery, recovery._recovery_started_at


def test_a_partition_with_records_left_and_none_received_for_a_while_is_stalled(
    stream_worker: StreamWorker,
) -> None:
    recovery, started = recovering(stream_worker)
    assert stalled_partitions(recovery, started + STALL - 1) == []
    assert stalled_partitions(recovery, started + STALL) == [PROFILES, STATES]
    recovery._active_events_received_at[STATES] = started + 20
    assert stalled_partitions(recovery, started + STALL) == [PROFILES]
    assert stalled_partitions(recovery, started + 20 + STALL) == [PROFILES, STATES]
    recovery.active_offsets[PROFILES] = 9  # all read
    assert stalled_partitions(recovery, started + 20 + STALL) == [STATES]
    recovery._set_recovery_ended()
    assert stalled_partitions(recovery, started + 1_000) == []


def test_a_stalled_recovery_is_started_again_and_counted(stream_worker: StreamWorker) -> None:
    recovery, started = recovering(stream_worker)
    assert restart_if_stalled(recovery, started + 1) == []
    assert not recovery.signal_recovery_start.is_set()
    assert restart_if_stalled(recovery, started + STALL) == [PROFILES, STATES]
    assert recovery.signal_recovery_start.is_set()
    recovery.signal_recovery_start.clear()
    recovery._recovery_started_at -= STALL
    counted = stream_worker.metrics.recoveries_restarted
    before = counted._value.get()
    asyncio.run(stream_worker.restart_stalled_recovery())
    assert counted._value.get() == before + 1
    assert recovery.signal_recovery_start.is_set()
