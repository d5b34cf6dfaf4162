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


class Watermark:
    """The latest ping instant this worker has seen or holds in its tables.

    Recovery fills the tables without passing through the agents, on start and whenever a rebalance
    hands this worker more partitions (a peer died, or the group shrank). So the first read after a
    rebalance (a new consumer ``generation``), once the tables have settled, scans the encoded states
    (``stored_states``) of every partition held; between rebalances the agents keep it current. Reads
    are on every lookup's path, so what they check each time is one number.
    """

    def __init__(
        self,
        gauge: Gauge,
        stored_states: Callable[[], Iterable[bytes]],
        generation: Callable[[], int],
        settled: Callable[[], bool],
    ) -> None:
        self._gauge = gauge
        self._stored_states = stored_states
        self._generation = generation
        self._settled = settled
        self._latest = _NEVER
        self._scanned_for: int | None = None

    def saw(self, instant: int) -> None:
        if instant > self._latest:
            self._latest = instant
            self._gauge.set(instant / SECOND)

    def value(self) -> int | None:
        generation = self._generation()
        if generation != self._scanned_for and self._settled():
            self._scanned_for = generation
            for raw in self._stored_states():
                latest = StoreState.latest_of(raw)
                if latest is not None:
                    self.saw(latest)
        return self._latest if self._latest > _NEVER else None
