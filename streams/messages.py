"""The wire format between the replay (or any producer) and the worker.

Pings topic: key = store_id (UTF-8), value = JSON list of ``[instant_us, active]`` pairs, one or many
pings of that store in any order. Profiles topic (compacted): key = store_id, value = JSON object
``{"timezone": str | null, "hours": [[day, start_s, end_s], ...]}``. JSON keeps the topics readable by
any client; the batching of pings per store is what keeps the per-message cost off the hot path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from streams.engine import HoursRow, StoreProfile
from streams.engine.units import EARLIEST, LATEST


class MessageError(ValueError):
    """A message that does not follow the format; the worker counts and dead-letters it."""


def encode_pings(pings: Iterable[tuple[int, bool]]) -> bytes:
    return json.dumps([[instant, int(active)] for instant, active in pings], separators=(",", ":")).encode()


def decode_pings(value: bytes | None) -> list[tuple[int, bool]]:
    if value is None:
        raise MessageError("bad pings message: no value")
    try:
        body = json.loads(value)
        if not isinstance(body, list):
            raise TypeError("expected a list of [instant_us, active] pairs")
        pings = [(instant, active) for instant, active in body]
    except (ValueError, TypeError) as error:
        raise MessageError(f"bad pings message: {error}") from None
    for instant, active in pings:
        if type(instant) is not int or not EARLIEST <= instant < LATEST or active not in (0, 1):
            raise MessageError(f"bad pings message: ping {[instant, active]!r} out of range")
    return [(instant, bool(active)) for instant, active in pings]


def encode_profile(profile: StoreProfile) -> bytes:
    body = {"timezone": profile.timezone, "hours": [list(row) for row in profile.hours]}
    return json.dumps(body, separators=(",", ":")).encode()


def decode_profile(value: bytes) -> StoreProfile:
    try:
        body = json.loads(value)
        hours = tuple(HoursRow(int(d), int(s), int(e)) for d, s, e in body.get("hours", ()))
        timezone = body.get("timezone")
    except (ValueError, TypeError, AttributeError) as error:
        raise MessageError(f"bad profile message: {error}") from None
    if timezone is not None and not isinstance(timezone, str):
        raise MessageError("bad profile message: timezone must be a string or null")
    if any(not (0 <= d <= 6 and 0 <= s <= 86_400 and 0 <= e <= 86_400) for d, s, e in hours):
        raise MessageError("bad profile message: hours out of range")
    return StoreProfile(timezone, hours)
