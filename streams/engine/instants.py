"""Instants as the world writes them: datetimes and timestamp text, to and from integer microseconds.

The engine counts time in integer microseconds since the Unix epoch (``units``); this is the one place
that converts between those and ``datetime`` objects or text, for the API, the dataset files and the
command line alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from streams.engine.units import SECOND

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How far after the receiving component's clock a ping may be stamped (STOREMON_MAX_FUTURE_SECONDS).
MAX_FUTURE = 300 * SECOND
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def to_instant(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is taken as UTC.

    Counted on the wall clock, then the offset taken off: an instant whose UTC date falls outside
    years 1-9999 (``0001-01-01T00:00+00:01``) still has a number, for the caller to refuse.
    """
    offset = moment.utcoffset() or timedelta(0)
    return (moment.replace(tzinfo=None) - _NAIVE_EPOCH - offset) // _MICROSECOND


def to_datetime(instant: int) -> datetime:
    """The aware UTC datetime of an instant."""
    return EPOCH + timedelta(microseconds=instant)


def iso_text(instant: int) -> str:
    """ISO 8601 in UTC with a ``Z``: ``2023-01-25T18:13:22.479220Z``."""
    return to_datetime(instant).isoformat().replace("+00:00", "Z")


def dataset_text(instant: int) -> str:
    """The public files' form: ``2023-01-25 18:13:22.47922 UTC`` (trailing fraction zeros dropped)."""
    seconds, micros = divmod(instant, SECOND)
    text = to_datetime(seconds * SECOND).strftime("%Y-%m-%d %H:%M:%S")
    fraction = f"{micros:06d}".rstrip("0")
    return f"{text}.{fraction} UTC" if fraction else f"{text} UTC"


def wall_clock() -> int:
    """Now, in microseconds since the epoch: what the receiving component's clock says. Asked once
    per message the worker processes, so read without making a datetime."""
    return time.time_ns() // 1_000


class ClockMode(StrEnum):
    """What ``now`` is for lookups, the fleet, silence and a report without an instant."""

    EVENT = "event"  # the watermark: replays of history read as they did when they happened
    WALL = "wall"  # the wall clock: live deployments, where pings that stop arriving must show


def present(mode: ClockMode, watermark: int | None, wall: Callable[[], int] = wall_clock) -> int | None:
    """``now`` by ``mode``, given the latest ping the group holds; None while it holds none.

    The wall clock never reads earlier than the watermark: a ping stamped up to the allowed few
    minutes ahead of its receiver's clock is never in the future of ``now``.
    """
    if watermark is None or mode is ClockMode.EVENT:
        return watermark
    return max(wall(), watermark)


@dataclass(frozen=True)
class EventTimeGuard:
    """How far after its own clock a component accepts a ping's instant: one device whose clock runs
    ahead must not move the fleet's ``now``."""

    allowance: int = MAX_FUTURE
    clock: Callable[[], int] = wall_clock

    def not_after(self) -> int:
        """The latest instant a ping received now may carry."""
        return self.clock() + self.allowance
