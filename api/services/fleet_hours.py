"""How many stores were down, and how many silent, in each hour of the last week: one store's trouble
told apart from a provider-wide incident at a glance.

Read from the outage and silence listings (gathered from every worker and kept ready for the
dashboard), so the chart costs a pass over them, not another gathering.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import accumulate

from api.schemas import FleetHour, FleetHours
from api.services.outages import OutageListing
from api.services.silences import SilenceListing
from streams.engine import HOUR
from streams.engine.instants import iso_text

# (store, from, to): a stretch a store spent down, or silent.
Span = tuple[str, int, int]


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


async def fleet_hours(
    outages: OutageListing, silences: SilenceListing, hours: int, max_stale: float
) -> FleetHours:
    """Stores down and stores silent per UTC hour, the last ``hours`` through the one holding ``now``."""
    down = await outages.everything(max_stale)
    silent = await silences.everything(max_stale)
    if down is None or silent is None:
        return FleetHours(as_of="", hours=[])
    as_of = down[0].instant
    start = (as_of // HOUR + 1 - hours) * HOUR
    going_on = as_of + 1  # an episode going on at as_of reaches into the hour holding it
    down_spans = ((p.outage.store_id, p.outage.started_at, p.outage.ended_at or going_on) for p in down[1])
    silent_spans = (
        (p.silence.store_id, p.silence.started_at, p.silence.ended_at or going_on) for p in silent[1]
    )
    counts = zip(
        stores_per_hour(down_spans, start, hours), stores_per_hour(silent_spans, start, hours), strict=True
    )
    return FleetHours(
        as_of=iso_text(as_of),
        hours=[
            FleetHour(start=iso_text(start + index * HOUR), down=d, silent=s)
            for index, (d, s) in enumerate(counts)
        ],
    )
