"""The Faust application: agents that keep every store's uptime state in RocksDB-backed tables.

Two co-partitioned source topics feed two tables whose changelogs let a restarted or replacement
worker recover exactly. Processing is at-least-once; the engine's state is canonical, so a message
processed twice (after a crash, or a dataset replayed twice) leaves the same bytes behind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import faust
from faust.stores.base import SerializedStore
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client import Counter as PromCounter

from streams.engine import (
    DEFAULT_RETENTION,
    SECOND,
    StoreProfile,
    StoreState,
    UptimeRow,
    uptime_row,
)
from streams.messages import MessageError, decode_pings
from streams.snapshot import RawStore, SideProcess, profile_from, rows_at
from streams.topics import Topics

T = TypeVar("T")
STATES_TABLE = "store-states"
_NEVER = -(1 << 62)
PROFILES_TABLE = "store-profiles"


@dataclass(frozen=True)
class StreamsConfig:
    app_id: str
    bootstrap: str
    partitions: int
    data_dir: Path
    topics: Topics
    canonical_url: str
    retention: int = DEFAULT_RETENTION


def _read(table: faust.types.TableT[bytes, bytes], key: bytes) -> bytes | None:
    """One store read: the table's own ``get`` reads twice (a membership test, then the value)."""
    value: bytes | None = table.data.get(key)
    return value


def _raw_items(table: faust.types.TableT[bytes, bytes]) -> Iterator[tuple[bytes, bytes]]:
    """The items of a table's active partitions exactly as its store driver holds them."""
    return cast(SerializedStore[bytes, bytes], table.data)._iteritems()


@dataclass
class Progress:
    """What the worker has processed, per source topic partition (next offset to read)."""

    next_offsets: dict[str, dict[int, int]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)

    def advance(self, topic: str, partition: int, offset: int) -> None:
        self.next_offsets.setdefault(topic, {})[partition] = offset + 1


class StoreStreams:
    """The Faust app with its topics, tables, agents and metrics."""

    def __init__(self, config: StreamsConfig, registry: CollectorRegistry | None = None) -> None:
        self.config = config
        self.registry = registry or CollectorRegistry()
        self.progress = Progress()
        self.side = SideProcess()
        self._latest_seen = _NEVER
        self._scanned = False
        self.app = faust.App(
            config.app_id,
            broker=[f"kafka://{host}" for host in config.bootstrap.split(",")],
            store="rocksdb://",
            datadir=str(config.data_dir / "tables"),
            topic_partitions=config.partitions,
            topic_replication_factor=1,
            web_enabled=False,
            canonical_url=config.canonical_url,
            consumer_auto_offset_reset="earliest",
            processing_guarantee="at_least_once",
            broker_session_timeout=10.0,
            broker_heartbeat_interval=1.0,
            table_standby_replicas=0,
            # Which partition holds a key, remembered for every store rather than Faust's default 1,000:
            # without it a lookup outside an event searches every partition's RocksDB.
            table_key_index_size=1 << 20,
            # Changelog writes are many and small: batch them instead of one produce request each.
            producer_linger=0.05,
            producer_max_batch_size=1 << 20,
            producer_max_request_size=8 << 20,
            autodiscover=False,
        )
        # Bytes in and out everywhere: the engine and the wire format have their own encodings.
        raw_topic: dict[str, Any] = {"key_serializer": "raw", "value_serializer": "raw"}
        raw_table: dict[str, Any] = {"key_type": bytes, "value_type": bytes}
        self.pings_topic = self.app.topic(config.topics.pings, partitions=config.partitions, **raw_topic)
        self.profiles_topic = self.app.topic(
            config.topics.profiles, partitions=config.partitions, **raw_topic
        )
        self.states = self.app.Table(STATES_TABLE, partitions=config.partitions, **raw_table)
        self.profiles = self.app.Table(PROFILES_TABLE, partitions=config.partitions, **raw_table)
        self._pings_processed = PromCounter(
            "storemon_pings_processed",
            "pings applied to store state, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self._messages_rejected = PromCounter(
            "storemon_messages_rejected",
            "messages that did not follow the wire format",
            ["topic"],
            registry=self.registry,
        )
        self._watermark = Gauge(
            "storemon_watermark_seconds", "latest ping instant seen by this worker", registry=self.registry
        )
        self._lag = Gauge(
            "storemon_partition_lag", "messages not yet processed, per source partition held here",
            ["topic", "partition"], registry=self.registry,
        )  # fmt: skip
        self.app.agent(self.pings_topic, name="ingest-pings")(self._ingest_pings)
        self.app.agent(self.profiles_topic, name="ingest-profiles")(self._ingest_profiles)

    @property
    def changelog_topics(self) -> list[str]:
        return [table.changelog_topic.get_topic_name() for table in (self.states, self.profiles)]

    def profile_of(self, key: bytes) -> StoreProfile:
        return profile_from(_read(self.profiles, key))

    def _decode(self, event: Any, decode: Callable[[bytes | None], T]) -> T | None:
        """The event's decoded value; None (counted, and moved past) when it breaks the wire format."""
        try:
            if not event.key:
                raise MessageError("message without a store id key")
            return decode(event.value)
        except MessageError:
            message = event.message
            self._messages_rejected.labels(message.topic).inc()
            self.progress.outcomes["rejected_message"] += 1
            self.progress.advance(message.topic, message.partition, message.offset)
            return None

    async def _ingest_pings(self, stream: faust.StreamT[bytes]) -> None:
        retention = self.config.retention
        async for event in stream.events():
            pings = self._decode(event, decode_pings)
            if pings is None:
                continue
            message, key = event.message, event.key
            profile = self.profile_of(key)
            raw = _read(self.states, key)
            state = StoreState.decode(raw) if raw else StoreState()
            outcomes = Counter(
                state.add(instant, active, profile, retention).value for instant, active in pings
            )
            self.states[key] = state.encode()
            if state.times and state.times[-1] > self._latest_seen:
                self._latest_seen = state.times[-1]
                self._watermark.set(self._latest_seen / SECOND)
            for outcome, count in outcomes.items():
                self._pings_processed.labels(outcome).inc(count)
            self.progress.outcomes.update(outcomes)
            self.progress.advance(message.topic, message.partition, message.offset)

    async def _ingest_profiles(self, stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            profile = self._decode(event, profile_from)  # a tombstone (no value) means the default profile
            if profile is None:
                continue
            message, key = event.message, event.key
            if event.value is None:
                self.profiles.pop(key, None)
            else:
                self.profiles[key] = event.value
            raw = _read(self.states, key)
            if raw:
                state = StoreState.decode(raw)
                if state.refresh(profile):
                    self.states[key] = state.encode()
            self.progress.advance(message.topic, message.partition, message.offset)

    def watermark(self) -> int | None:
        """Latest ping instant held by this worker: seen since start, or found in recovered tables."""
        if not self._scanned:
            self._scanned = True
            for raw in self.states.values():
                latest = StoreState.latest_of(raw)
                if latest is not None and latest > self._latest_seen:
                    self._latest_seen = latest
        return self._latest_seen if self._latest_seen > _NEVER else None

    def update_lag(self) -> None:
        """Refresh the lag gauge from the consumer's highwaters and what was processed here."""
        self._lag.clear()
        for tp in self.app.consumer.assignment():
            done = self.progress.next_offsets.get(tp.topic, {}).get(tp.partition)
            highwater = self.app.consumer.highwater(tp)
            if done is not None and highwater is not None:
                self._lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - done))

    def owned_partitions(self) -> set[int]:
        """Source partitions (hence table partitions) this worker actively holds."""
        topic = self.pings_topic.get_topic_name()
        return {tp.partition for tp in self.app.consumer.assignment() if tp.topic == topic}

    def snapshot(self) -> tuple[set[int], list[RawStore]]:
        """Every store held here, as raw bytes, copied in one synchronous pass: no ping lands half-way.

        The pass blocks the loop, so it reads the store driver's raw items: both tables hold bytes
        already, and skipping Faust's per-item decoding makes the pass about three times shorter.
        """
        profiles = dict(_raw_items(self.profiles))
        stores = [(key, raw, profiles.get(key)) for key, raw in _raw_items(self.states)]
        return self.owned_partitions(), stores

    async def report_part(self, as_of: int) -> tuple[set[int], list[UptimeRow]]:
        """Rows of every store held here at ``as_of``, sorted; computed off the event loop."""
        partitions, stores = self.snapshot()
        return partitions, await self.side.run(rows_at, stores, as_of)

    def store_row(self, store_id: str, as_of: int) -> tuple[UptimeRow | None, StoreState | None]:
        key = store_id.encode()
        raw = _read(self.states, key)
        if raw is None:
            return None, None
        state = StoreState.decode(raw)
        return uptime_row(store_id, state, self.profile_of(key), as_of), state

    def owner_url(self, store_id: str) -> str | None:
        """Canonical URL of the worker holding ``store_id``; None while partitions are unassigned."""
        try:
            return str(self.app.router.key_store(STATES_TABLE, store_id.encode())).rstrip("/")
        except KeyError:
            return None

    def peer_urls(self) -> list[str]:
        """Canonical URLs of every worker in the group, this one included."""
        hosts = set(self.app.router.tables_metadata()) | {self.config.canonical_url}
        return sorted(str(host).rstrip("/") for host in hosts)

    @property
    def ready(self) -> bool:
        """Started, in its group, and not recovering tables or rebalancing."""
        return bool(self.app.started and not (self.app.in_recovery or self.app.rebalancing))
