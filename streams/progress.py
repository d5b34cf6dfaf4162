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
    # Agents whose last event ended in an exception, with it; cleared by the agent's next success.
    crashed: dict[str, str] = field(default_factory=dict)

    def advance(self, topic: str, partition: int, offset: int) -> None:
        self.next_offsets.setdefault(topic, {})[partition] = offset + 1

    def processed(self) -> int:
        """The next offsets summed: grows with every message processed by this process."""
        return sum(offset for offsets in self.next_offsets.values() for offset in offsets.values())


class AfterRebalance:
    """True once per consumer generation, as soon as the tables have settled: the moment to read
    again what the tables hold, since recovery fills them without passing through the agents (on
    start, and whenever a rebalance hands this worker more partitions)."""

    def __init__(self, generation: Callable[[], int], settled: Callable[[], bool]) -> None:
        self._generation = generation
        self._settled = settled
        self._seen: int | None = None

    def due(self) -> bool:
        generation = self._generation()
        if generation == self._seen or not self._settled():
            return False
        self._seen = generation
        return True


class Watermark:
    """The latest ping instant this worker has seen or holds in its tables.

    Between rebalances the agents keep it current; the first read after one (``AfterRebalance``)
    scans the encoded states (``stored_states``) of every partition held. Reads are on every
    lookup's path, so what they check each time is one number.
    """

    def __init__(
        self, gauge: Gauge, stored_states: Callable[[], Iterable[bytes]], rebalanced: AfterRebalance
    ) -> None:
        self._gauge = gauge
        self._stored_states = stored_states
        self._rebalanced = rebalanced
        self._latest = _NEVER

    def saw(self, instant: int) -> None:
        if instant > self._latest:
            self._latest = instant
            self._gauge.set(instant / SECOND)

    def value(self) -> int | None:
        if self._rebalanced.due():
            for raw in self._stored_states():
                latest = StoreState.latest_of(raw)
                if latest is not None:
                    self.saw(latest)
        return self._latest if self._latest > _NEVER else None
