"""What a worker has processed: offsets per source partition, ping outcomes, and its watermark."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from prometheus_client import Gauge

from streams.engine import SECOND, StoreState

_NEVER = -(1 << 62)


@dataclass
class Progress:
    """Next offset to read per source topic partition, and how the pings applied so far turned out."""

    next_offsets: dict[str, dict[int, int]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)

    def advance(self, topic: str, partition: int, offset: int) -> None:
        self.next_offsets.setdefault(topic, {})[partition] = offset + 1


class Watermark:
    """The latest ping instant held by this worker: seen since start, or found in recovered tables.

    ``stored_states`` yields the encoded states of the tables; they are scanned once, on the first
    read, because recovery fills the tables without passing through the agents.
    """

    def __init__(self, gauge: Gauge, stored_states: Callable[[], Iterable[bytes]]) -> None:
        self._gauge = gauge
        self._stored_states = stored_states
        self._latest = _NEVER
        self._scanned = False

    def saw(self, instant: int) -> None:
        if instant > self._latest:
            self._latest = instant
            self._gauge.set(instant / SECOND)

    def value(self) -> int | None:
        if not self._scanned:
            self._scanned = True
            for raw in self._stored_states():
                latest = StoreState.latest_of(raw)
                if latest is not None:
                    self.saw(latest)
        return self._latest if self._latest > _NEVER else None
