"""The rejects topic's records: refused input with where it came from and why, never dropped silently."""

from __future__ import annotations

import json
from typing import NamedTuple

from streams.engine.instants import iso_text

# A ping stamped later than the receiving component's clock allows (``EventTimeGuard``).
FROM_THE_FUTURE = "from_the_future"
# A ping on a date of the store's daily history already frozen (``streams.engine.history``).
TOO_LATE = "too_late"


def from_the_future(instant: int, not_after: int) -> str:
    """Why a ping stamped at ``instant`` is refused ``FROM_THE_FUTURE``, in every door's words."""
    return f"{iso_text(instant)} is after {iso_text(not_after)}, the latest accepted now"


class Reject(NamedTuple):
    """One refused row (``line`` > 0) or file (``line`` == 0) with why it was refused. In the worker,
    ``source`` is the topic the message came from and ``line`` its offset."""

    source: str
    line: int
    reason: str
    detail: str
    row: tuple[str, ...]


def encode_reject(reject: Reject) -> bytes:
    """A record of ``<prefix>-rejects``: the reject's fields as a JSON object."""
    return json.dumps(reject._asdict()).encode()
