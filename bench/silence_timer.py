"""The silence timer at fleet scale: what a tick costs when nothing is due, in a live second, and when
every store falls silent at once (an upstream producer broken).

The worker's ``Silences`` runs over tables held in memory (encoded states, decoded as the worker's
RocksDB reads are), with hourly pingers in their own zones and hours; records go to a sink that
only counts them. Prints microseconds per tick and per store announced.

    .venv/bin/python -m bench.silence_timer [--stores 100000]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry

from streams.engine import HOUR, MINUTE, SECOND, HoursRow, StoreProfile, StoreState
from streams.engine.silences import DEFAULT_SILENCE
from streams.metrics import StreamMetrics
from streams.progress import AfterRebalance
from streams.silences.publishing import Silences
from streams.state.changelog import LogPosition

ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
START = 1_674_000_000 * SECOND  # January 2023
DAYS = 2


class MemoryTables:
    """The two tables' reads the timer makes, from encoded states in memory."""

    def __init__(
        self, states: dict[bytes, bytes], profiles: dict[bytes, StoreProfile], partitions: int
    ) -> None:
        self.states = states
        self.profiles = profiles
        self.partitions = partitions

    def entry(self, key: bytes) -> tuple[StoreState, LogPosition]:
        return StoreState.decode(self.states[key]), LogPosition()

    def profile(self, key: bytes) -> StoreProfile:
        return self.profiles[key]

    def encoded_items(self) -> Iterator[tuple[bytes, bytes]]:
        return iter(self.states.items())


class Counted:
    def __init__(self) -> None:
        self.records = 0

    def __call__(self, *, key: bytes, value: bytes | None, partition: int, backlog: bool) -> None:
        self.records += 1


def fleet(stores: int) -> tuple[MemoryTables, int]:
    """``stores`` hourly pingers over two days, each with its own minute; the latest ping of all."""
    rng = random.Random(7)
    states: dict[bytes, bytes] = {}
    profiles: dict[bytes, StoreProfile] = {}
    latest = 0
    for n in range(stores):
        zone = rng.choice(ZONES)
        hours = () if n % 3 == 0 else tuple(HoursRow(day, 9 * 3600, 22 * 3600) for day in range(7))
        profile = StoreProfile(zone, hours)
        phase = rng.randrange(60) * MINUTE
        pings = [(START + h * HOUR + phase, rng.random() > 0.05) for h in range(DAYS * 24)]
        key = f"store-{n}".encode()
        states[key] = StoreState.from_pings(pings, profile).encode()
        profiles[key] = profile
        latest = max(latest, pings[-1][0])
    return MemoryTables(states, profiles, 8), latest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=100_000)
    args = parser.parse_args()
    tables, latest = fleet(args.stores)
    now = [latest]
    sink = Counted()
    rebalanced = AfterRebalance(lambda: 1, lambda: True)  # the first tick watches every store
    silences = Silences(
        tables,  # type: ignore[arg-type]
        sink,
        DEFAULT_SILENCE,
        lambda: now[0],
        StreamMetrics(CollectorRegistry()),
        rebalanced,
    )
    started = time.perf_counter()
    silences.tick()
    print(f"{args.stores:,} stores: first tick, watching every store, {time.perf_counter() - started:.3f} s")

    idle = timed(silences, 1_000)
    print(f"a tick with nothing due: {idle * 1e6:.2f} µs")

    # Live: the fleet goes on pinging hourly for three hours of wall time, one tick a second, so
    # every store's entry falls due and is looked at again.
    keys = list(tables.states)
    per_second = len(keys) / 3600
    live_seconds = 3 * 3600
    due_work, pinged = 0.0, 0.0
    for second in range(live_seconds):
        now[0] = latest + (second + 1) * SECOND
        while pinged < (second + 1) * per_second:
            key = keys[int(pinged) % len(keys)]
            state = StoreState.decode(tables.states[key])
            state.add(now[0], True, tables.profiles[key])
            tables.states[key] = state.encode()
            silences.watch.note(key, now[0] + DEFAULT_SILENCE)
            pinged += 1
        due_work += timed(silences, 1)
    print(
        f"three live hours, one tick a second: {due_work / live_seconds * 1e6:.1f} µs per tick on average, "
        f"{sink.records} silences announced"
    )

    # Every store stops: the next hours announce them all as each falls silent.
    stopped, records_before, announced_work = now[0], sink.records, 0.0
    for minute in range(24 * 60):
        now[0] = stopped + (minute + 1) * MINUTE
        announced_work += timed(silences, 1)
    announced = sink.records - records_before
    print(
        f"every store stops pinging: {announced:,} silences announced over the next day, "
        f"{announced_work:.2f} s of ticks, {announced_work / max(announced, 1) * 1e6:.1f} µs per store"
    )


def timed(silences: Any, ticks: int) -> float:
    """Seconds per tick over ``ticks`` ticks."""
    started = time.perf_counter()
    for _ in range(ticks):
        silences.tick()
    return (time.perf_counter() - started) / ticks


if __name__ == "__main__":
    main()
