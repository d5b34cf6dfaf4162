"""The outage topic's wire format: one compacted record per outage, keyed by store and start.

A value is the outage as it stands after a change (``streams.outages.records.outage_fields``: its
instants in UTC and its zone) with the change that made it (``opened``, ``updated``, ``closed``) and
the instant it is measured to; a tombstone retracts the outage. Readers (``notice_of``) add the local
times. Each change has an id derived from its content only, so the same change derived twice (a
message processed again after a crash) carries the same id and a receiver can drop the repeat.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from streams.engine.instants import iso_text
from streams.engine.outages import OutageChange, OutageEvent
from streams.outages.records import outage_fields, with_local_times


class OutageLogError(ValueError):
    """A record of the outage topic this version cannot read."""


def outage_key(store_id: str, started_at: str) -> bytes:
    """The key of a store's outage that started at ``started_at`` (ISO 8601)."""
    return f"{store_id}/{started_at}".encode()


def parse_outage_key(key: bytes) -> tuple[str, str]:
    """(store id, ISO start) of a key; store ids may hold ``/``, ISO instants never do."""
    store_id, slash, started_at = key.decode("utf-8", "replace").rpartition("/")
    if not slash or not store_id:
        raise OutageLogError(f"not an outage key: {key!r}")
    return store_id, started_at


def event_id(store_id: str, started_at: str, event: str, *detail: object) -> str:
    text = "\x1f".join(map(str, (store_id, started_at, event, *detail)))
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def outage_message(change: OutageChange, timezone: str, as_of: int) -> tuple[bytes, bytes | None]:
    """Key and value (None for a retraction) of one change to a store's outages."""
    outage = change.outage
    if change.event is OutageEvent.RETRACTED:
        return outage_key(outage.store_id, iso_text(outage.started_at)), None
    record = outage_fields(outage, timezone)
    started_at = str(record["started_at"])
    detail: tuple[object, ...] = ()
    if change.event is OutageEvent.CLOSED:
        detail = (record["ended_at"],)
    elif change.event is OutageEvent.UPDATED:
        detail = (record["ended_at"], outage.business_downtime, timezone)
    body = {
        "event": change.event.value,
        "event_id": event_id(outage.store_id, started_at, change.event.value, *detail),
        "as_of": iso_text(as_of),
        **record,
    }
    return outage_key(outage.store_id, started_at), json.dumps(body, separators=(",", ":")).encode()


def notice_of(key: bytes, value: bytes | None) -> dict[str, Any]:
    """What a record tells a listener: the value itself, or for a tombstone a ``retracted`` notice."""
    if value is None:
        store_id, started_at = parse_outage_key(key)
        return {
            "event": OutageEvent.RETRACTED.value,
            "event_id": event_id(store_id, started_at, OutageEvent.RETRACTED.value),
            "store_id": store_id,
            "started_at": started_at,
        }
    try:
        body: dict[str, Any] = json.loads(value)
    except ValueError as error:
        raise OutageLogError(f"unreadable outage record {key!r}: {error}") from None
    if not isinstance(body, dict) or "event" not in body or "event_id" not in body:
        raise OutageLogError(f"outage record {key!r} lacks its event")
    try:
        return with_local_times(body)
    except (KeyError, TypeError, ValueError) as error:
        raise OutageLogError(f"outage record {key!r} has no readable instants or zone: {error!r}") from None
