"""What the outage and silence topics share: one compacted record per episode keyed by store and
start, an id per change derived from its content only, and how a listener reads a record.

The same change derived twice (a message processed again after a crash) carries the same id, so a
receiver can drop the repeat. A tombstone retracts the episode. Readers add the local times of its
instants (``<name>_local``), so the worker does not compute them for records that may never be read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from streams.contract.messages import compact_json
from streams.engine.episodes import EpisodeEvent
from streams.engine.instants import iso_text


class EpisodeLogError(ValueError):
    """A record of an outage or silence topic this version cannot read."""


@dataclass(frozen=True)
class EpisodeKind:
    """One kind of episode as its topic carries it."""

    name: str  # "outage" or "silence": what listeners call it
    instants: tuple[str, ...]  # its fields holding UTC instants
    id_prefix: str = ""  # keeps the ids of different kinds apart

    def event_id(self, store_id: str, started_at: str, event: str, *detail: object) -> str:
        text = "\x1f".join(map(str, (store_id, started_at, self.id_prefix + event, *detail)))
        return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()

    def message(
        self, event: EpisodeEvent, record: Mapping[str, Any], as_of: int, updated: tuple[object, ...]
    ) -> tuple[bytes, bytes | None]:
        """Key and value of one change: ``record`` (the episode's fields in UTC) with the change, its
        id and the instant it was derived at; a tombstone for a retraction. The id comes from the
        store, the start and the change, and for a closing its end, for an update ``updated`` (what
        an update can change), so the same change derived twice has the same id."""
        store_id, started_at = str(record["store_id"]), str(record["started_at"])
        key = episode_key(store_id, started_at)
        if event is EpisodeEvent.RETRACTED:
            return key, None
        detail = {EpisodeEvent.CLOSED: (record["ended_at"],), EpisodeEvent.UPDATED: updated}.get(event, ())
        body = {
            "event": event.value,
            "event_id": self.event_id(store_id, started_at, event.value, *detail),
            "as_of": iso_text(as_of),
            **record,
        }
        return key, compact_json(body)

    def notice_of(self, key: bytes, value: bytes | None) -> dict[str, Any]:
        """What a record tells a listener: the value with its kind and local times, or for a
        tombstone a ``retracted`` notice."""
        if value is None:
            store_id, started_at = parse_episode_key(key)
            return {
                "kind": self.name,
                "event": EpisodeEvent.RETRACTED.value,
                "event_id": self.event_id(store_id, started_at, EpisodeEvent.RETRACTED.value),
                "store_id": store_id,
                "started_at": started_at,
            }
        try:
            body: dict[str, Any] = json.loads(value)
        except ValueError as error:
            raise EpisodeLogError(f"unreadable {self.name} record {key!r}: {error}") from None
        if not isinstance(body, dict) or "event" not in body or "event_id" not in body:
            raise EpisodeLogError(f"{self.name} record {key!r} lacks its event")
        body["kind"] = self.name
        try:
            return with_local_times(body, self.instants)
        except (KeyError, TypeError, ValueError) as error:
            raise EpisodeLogError(
                f"{self.name} record {key!r} has no readable instants or zone: {error!r}"
            ) from None


def episode_key(store_id: str, started_at: str) -> bytes:
    """The key of a store's episode that started at ``started_at`` (ISO 8601)."""
    return f"{store_id}/{started_at}".encode()


def parse_episode_key(key: bytes) -> tuple[str, str]:
    """(store id, ISO start) of a key; store ids may hold ``/``, ISO instants never do."""
    store_id, slash, started_at = key.decode("utf-8", "replace").rpartition("/")
    if not slash or not store_id:
        raise EpisodeLogError(f"not a key of a store and start: {key!r}")
    return store_id, started_at


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_text(moment: datetime, timezone: str) -> str:
    """The store's wall clock at ``moment`` with its UTC offset, telling a repeated hour's passes apart."""
    return moment.astimezone(_zone(timezone)).isoformat()


def with_local_times(record: dict[str, Any], instants: tuple[str, ...]) -> dict[str, Any]:
    """``record`` (an episode's fields in UTC) with the local time of each of its ``instants`` added
    as ``<name>_local``."""
    timezone = record["timezone"]
    for utc in instants:
        text = record[utc]
        record[f"{utc}_local"] = None if text is None else local_text(datetime.fromisoformat(text), timezone)
    return record
