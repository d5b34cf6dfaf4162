"""The worker's tables: each store's uptime state and its profile, co-partitioned with their sources.

Both hold bytes (the engine and the wire format have their own encodings) in RocksDB, changelogged
to Kafka so that a restarted or replacement worker recovers them exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import faust

from streams.engine import StoreProfile, StoreState
from streams.snapshot import RawStore, profile_from
from streams.storage import raw_items, read

STATES_TABLE = "store-states"
PROFILES_TABLE = "store-profiles"


class StoreTables:
    def __init__(self, app: faust.App, partitions: int) -> None:
        raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "partitions": partitions}
        self.states = app.Table(STATES_TABLE, **raw)
        self.profiles = app.Table(PROFILES_TABLE, **raw)

    @property
    def changelog_topics(self) -> list[str]:
        return [table.changelog_topic.get_topic_name() for table in (self.states, self.profiles)]

    def state(self, key: bytes) -> StoreState | None:
        raw = read(self.states, key)
        return StoreState.decode(raw) if raw else None

    def put_state(self, key: bytes, state: StoreState) -> None:
        self.states[key] = state.encode()

    def profile(self, key: bytes) -> StoreProfile:
        """The store's profile; the default one (24x7, Chicago) when it has none."""
        return profile_from(read(self.profiles, key))

    def put_profile(self, key: bytes, raw: bytes | None) -> None:
        """Store an encoded profile; None (a tombstone) removes it."""
        if raw is None:
            self.profiles.pop(key, None)
        else:
            self.profiles[key] = raw

    def encoded_states(self) -> Iterator[bytes]:
        return (raw for _, raw in raw_items(self.states))

    def snapshot(self) -> list[RawStore]:
        """Every store held here, as raw bytes, copied in one synchronous pass: no ping lands half-way.

        The pass blocks the loop, so it reads the store driver's raw items: both tables hold bytes
        already, and skipping Faust's per-item decoding makes the pass about three times shorter.
        """
        profiles = dict(raw_items(self.profiles))
        return [(key, raw, profiles.get(key)) for key, raw in raw_items(self.states)]
