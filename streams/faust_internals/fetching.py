"""Records are taken from aiokafka's fetch buffer only for partitions Faust will deliver them from.

Faust's fetcher hands aiokafka its live set of active partitions, and aiokafka's ``fetched_records``
returns the buffered records of those partitions only, *or of every partition when the set is
empty*. Faust empties that set while a table recovery ends (the changelog partitions paused, the
sources not resumed yet); a fetch in flight then returned the first batch of every source partition,
and Faust dropped them as not active. Its repair, seeking each partition back to its committed
offset, skips partitions without one, so after a failover whose dead worker had not committed yet
the survivor never read the profiles partitions it took over (488 and 475 records, their committed
offsets stuck at none). The same can happen in the moment after an assignment, before Faust pauses
the new partitions for recovery, and to changelog records taken while a recovery has sought its
partitions but not resumed them yet (the recovery then waits for records it will never receive).

A record dropped because a rebalance began is read again anyway: the new assignment sets every
fetch position anew, from the committed offset or, without one, from the start. So here aiokafka is
given a set that is never empty and holds a source partition only while it is active (or, with
none active, held back for a full buffer) and no rebalance is under way (``App.rebalancing``, from
the revocation until the recovery has resumed and sought the sources); changelog partitions, which
the recovery itself reads, only need to be active.

The worker's consumer thread (``transport.ConsumerThread``) fetches with these;
``tests/integration/test_fetching.py`` checks them against aiokafka and a real broker.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from typing import cast

from faust.types import TP


class DeliverablePartitions:
    """The partitions whose fetched records would be delivered, asked at the moment they are taken.

    Faust delivers the records of its active partitions and of those it took out of that set because
    an agent's buffer was full. It hands aiokafka the active ones; when none was, aiokafka took every
    partition, which kept a backed-up worker fed from the held-back ones. Both stay as they were."""

    def __init__(
        self,
        active: Set[TP],
        buffered: Set[TP],
        is_changelog: Callable[[TP], bool],
        rebalancing: Callable[[], bool],
    ) -> None:
        self.active = active  # Faust's own sets, changed as it pauses and resumes partitions
        self.buffered = buffered
        self.is_changelog = is_changelog
        self.rebalancing = rebalancing

    def __bool__(self) -> bool:
        return True  # aiokafka takes an empty set for every partition

    def __contains__(self, tp: object) -> bool:
        # aiokafka asks with its own TopicPartition, a (topic, partition) tuple like Faust's TP.
        taken = self.active or self.buffered
        return tp in taken and (not self.rebalancing() or self.is_changelog(cast(TP, tp)))
