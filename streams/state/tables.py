"""The worker's tables: each store's uptime state and its profile, co-partitioned with their sources.

All hold bytes in RocksDB. Profiles are small and changelogged by Faust as they are. States are
changelogged as small per-change records (``streams.state.changelog``), which this module writes and
applies when a worker recovers a partition; history records as they are, written to the local database
here. The records of both leave through an outbox of their own (``streams.state.outbox``), which sends
them again when the broker refuses them; Faust recovers the history like any table's.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import faust
from faust.types import TP, EventT

from connectors.kafka import KafkaConnection, partition_of
from streams.engine import StoreProfile, StoreState
from streams.engine.state import STATE_FORMAT
from streams.faust_internals.commits import Deliveries
from streams.faust_internals.storage import (
    bookkeeping_key,
    database_path,
    persisted_offset,
    raw_items,
    read,
    write,
)
from streams.metrics import StreamMetrics
from streams.state.changelog import (
    FORMAT_VERSION,
    ChangelogError,
    LogPosition,
    Ping,
    StateFormatError,
    changelog_records,
    decode_record,
    local_value,
    parse_key,
    recovered,
    split_local,
)
from streams.state.cut import Cut
from streams.state.decoded_profiles import DecodedProfiles
from streams.state.outbox import ChangelogOutbox

STATES_TABLE = "store-states"
PROFILES_TABLE = "store-profiles"
HISTORY_TABLE = "store-history"
# Per partition database. Faust's defaults (a 2 GiB block cache and three 64 MiB write buffers each)
# let a worker with 16 of them grow past a gigabyte. Reads that miss these caches are served by the
# operating system's page cache, outside the worker's memory; and what the write buffers hold unflushed,
# each report process holds again, replayed from the write-ahead log into its secondary instances.
STATES_OPTIONS = {
    "write_buffer_size": 4 << 20,
    "max_write_buffer_number": 2,
    "block_cache_size": 4 << 20,
}
# A profile is written once per change of hours or zone: a partition's profiles fit in a few MiB.
PROFILES_OPTIONS = {
    "write_buffer_size": 2 << 20,
    "max_write_buffer_number": 2,
    "block_cache_size": 2 << 20,
}
# A history date is written once, and read a store's dates at a time: small buffers do.
HISTORY_OPTIONS = {
    "write_buffer_size": 512 << 10,
    "max_write_buffer_number": 2,
    "block_cache_size": 1 << 20,
}
# Decoded profiles kept for ingestion. Past this many a replay's stores come round in turn and each
# message decodes its profile again whatever the size (23 µs), so keeping the report processes' 65,536
# here would only hold 43 MiB more at 100,000 stores.
KEPT_PROFILES = 1 << 14


@dataclass(frozen=True, slots=True)
class _Message:
    tp: TP
    offset: int
    partition: int
    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True)
class _Applied:
    """A store's recovered local value, in the shape of a changelog event the store driver writes."""

    message: _Message


class StateTable(faust.Table[bytes, bytes]):
    """A table whose local values are whole states and whose changelog holds per-change records."""

    def __init__(
        self,
        app: faust.App,
        *,
        profile_of: Callable[[bytes], StoreProfile],
        retention: int,
        metrics: StreamMetrics,
        on_unreadable: Callable[[str], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            app, beacon=app.tables.beacon, key_type=bytes, value_type=bytes, options=STATES_OPTIONS, **kwargs
        )
        self.profile_of = profile_of
        self.retention = retention
        self.metrics = metrics
        self.on_unreadable = on_unreadable

    def on_key_set(self, key: bytes, value: bytes) -> None:
        """Nothing: a set writes the local store only; ``StoreTables.put_state`` writes the records."""

    def apply_changelog_batch(self, batch: Iterable[EventT[bytes]]) -> None:
        """Fold the records of each store into its local value, in one write per store per batch.

        A record this version cannot read (written by another version, or damaged) is not skipped,
        which would lose its pings: nothing of the batch is applied and the worker stops."""
        grouped: dict[tuple[TP, bytes], list[tuple[int, list[Ping]]]] = defaultdict(list)
        offsets: dict[tuple[TP, bytes], int] = {}
        for event in batch:
            message = event.message
            try:
                store, _, _ = parse_key(message.key or b"")
                record = None if message.value is None else decode_record(message.value)
            except ChangelogError as error:
                self.metrics.changelog_records_unreadable.inc()
                self.on_unreadable(
                    f"the changelog record of {message.tp.topic}[{message.tp.partition}] at offset "
                    f"{message.offset} cannot be read by this version ({error}): it was written by another "
                    "storemon version, or damaged. Run the version that wrote it; the state is kept as it is"
                )
                return
            place = (message.tp, store)
            offsets[place] = max(offsets.get(place, -1), message.offset)
            if record is not None:
                grouped[place].append(record)
        applied = [
            _Applied(
                _Message(
                    tp,
                    offsets[(tp, store)],
                    tp.partition,
                    store,
                    recovered(
                        read(self, store, tp.partition),
                        grouped[(tp, store)],
                        self.profile_of(store),
                        self.retention,
                    ),
                )
            )
            for tp, store in offsets
        ]
        self.data.apply_changelog_batch(cast(list[EventT[bytes]], applied), to_key=_same, to_value=_same)


def _same(value: Any) -> Any:
    return value


class StoreTables:
    def __init__(
        self,
        app: faust.App,
        partitions: int,
        retention: int,
        metrics: StreamMetrics,
        on_unreadable: Callable[[str], None],
        kafka: KafkaConnection,
        deliveries: Deliveries,
    ) -> None:
        """``retention``: how long pings are kept (the history keeps them a margin longer); ``kafka``
        and ``deliveries``: where the states' and history's changelog records go (``outboxes``), and
        what commits wait for."""
        self.metrics = metrics
        self.partitions = partitions
        self.retention = retention
        self.decoded = DecodedProfiles(KEPT_PROFILES)
        self.profiles = app.Table(
            PROFILES_TABLE, key_type=bytes, value_type=bytes, partitions=partitions, options=PROFILES_OPTIONS
        )
        self.history = app.Table(
            HISTORY_TABLE, key_type=bytes, value_type=bytes, partitions=partitions, options=HISTORY_OPTIONS
        )
        self.states = StateTable(
            app,
            name=STATES_TABLE,
            partitions=partitions,
            profile_of=self.profile,
            retention=retention,
            metrics=metrics,
            on_unreadable=on_unreadable,
        )
        app.tables.add(self.states)
        self.state_outbox = ChangelogOutbox(self.states, kafka, deliveries, metrics)
        self.history_outbox = ChangelogOutbox(self.history, kafka, deliveries, metrics)
        # Set once per worker run: a store's first write in a run is a snapshot (see streams.state.changelog).
        self.epoch = int.from_bytes(os.urandom(4), "little") or 1
        metrics.changelog_unwritten.set_function(lambda: len(self.unwritten))

    @property
    def unwritten(self) -> set[bytes]:
        """Keys whose latest changelog record the broker refused, until it or a newer one is written."""
        return self.state_outbox.unwritten | self.history_outbox.unwritten

    @property
    def outboxes(self) -> tuple[ChangelogOutbox, ...]:
        return (self.state_outbox, self.history_outbox)

    def persisted(self) -> dict[tuple[str, int], tuple[Path, int]]:
        """Each local database with a changelog offset: its changelog partition, path and offset."""
        found = {}
        for table in self._tables:
            topic = table.changelog_topic.get_topic_name()
            for partition in range(self.partitions):
                offset = persisted_offset(table, partition)
                if offset is not None:
                    found[topic, partition] = (database_path(table, partition), offset)
        return found

    @property
    def _tables(self) -> tuple[faust.types.TableT[bytes, bytes], ...]:
        return (self.states, self.profiles, self.history)

    @property
    def changelog_topics(self) -> list[str]:
        return [table.changelog_topic.get_topic_name() for table in self._tables]

    def _partition(self, key: bytes) -> int:
        """Where the store's state and profile are written: the event's partition while one is being
        processed (its store's, once the agents have forwarded it), else the store's by its id."""
        event = faust.current_event()
        return event.message.partition if event is not None else partition_of(key, self.partitions)

    def _history_partition(self, key: bytes) -> int:
        """Where a history record is: its store's partition (the store id ends at the key's NUL)."""
        return self._partition(key[: key.index(b"\x00")])

    def looked_up(self, key: bytes) -> tuple[StoreState, StoreProfile] | None:
        """The state and profile of a store held here, as a lookup reads them (the profile is not kept,
        see ``DecodedProfiles``); None for a store unknown here."""
        partition = partition_of(key, self.partitions)
        raw = read(self.states, key, partition)
        if not raw:
            return None
        return StoreState.decode(raw), self.decoded.read(read(self.profiles, key, partition))

    def entry(self, key: bytes) -> tuple[StoreState, LogPosition]:
        """The store's state and changelog position; empty ones for a store not seen yet."""
        raw = read(self.states, key, self._partition(key))
        return split_local(raw) if raw else (StoreState(), LogPosition())

    def put_state(
        self, key: bytes, state: StoreState, position: LogPosition, changed: Sequence[Ping], partition: int
    ) -> None:
        """Write the state locally and what ``changed`` adds to its changelog partition (the event's)."""
        position, records = changelog_records(key, state, changed, position, self.epoch)
        self.states[key] = local_value(state, position)
        for record_key, value in records:
            self.metrics.changelog_bytes.inc(len(record_key) + len(value))
            self.state_outbox.send(partition, record_key, value)

    def profile(self, key: bytes) -> StoreProfile:
        """The store's profile; the default one (24x7, Chicago) when it has none."""
        return self.decoded.keep(read(self.profiles, key, self._partition(key)))

    def profile_set(self, key: bytes) -> StoreProfile | None:
        """The store's own profile; None when it has none."""
        raw = read(self.profiles, key, partition_of(key, self.partitions))
        return None if raw is None else self.decoded.read(raw)

    def put_profile(self, key: bytes, raw: bytes | None) -> None:
        """Store an encoded profile; None (a tombstone) removes it."""
        if raw is None:
            self.profiles.pop(key, None)
        else:
            self.profiles[key] = raw

    def frozen(self, key: bytes) -> bytes | None:
        """A history record (``streams.history``) of the store whose id starts ``key``."""
        return read(self.history, key, self._history_partition(key), elsewhere=False)

    def put_frozen(self, key: bytes, value: bytes | None) -> None:
        """Write a history record (None: delete it) in its store's partition and its changelog; the
        changelog's records gather in batches, which commits wait for."""
        partition = self._history_partition(key)
        write(self.history, key, value, partition)
        self.history_outbox.send(partition, key, value)

    def encoded_states(self) -> Iterator[bytes]:
        return (raw for _, raw in raw_items(self.states))

    def encoded_items(self) -> Iterator[tuple[bytes, bytes]]:
        """(store id, encoded state) of every store held here."""
        return raw_items(self.states)

    def cut(self, partitions: frozenset[int], scratch: Path) -> Cut:
        """Where the states, profiles and history of ``partitions`` lie, for the report process to read."""
        held = sorted(partitions)
        return Cut(
            tuple((database_path(self.states, p), database_path(self.profiles, p)) for p in held),
            bookkeeping_key(self.states),
            scratch,
            tuple(database_path(self.history, p) for p in held),
        )


# The format of the local tables' values (an encoded state, then its log position).
LOCAL_FORMAT = f"state {STATE_FORMAT}, changelog {FORMAT_VERSION}"


def claim_local_format(folder: Path) -> None:
    """Mark ``folder`` (the worker's tables) as holding this version's format, or stop when it holds
    another's: its values would be misread. They can always be rebuilt from the changelog topics."""
    marker = folder / "FORMAT"
    if marker.exists() and (found := marker.read_text().strip()) != LOCAL_FORMAT:
        raise StateFormatError(
            f"the tables in {folder} hold format {found!r}, this version reads {LOCAL_FORMAT!r}: remove "
            f"{folder} and start again, and the worker rebuilds them from the changelog topics"
        )
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(LOCAL_FORMAT + "\n")
