"""Publishing a dataset to Kafka: store profiles first, then pings in timestamp order.

Pings are sent in frames of dataset time. Within a frame each store's pings travel as one message
keyed by its id, so per-store order is kept, frames follow each other in time, and the worker pays
one event and one table write per store and frame instead of per ping. Paced replays (``speed``)
send each frame when its dataset time comes round, scaled; the frame then shrinks to a quarter of a
second of wall time so pacing stays smooth. A replay shifted to now moves every ping by one amount, so
that the last is stamped with the moment the dataset was read: history turned into a live fleet, for
demos and for trying a deployment on the wall clock.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from connectors.kafka import KafkaConnection, Publisher
from replay.reader import iter_pings, read_profiles
from replay.rejects import Rejects
from replay.source import open_dataset
from streams.contract.messages import encode_pings, encode_profile
from streams.contract.rejects import Reject, encode_reject
from streams.engine import DAY, HOUR, SECOND
from streams.engine.instants import EventTimeGuard, wall_clock
from streams.layout import ensure_layout, planned_layout
from streams.topics import Topics

_TICK = 0.25  # seconds of wall time per frame in a paced replay
# Dataset time per frame at full speed: about 48 hourly pings per store and message.
DEFAULT_FRAME = 2 * DAY


@dataclass
class ReplaySummary:
    profiles: int = 0
    pings: int = 0
    messages: int = 0
    shifted_by: int = 0  # microseconds added to every ping's instant
    elapsed: float = 0.0
    rejected: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.pings / self.elapsed if self.elapsed else 0.0

    @property
    def shift(self) -> str:
        """``shifted_by`` as people read it, and exactly: ``1,412 d 3.25 h (122,008,500,000,000 µs)``."""
        days, rest = divmod(self.shifted_by, DAY)
        return f"{days:,} d {rest / HOUR:.2f} h ({self.shifted_by:,} µs)"


async def publish_dataset(
    source: str | Path,
    kafka: KafkaConnection,
    topics: Topics,
    partitions: int,
    replication: int | None = None,
    speed: float | None = None,
    frame: int = DEFAULT_FRAME,
    progress: bool = True,
    guard: EventTimeGuard | None = None,
    shift_to_now: bool = False,
) -> ReplaySummary:
    """Publish ``source``; ``speed`` None means as fast as possible, else dataset seconds per wall second.

    The topics are created first when missing (``partitions`` for pings and profiles, ``replication``
    replicas each: by default three, or every broker when fewer). A ping stamped further after this
    clock than ``guard`` allows (default: five minutes) is refused ``from_the_future``, like any bad row.
    ``shift_to_now`` moves every ping so that the last is stamped now (refused pings keep their rows).
    """
    started = time.perf_counter()
    summary = ReplaySummary()
    rejected: list[Reject] = []
    rejects = Rejects(sink=rejected.append)
    stores: list[str] = []
    instants: list[int] = []
    flags = bytearray()
    with open_dataset(source, rejects) as dataset:
        profiles = read_profiles(dataset)
        for store_id, instant, active in tqdm(
            iter_pings(dataset, not_after=(guard or EventTimeGuard()).not_after()),
            desc="reading",
            unit=" pings",
            disable=not progress or None,
            mininterval=0.5,
        ):
            stores.append(store_id)
            instants.append(instant)
            flags.append(active)
    if shift_to_now and instants:
        summary.shifted_by = wall_clock() - max(instants)
        instants = [instant + summary.shifted_by for instant in instants]
    order = sorted(range(len(instants)), key=instants.__getitem__)

    await ensure_layout(kafka, await planned_layout(kafka, topics, partitions, replication, None))
    producer = Publisher(kafka)
    await producer.start()
    try:
        summary.profiles = await producer.send_all(
            topics.profiles,
            ((store_id, encode_profile(profile)) for store_id, profile in sorted(profiles.items())),
        )
        await producer.send_all(topics.rejects, ((r.source, encode_reject(r)) for r in rejected))
        if speed is not None:
            frame = min(frame, int(_TICK * speed * SECOND))
        bar = tqdm(
            total=len(order), desc="publishing", unit=" pings", disable=not progress or None, mininterval=0.5
        )
        with bar:
            wall_start, data_start = time.monotonic(), instants[order[0]] if order else 0
            i = 0
            while i < len(order):
                frame_end = instants[order[i]] + frame
                batch: dict[str, list[tuple[int, bool]]] = {}
                while i < len(order) and instants[order[i]] < frame_end:
                    k = order[i]
                    batch.setdefault(stores[k], []).append((instants[k], bool(flags[k])))
                    i += 1
                if speed is not None:
                    due = wall_start + (frame_end - data_start) / SECOND / speed
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                summary.messages += await producer.send_all(
                    topics.pings,
                    ((store_id, encode_pings(pings)) for store_id, pings in batch.items()),
                )
                bar.update(sum(len(pings) for pings in batch.values()))
        summary.pings = len(order)
    finally:
        await producer.stop()
    summary.rejected = rejects.counts
    summary.warnings = rejects.warnings
    summary.elapsed = time.perf_counter() - started
    return summary
