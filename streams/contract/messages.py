"""The wire format between the replay (or any producer) and the worker: the topic contract.

Pings topic: key = store_id (UTF-8), value = JSON list of ``[instant_us, active]`` pairs, one or many
pings of that store in any order. Profiles topic (compacted): key = store_id, value = JSON object
``{"timezone": str | null, "hours": [[day, start_s, end_s], ...]}``, with ``"closures": [{"start_date",
"end_date", "reason"}, ...]`` when the store has any. JSON keeps the topics readable by
any client; the batching of pings per store is what keeps the per-message cost off the hot path.
The JSON Schema files in ``streams/contract`` define both values; every message is checked against
them (a few microseconds), so what the worker accepts is exactly what the contract says.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from importlib.resources import files
from typing import Any

import jsonschema_rs
import orjson

from streams.engine import Closure, HoursRow, StoreProfile

CONTRACT = files("streams.contract")


def _schema(name: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(json.loads(CONTRACT.joinpath(name).read_text()))


_PINGS = _schema("pings.schema.json")
_PROFILE = _schema("profile.schema.json")


def compact_json(value: Any) -> bytes:
    """``value`` as JSON without spaces, in UTF-8, as every topic and event carries it (orjson: a
    replay derives records by the hundred thousand)."""
    return orjson.dumps(value)


class MessageError(ValueError):
    """A message that does not follow the format; the worker counts and dead-letters it."""


# A store id as a key: 1 to 128 characters of UTF-8, printable, no "/" (a URL path segment carries it
# to its lookup), no space at either end (every door trims ids).
MAX_KEY_CHARACTERS = 128


def check_store_key(key: bytes | None) -> None:
    """Refuse a message key that breaks the contract: its store could never be looked up."""
    if not key:
        raise MessageError("message without a store id key")
    try:
        text = key.decode("utf-8")
    except UnicodeDecodeError:
        raise MessageError("store id key is not UTF-8") from None
    if len(text) > MAX_KEY_CHARACTERS:
        raise MessageError(f"store id key of {len(text)} characters; at most {MAX_KEY_CHARACTERS}")
    if "/" in text or not text.isprintable() or text != text.strip():
        raise MessageError(
            f"store id key {text[:40]!r} has a '/', an unprintable character or spaces at an end"
        )


def encode_pings(pings: Iterable[tuple[int, int]]) -> bytes:
    """A pings message value from ``(instant, active)`` pairs, ``active`` a bool or 0/1."""
    return orjson.dumps([(instant, 1 if active else 0) for instant, active in pings])


def decode_pings(value: bytes | None) -> list[tuple[int, bool]]:
    if value is None:
        raise MessageError("bad pings message: no value")
    body = _parsed("pings", value, _PINGS)
    return [(int(instant), bool(active)) for instant, active in body]


def encode_profile(profile: StoreProfile) -> bytes:
    """A profile's message value; without closures, the same bytes as before closures existed."""
    body: dict[str, Any] = {"timezone": profile.timezone, "hours": [list(row) for row in profile.hours]}
    if profile.closures:
        body["closures"] = [
            {"start_date": c.start_date.isoformat(), "end_date": c.end_date.isoformat(), "reason": c.reason}
            for c in profile.closures
        ]
    return compact_json(body)


def decode_profile(value: bytes) -> StoreProfile:
    body = _parsed("profile", value, _PROFILE)
    hours = tuple(HoursRow(int(d), int(s), int(e)) for d, s, e in body.get("hours", ()))
    closures = []
    for index, entry in enumerate(body.get("closures", ())):
        try:
            first, last = date.fromisoformat(entry["start_date"]), date.fromisoformat(entry["end_date"])
        except ValueError as error:
            raise MessageError(f"bad profile message: {error} at /closures/{index}") from None
        if last < first:
            raise MessageError(f"bad profile message: end_date before start_date at /closures/{index}")
        closures.append(Closure(first, last, entry.get("reason", "")))
    return StoreProfile(body.get("timezone"), hours, tuple(closures))


def _parsed(kind: str, value: bytes, schema: jsonschema_rs.Validator) -> Any:
    """The JSON of a message value, checked against its schema in the topic contract."""
    try:
        body = orjson.loads(value)
    except ValueError as error:  # orjson's JSONDecodeError is one
        raise MessageError(f"bad {kind} message: {error}") from None
    try:
        schema.validate(body)
    except jsonschema_rs.ValidationError as error:
        where = "/".join(str(step) for step in error.instance_path)
        at = f" at /{where}" if where else ""
        raise MessageError(f"bad {kind} message: {error.message}{at}") from None
    return body
