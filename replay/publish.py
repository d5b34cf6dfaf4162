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
import heapq
import time
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

from tqdm import tqdm

from connectors.kafka import KafkaConnection, Publisher
from replay.reader import read_profiles
from replay.rejects import Rejects
from replay.source import Dataset, open_dataset
from replay.split_reading import read_store_pings
from streams.contract.messages import encode_pings, encode_profile
from streams.contract.rejects import Reject, encode_reject
from streams.engine import DAY, HOUR, SECOND
from streams.engine.instants import EventTimeGuard, wall_clock
from streams.layout import ensure_layout, planned_layout
from streams.topics import Topics

# (first instant, frame end, [(store id, its packed pings in the frame), ...])
Frame = tuple[int, int, list[tuple[str, "array[int]"]]]
_TICK = 0.25  # seconds of wall time per frame in a paced replay
# Dataset time per frame at full speed: a store's retention (8 days, about 190 hourly pings) in one
# message, so that the worker pays one event, one state write and one changelog record per store and
# week replayed rather than several.
DEFAULT_FRAME = 8 * DAY
# Most pings in one message: about 220 KB of JSON, well below a broker's default 1 MiB message limit
# (a store pinging every 10 s has 69,120 pings in a frame).
MESSAGE_PINGS = 10_000


@dataclass
class ReplaySummary:
    profiles: int = 0
    pings: int = 0
    messages: int = 0
    shifted_by: int = 0  # microseconds added to every ping's instant
    elapsed: float = 0.0
    reading: float = 0.0  # seconds from the start until every ping was read, before the first was sent
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
    not_after = (guard or EventTimeGuard()).not_after()
    with open_dataset(source, rejects) as dataset:
        dataset.check_complete()  # before anything is created or sent
        await ensure_layout(kafka, await planned_layout(kafka, topics, partitions, replication, None))
        producer = Publisher(kafka)
        await producer.start()
        try:
            # The profiles go out while the pings are read: the worker takes them in meanwhile.
            profiles = _send_profiles(producer, topics.profiles, dataset)
            found, summary.profiles = await read_store_pings(dataset, not_after, profiles, progress=progress)
            summary.reading = time.perf_counter() - started
            rejects.counts.update(found.counts)
            rejected.extend(found.rejected)
            await producer.send_all(topics.rejects, ((r.source, encode_reject(r)) for r in rejected))
            by_store = found.by_store
            if shift_to_now and by_store:
                summary.shifted_by = wall_clock() - max(pings[-1] >> 1 for pings in by_store.values())
                shift = 2 * summary.shifted_by  # packed: the active bit stays as it is
                by_store = {
                    store: array("q", [v + shift for v in pings]) for store, pings in by_store.items()
                }
            if speed is not None:
                frame = min(frame, int(_TICK * speed * SECOND))
            summary.messages = await _send_frames(
                producer, topics.pings, frames(by_store, frame), speed, found.count, progress
            )
            summary.pings = found.count
        finally:
            await producer.stop()
    summary.rejected = rejects.counts
    summary.warnings = rejects.warnings
    summary.elapsed = time.perf_counter() - started
    return summary


async def _send_profiles(producer: Publisher, topic: str, dataset: Dataset) -> int:
    profiles = read_profiles(dataset)
    return await producer.send_all(
        topic, ((store_id, encode_profile(profile)) for store_id, profile in sorted(profiles.items()))
    )


async def _send_frames(
    producer: Publisher, topic: str, framed: Iterator[Frame], speed: float | None, total: int, progress: bool
) -> int:
    """Send each frame's messages, at ``speed`` or at once; how many messages."""
    sent = 0
    with tqdm(
        total=total, desc="publishing", unit=" pings", disable=not progress or None, mininterval=0.5
    ) as bar:
        wall_start = time.monotonic()
        for data_start, frame_end, batch in framed:
            if speed is not None:
                due = wall_start + (frame_end - data_start) / SECOND / speed
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            sent += await producer.send_all(
                topic, ((store_id, encode_pings(map(divmod, pings, repeat(2)))) for store_id, pings in batch)
            )
            bar.update(sum(len(pings) for _, pings in batch))
    return sent


def frames(by_store: dict[str, array[int]], frame: int, most: int = MESSAGE_PINGS) -> Iterator[Frame]:
    """The frames of sorted packed pings: ``(first instant, frame end, [(store, its pings in the frame),
    ...])``, frames of ``frame`` dataset time from the first ping on (empty ones skipped), stores in
    the order of their first ping in the frame; a store's pings in a frame in pieces of at most
    ``most``, one after the other."""
    heap = [(pings[0], store) for store, pings in by_store.items() if pings]
    heapq.heapify(heap)
    cursors = dict.fromkeys(by_store, 0)
    first = heap[0][0] >> 1 if heap else 0
    while heap:
        end = first + ((heap[0][0] >> 1) - first) // frame * frame + frame
        bound = 2 * end
        batch: list[tuple[str, array[int]]] = []
        while heap and heap[0][0] < bound:
            _, store = heapq.heappop(heap)
            pings, cursor = by_store[store], cursors[store]
            cut = bisect_left(pings, bound, cursor)
            batch.extend((store, pings[start : min(start + most, cut)]) for start in range(cursor, cut, most))
            cursors[store] = cut
            if cut < len(pings):
                heapq.heappush(heap, (pings[cut], store))
        yield first, end, batch
