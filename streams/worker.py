"""The stream side of one worker process, assembled: app, topics, tables, agents, and what it answers.

Each concern has its own module or package (``app``, ``topics``, ``state``, ``agents``, ``outages``,
``gathering``, ``metrics``, ``progress``, ``routing``); this class wires them together and is what the
API sees.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from collections.abc import Callable
from functools import partial
from itertools import chain
from typing import Any, TypeVar, cast

from aiokafka import TopicPartition

from connectors.kafka import end_offsets
from streams.agents import BACKLOG, Ingest, OutagePublishing
from streams.app import StreamsConfig, create_app
from streams.engine import StoreProfile, StoreState, StoreStatus, store_status
from streams.engine.history import HISTORY_MARGIN, DayFigures
from streams.engine.instants import present
from streams.faust_internals.commits import Deliveries
from streams.faust_internals.probe import KafkaWatch
from streams.faust_internals.recovery import restart_if_stalled
from streams.gathering import (
    DaySums,
    FleetRow,
    PlacedOutage,
    PlacedSilence,
    ReportProcesses,
    fleet_at,
    fleet_history_at,
    of_cut,
    outages_at,
    report_part_at,
    silences_at,
    summed,
    warm,
)
from streams.history import HistoryKeeping
from streams.metrics import StreamMetrics
from streams.outages.open_count import OpenOutages
from streams.progress import AfterRebalance, Progress, Watermark
from streams.routing import Routing
from streams.sender import RecordSender
from streams.silences.publishing import Silences
from streams.state.cut import Cut
from streams.state.tables import StoreTables, claim_local_format
from streams.topics import WorkerTopics

T = TypeVar("T")
log = logging.getLogger(__name__)


class StreamWorker:
    def __init__(self, config: StreamsConfig) -> None:
        self.config = config
        self.metrics = StreamMetrics()
        self.kafka = KafkaWatch(config.kafka)
        self.deliveries = Deliveries()
        self.app = create_app(config, self.deliveries)
        self.topics = WorkerTopics.declare(self.app, config.topics, config.partitions)
        claim_local_format(config.data_dir / "tables")
        kept = config.retention + (HISTORY_MARGIN if config.history_days else 0)
        self.tables = StoreTables(
            self.app, config.partitions, kept, self.metrics, self._fail, config.kafka, self.deliveries
        )
        self.history = (
            HistoryKeeping(config.retention, config.history_days, self.tables.frozen, self.tables.put_frozen)
            if config.history_days
            else None
        )
        self.fatal: str | None = None  # why the worker stops, when it must
        # How the process is asked to stop: the worker's command makes it shut the server down.
        self.stop_process: Callable[[], None] = lambda: None
        self.progress = Progress()
        self.routing = Routing(
            self.app,
            config.topics.pings,
            config.canonical_url,
            config.partitions,
            self.tables.states.changelog_topic.get_topic_name(),
        )
        self._watermark = Watermark(self.metrics.watermark, self.tables.encoded_states, self._rebalance())
        self.open_outages = OpenOutages(self.tables.encoded_items, self.tables.profile, self._rebalance())
        self.metrics.outages_open.set_function(self.open_outages.count)
        self.send_outage = RecordSender(config.kafka, config.topics.outages, self.deliveries)
        self.send_silence = RecordSender(config.kafka, config.topics.silences, self.deliveries)
        publishing = OutagePublishing(self.open_outages, self.send_outage) if config.outages else None
        self.silences = (
            Silences(
                self.tables, self.send_silence, config.silence, self.now, self.metrics, self._rebalance()
            )
            if config.outages
            else None
        )
        self.ingest = Ingest(
            self.app,
            self.topics,
            self.tables,
            self.progress,
            self._watermark,
            self.metrics,
            publishing,
            self.silences,
            config.guard,
            self.history,
        )
        self.side = ReportProcesses(config.report_processes)
        self._epoch = secrets.token_hex(4)
        self._warmed = 0  # processed offsets (summed) when the report processes were last warmed

    def _rebalance(self) -> AfterRebalance:
        return AfterRebalance(lambda: int(self.app.consumer_generation_id), lambda: self.settled)

    @property
    def canonical_url(self) -> str:
        return self.routing.me

    def watermark(self) -> int | None:
        return self._watermark.value()

    def version(self) -> str:
        """This process (a restart starts counting again) and how much it has processed."""
        return f"{self._epoch}:{self.progress.processed()}"

    def now(self) -> int | None:
        """``now`` as this worker knows it: its watermark, or the wall clock (``config.clock``)."""
        return present(self.config.clock, self._watermark.value())

    async def start_senders(self) -> None:
        """Start the producers of outage and silence records and of the tables' changelog records
        (before the agents that send)."""
        await self.send_outage.start()
        await self.send_silence.start()
        for outbox in self.tables.outboxes:
            await outbox.sender.start()

    async def stop_senders(self) -> None:
        """Deliver what was sent and stop (after the agents and their last commit)."""
        await self.send_outage.stop()
        await self.send_silence.stop()
        for outbox in self.tables.outboxes:
            await outbox.sender.stop()

    async def watch_silences(self) -> None:
        """Announce the stores that fell silent, once caught up with the partitions held: behind a
        backlog, a store's next pings may just not be read yet."""
        if self.silences is not None and self.settled and self.lag() < BACKLOG:
            self.silences.tick()

    def lookup(self, store_id: str, as_of: int) -> StoreStatus | None:
        """The store's status at ``as_of`` when it is held here and has a ping by then."""
        found = self.store_state(store_id)
        return None if found is None else store_status(store_id, *found, as_of, self.config.silence)

    def profile(self, store_id: str) -> StoreProfile | None:
        """The profile set for a store held here; None when it has none."""
        return self.tables.profile_set(store_id.encode())

    async def report_part(self, as_of: int) -> tuple[frozenset[int], list[str]]:
        """The report's CSV lines of every store held here at ``as_of``: one text per report process,
        each sorted by store id."""
        return await self._part(report_part_at, as_of)

    async def warm(self) -> None:
        """Catch the report processes up with what was ingested since the last time
        (``streams.gathering.warm``), so that the first gathering after a replay or a restart does not
        do it all."""
        processed = self.progress.processed()
        if processed == self._warmed or not self.settled:
            return
        self._warmed = processed
        await self._part(warm, 0)

    async def outages_part(self, as_of: int) -> tuple[frozenset[int], list[PlacedOutage]]:
        """Outages of every store held here in the week before ``as_of`` (the gathering sorts them)."""
        partitions, found = await self._part(partial(of_cut, of_slice=outages_at), as_of)
        return partitions, list(chain.from_iterable(found))

    async def silences_part(self, as_of: int) -> tuple[frozenset[int], list[PlacedSilence]]:
        """Silences of every store held here reaching into the week before ``as_of``."""
        of_slice = partial(silences_at, silence=self.config.silence)
        partitions, found = await self._part(partial(of_cut, of_slice=of_slice), as_of)
        return partitions, list(chain.from_iterable(found))

    async def fleet_part(self, as_of: int) -> tuple[frozenset[int], list[FleetRow]]:
        """Every store held here as the fleet view shows it at ``as_of`` (the gathering sorts them)."""
        of_slice = partial(fleet_at, silence=self.config.silence)
        partitions, found = await self._part(partial(of_cut, of_slice=of_slice), as_of)
        return partitions, list(chain.from_iterable(found))

    async def fleet_history_part(self, as_of: int, days: int) -> tuple[frozenset[int], DaySums]:
        """The stores held here summed per UTC date, the last ``days`` through ``as_of``'s."""
        read = partial(fleet_history_at, days=days, retention=self.config.retention)
        partitions, found = await self._part(read, as_of)
        return partitions, summed(found)

    async def _part(self, read: Callable[[Cut, int], T], as_of: int) -> tuple[frozenset[int], list[T]]:
        """The partitions held here and what ``read`` makes of each report process's share of them."""
        partitions = self.routing.owned_partitions()
        scratch = self.config.data_dir / "report-reader"
        return partitions, await self.side.each(
            read, partitions, lambda share, index: self.tables.cut(share, scratch / str(index)), as_of
        )

    def store_state(self, store_id: str) -> tuple[StoreState, StoreProfile] | None:
        """The state and profile of a store held here; None for one unknown here."""
        return self.tables.looked_up(store_id.encode())

    def store_history(self, store_id: str, now: int, days: int) -> list[DayFigures] | None:
        """The store's daily history, its last ``days`` dates through ``now``'s; None for a store
        unknown here, nothing when no history is kept."""
        found = self.store_state(store_id)
        if found is None:
            return None
        if self.history is None:
            return []
        return self.history.history(store_id.encode(), *found, now, days)

    def lag(self) -> int:
        """Messages of the partitions held here not processed yet."""
        self.update_lag()
        return int(sum(sample.value for metric in self.metrics.lag.collect() for sample in metric.samples))

    def owner_url(self, store_id: str) -> str | None:
        return self.routing.owner_url(store_id)

    def peer_urls(self) -> list[str]:
        return self.routing.peer_urls()

    def update_lag(self) -> None:
        """Refresh the lag gauge from the consumer's highwaters and what was processed here."""
        lag = self.metrics.lag
        lag.clear()
        for tp in self.app.consumer.assignment():
            done = self.progress.next_offsets.get(tp.topic, {}).get(tp.partition)
            highwater = self.app.consumer.highwater(tp)
            if done is not None and highwater is not None:
                lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - done))

    async def restart_stalled_recovery(self) -> None:
        """Start the tables' recovery over if it has stalled (see ``streams.faust_internals.recovery``)."""
        if restart_if_stalled(cast(Any, self.app.tables).recovery):
            self.metrics.recoveries_restarted.inc()

    async def discard_unbacked_state(self) -> None:
        """Remove each local table database that holds more of its changelog than the changelog has.

        Its topics were deleted or made anew since (a wiped cluster, a data directory reused for
        another deployment): its state is backed by no log, and Faust would refuse to recover it
        (``ConsistencyError``) and never become ready. Without the database the partition is
        recovered from its changelog, as on a new worker. Runs before Faust opens any database.
        """
        held = self.tables.persisted()
        if not held:
            return
        ends = await end_offsets(self.config.kafka, [TopicPartition(*changelog) for changelog in held])
        for (topic, partition), (path, offset) in held.items():
            end = ends.get(TopicPartition(topic, partition), 0)
            if offset >= end:
                log.warning(
                    "%s holds %s[%d] up to offset %d, but that changelog ends at %d: its topics were "
                    "deleted or recreated since; discarding it, its partition is recovered from the log",
                    path,
                    topic,
                    partition,
                    offset,
                    end,
                )
                shutil.rmtree(path)

    @property
    def settled(self) -> bool:
        """Started, in its group, and not recovering tables or rebalancing."""
        return bool(self.app.started and not (self.app.in_recovery or self.app.rebalancing))

    @property
    def ready(self) -> bool:
        """Settled, no agent down, Kafka answering, and every changelog record the broker refused written
        since."""
        return (
            self.settled
            and not self.progress.crashed
            and not self.tables.unwritten
            and not self.fatal
            and self.kafka_unreachable is None
        )

    @property
    def kafka_unreachable(self) -> str | None:
        """Why the cluster does not answer, while it does not."""
        return self.kafka.unreachable

    def _fail(self, reason: str) -> None:
        """Stop the process: it met state it must not go on without."""
        if self.fatal is None:
            log.critical("stopping: %s", reason)
            self.fatal = reason
            self.stop_process()
