"""How many stores a set of stretches touches in each hour: the fleet's stores down, or silent, per
hour, which tells one store's trouble apart from a provider-wide incident."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import accumulate
from typing import Protocol

from streams.engine.units import HOUR

# (store, from, to): a stretch a store spent down, or silent.
Span = tuple[str, int, int]


class Stretch(Protocol):
    """An outage or a silence, as far as counting stores per hour goes."""

    @property
    def store_id(self) -> str: ...

    @property
    def started_at(self) -> int: ...

    @property
    def ended_at(self) -> int | None: ...


def span_at(stretch: Stretch, as_of: int) -> Span:
    """``stretch`` as a span, one going on at ``as_of`` reaching into the hour holding it."""
    return stretch.store_id, stretch.started_at, stretch.ended_at or as_of + 1


def stores_per_hour(spans: Iterable[Span], start: int, hours: int) -> list[int]:
    """For each hour from ``start``, how many stores have a span reaching into it (a store with
    several counts once)."""
    by_store: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for store, a, b in spans:
        first, last = max(0, (a - start) // HOUR), min(hours, -(-(b - start) // HOUR))
        if first < last:
            by_store[store].append((first, last))
    steps = [0] * (hours + 1)
    for ranges in by_store.values():
        ranges.sort()
        low, high = ranges[0]
        for a, b in ranges[1:]:
            if a > high:
                steps[low] += 1
                steps[high] -= 1
                low = a
            high = max(high, b)
        steps[low] += 1
        steps[high] -= 1
    return list(accumulate(steps))[:hours]


def hours_through(as_of: int, hours: int) -> int:
    """The start of the first of ``hours`` UTC hours, the last of them holding ``as_of``."""
    return (as_of // HOUR + 1 - hours) * HOUR
