"""The worker's Faust transport: aiokafka's, with the consumer, its fetching thread and the producer
that commit and fetch as ``commits`` and ``fetching`` say.

Faust makes its consumer and producer from ``Transport.Consumer`` and ``Transport.create_producer``,
and the consumer makes its fetching thread in ``_new_consumer_thread``: subclasses there change the
behaviour once, when each is made, rather than by replacing methods on live objects. The app is given
the transport through its ``transport`` property (``streams.app.create_app``).
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any, cast

from faust.transport.drivers import aiokafka as driver
from faust.types import TP, AppT

from streams.faust_internals.commits import Deliveries, flush_delivered, next_position
from streams.faust_internals.fetching import DeliverablePartitions


class WorkerConsumerThread(driver.AIOKafkaConsumerThread):
    """Takes fetched records from aiokafka for ``DeliverablePartitions`` only."""

    async def _fetch_records(
        self,
        consumer: Any,
        active_partitions: Set[TP] | None,
        timeout: float | None = None,
        max_records: int | None = None,
    ) -> Any:
        partitions: Any = None  # a client-only app's: every partition
        if active_partitions is not None:
            buffered = cast(Any, self.consumer)._buffered_partitions
            partitions = DeliverablePartitions(
                active_partitions, buffered, self._is_changelog, self._rebalancing
            )
        return await super()._fetch_records(consumer, partitions, timeout=timeout, max_records=max_records)

    def _is_changelog(self, tp: TP) -> bool:
        return bool(cast(Any, self.consumer)._is_changelog_tp(tp))

    def _rebalancing(self) -> bool:
        return bool(self.app.rebalancing)


class WorkerConsumer(driver.Consumer):
    """Commits the first offset not finished, computed from the set of finished offsets."""

    def _new_consumer_thread(self) -> WorkerConsumerThread:
        return WorkerConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def _new_offset(self, tp: TP) -> int | None:
        acked: list[int] = self._acked[tp]
        gaps = self._gap[tp]
        position = next_position(self._committed_offset[tp], acked, ((gap.begin, gap.end) for gap in gaps))
        if position is None:
            return None
        finished = [offset for offset in acked if offset < position]
        acked[:] = sorted({offset for offset in acked if offset >= position})
        self._acked_index[tp].difference_update(finished)
        gaps.chop(0, position)
        return position


class WorkerProducer(driver.Producer):
    """Counts a record delivered only once the broker acknowledged it: a flush (which Faust awaits
    before each commit) returns once every record sent before it is acknowledged."""

    def __init__(self, transport: Any, *, deliveries: Deliveries, **kwargs: Any) -> None:
        super().__init__(transport, **kwargs)
        self.deliveries = deliveries

    def send_soon(self, fut: Any) -> None:
        self.deliveries.track(fut)
        super().send_soon(fut)

    async def flush(self) -> None:
        await flush_delivered(super().flush, self.deliveries)


class WorkerTransport(driver.Transport):
    """aiokafka's transport, making the consumer and producer above."""

    Consumer = WorkerConsumer
    Producer = WorkerProducer

    def __init__(self, url: Any, app: AppT, *, deliveries: Deliveries) -> None:
        super().__init__(url, app)
        self.deliveries = deliveries

    def create_producer(self, **kwargs: Any) -> WorkerProducer:
        return WorkerProducer(self, deliveries=self.deliveries, **kwargs)
