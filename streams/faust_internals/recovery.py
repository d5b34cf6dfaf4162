"""A table recovery that stalls is started again.

After a failover the survivor restores the dead worker's partitions from their changelogs before it
serves them. faust-streaming's recovery can stall with records left to read: seen once in a
two-worker failover, where the survivor received no changelog record at all for the 90 s the test
waited, and stayed not ready. Faust then only logs "No event received for active tp". Asking its
recovery to start over (what a new rebalance does) builds its highwaters and offsets again, seeks,
resumes the partitions and makes sure the fetcher runs. A likely cause, changelog records taken from
partitions not yet resumed and then dropped, is gone (``fetching``); the watch stays for any other.

This reads and sets faust-streaming's recovery internals (listed in ``streams.faust_internals``).
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import Any

from faust.types import TP

log = logging.getLogger(__name__)

# Seconds without a changelog record for a partition that still has records to restore. Faust reads
# thousands of records a second while it recovers; a partition it received nothing for this long is
# stalled (Faust itself warns after 30 s).
STALL = 30.0


def stalled_partitions(recovery: Any, now: float) -> list[TP]:
    """Changelog partitions ``recovery`` (Faust's) still has records to restore of, but has received
    none of for ``STALL`` seconds, since it started or since the last."""
    started = recovery._recovery_started_at
    if not recovery.in_recovery or started is None:
        return []
    received = recovery._active_events_received_at
    return sorted(
        tp
        for tp, left in recovery.active_remaining().items()
        if left > 0 and now - received.get(tp, started) >= STALL
    )


def restart_if_stalled(recovery: Any, now: float | None = None) -> list[TP]:
    """Start ``recovery`` over when it has stalled; the partitions it had stalled on (none: left alone)."""
    stalled = stalled_partitions(recovery, monotonic() if now is None else now)
    if stalled:
        log.warning(
            "table recovery received nothing for %.0f s with records left on %s; starting it again",
            STALL,
            ", ".join(f"{tp.topic}[{tp.partition}]" for tp in stalled),
        )
        recovery.signal_recovery_start.set()
    return stalled
