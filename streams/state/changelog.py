"""How a store's state reaches its changelog: small records per change, never the whole state per ping.

The worker keeps each store's whole state (its kept pings and running totals) in its local RocksDB.
Writing that whole state to the changelog on every message would cost bytes in proportion to the
store's history (about 17 bytes per kept ping, per message) and, for a dense pinger, exceed Kafka's
message size limit. Instead the changelog holds, per store, records under their own keys:

* a **delta** in slot ``n`` of the current generation: the pings one message changed;
* a **snapshot** of every kept ping, in chunks that stay far below the broker's message limit, which
  starts a new generation. Chunks alternate between two key ranges by generation, so a snapshot cut
  short by a crash never overwrites the last complete one.

Deltas reuse the slots of earlier generations, so Kafka's compaction drops superseded ones without
tombstones. A new snapshot is taken when the deltas since the last one number half the kept pings
(at least ``MIN_SLOTS``): its bytes, spread over those deltas, add a small constant per ping. So the
bytes written per ping stay bounded whatever the store's history or density.

Recovery applies the records of a store in any order and takes the union of their pings: the
engine's state is a canonical function of its set of pings, every kept ping is in a surviving record,
and stale records only repeat pings that the state keeps or prunes again.

A state changed by a worker run that has since ended may be ahead of its changelog (a crash loses
the producer's unsent records, and the messages are then processed again as duplicates). So the
first write for a store in each run (``epoch``) is a snapshot. Nothing here touches Kafka.

Records carry their format: the kind byte of the key (``d`` and ``s``) names format 1, and a later
format takes other kind bytes, so no version reads another's records as its own. A record this
version cannot read stops the worker (``StateFormatError``) rather than being skipped: skipping it
would silently lose the pings it holds.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from streams.engine import DEFAULT_RETENTION, StoreProfile, StoreState

Ping = tuple[int, bool]
Record = tuple[bytes, bytes]

DELTA = b"d"
SNAPSHOT = b"s"
MIN_SLOTS = 32
# 9 bytes per ping: 450 KB per chunk, below Kafka's default 1 MiB message and request limits.
CHUNK_PINGS = 50_000

_TAIL = struct.Struct(">cI")  # after the store id: record kind, slot or chunk number
_GENERATION = struct.Struct("<I")
_POSITION = struct.Struct("<III")


FORMAT_VERSION = 1  # the record kinds DELTA and SNAPSHOT


class ChangelogError(ValueError):
    """A changelog record this version cannot read."""


class StateFormatError(RuntimeError):
    """State this version cannot read: the worker stops, saying what and what to do."""


@dataclass(frozen=True, slots=True)
class LogPosition:
    """Where a store's next changelog record goes; kept after the state in its local value."""

    generation: int = 0
    slot: int = 0  # the next delta slot of this generation
    epoch: int = 0  # the worker run that wrote this generation; 0 when rebuilt from the changelog

    def encode(self) -> bytes:
        return _POSITION.pack(self.generation, self.slot, self.epoch)


def local_value(state: StoreState, position: LogPosition) -> bytes:
    """A store's value in the local table: the encoded state, then its log position."""
    return state.encode() + position.encode()


def split_local(value: bytes) -> tuple[StoreState, LogPosition]:
    position = LogPosition(*_POSITION.unpack_from(value, len(value) - _POSITION.size))
    return StoreState.decode(value), position


def record_key(store: bytes, kind: bytes, number: int) -> bytes:
    return store + _TAIL.pack(kind, number)


def parse_key(key: bytes) -> tuple[bytes, bytes, int]:
    """``(store id, kind, number)`` of a record key."""
    if len(key) <= _TAIL.size:
        raise ChangelogError(f"changelog key too short: {key!r}")
    kind, number = _TAIL.unpack_from(key, len(key) - _TAIL.size)
    if kind not in (DELTA, SNAPSHOT):
        raise ChangelogError(f"record kind {kind!r} is not one of format {FORMAT_VERSION}")
    return key[: -_TAIL.size], kind, number


def encode_record(generation: int, pings: Sequence[Ping]) -> bytes:
    return _encoded(generation, [instant for instant, _ in pings], bytes(int(active) for _, active in pings))


def _encoded(generation: int, instants: Sequence[int], flags: bytes | bytearray) -> bytes:
    """A record value: the generation, the pings' instants, then their flags (0 or 1)."""
    times = array("q", instants)
    if sys.byteorder != "little":
        times.byteswap()
    return _GENERATION.pack(generation) + times.tobytes() + flags


def decode_record(value: bytes) -> tuple[int, list[Ping]]:
    """``(generation, pings)`` of a record value."""
    if (len(value) - _GENERATION.size) % 9:
        raise ChangelogError(f"changelog record of {len(value)} bytes is not a whole number of pings")
    (generation,) = _GENERATION.unpack_from(value)
    count = (len(value) - _GENERATION.size) // 9
    times = array("q")
    times.frombytes(value[_GENERATION.size : _GENERATION.size + 8 * count])
    if sys.byteorder != "little":
        times.byteswap()
    flags = value[_GENERATION.size + 8 * count :]
    return generation, [(instant, bool(flag)) for instant, flag in zip(times, flags, strict=True)]


def changelog_records(
    store: bytes, state: StoreState, changed: Sequence[Ping], position: LogPosition, epoch: int
) -> tuple[LogPosition, list[Record]]:
    """The records that make the changelog hold ``state`` after ``changed`` were applied to it.

    ``changed`` are the pings that added to or changed the state; none means nothing to write,
    unless this run (``epoch``) has not written the store yet.
    """
    if position.epoch == epoch:
        if not changed:
            return position, []
        if len(changed) <= CHUNK_PINGS and position.slot < max(MIN_SLOTS, len(state.times) // 2):
            record = (record_key(store, DELTA, position.slot), encode_record(position.generation, changed))
            return LogPosition(position.generation, position.slot + 1, epoch), [record]
    generation = position.generation + 1
    times, flags = state.times, state.active
    starts = range(0, len(times), CHUNK_PINGS) or range(1)
    records = [
        (
            record_key(store, SNAPSHOT, 2 * index + generation % 2),
            _encoded(generation, times[start : start + CHUNK_PINGS], flags[start : start + CHUNK_PINGS]),
        )
        for index, start in enumerate(starts)
    ]
    return LogPosition(generation, 0, epoch), records


def recovered(
    stored: bytes | None,
    records: Iterable[tuple[int, list[Ping]]],
    profile: StoreProfile,
    retention: int = DEFAULT_RETENTION,
) -> bytes:
    """The local value of a store after folding decoded ``(generation, pings)`` records into what it held."""
    pings: list[Ping] = []
    generation = 0
    if stored is not None:
        state, position = split_local(stored)
        pings = state.pings()
        generation = position.generation
    for record_generation, record_pings in records:
        generation = max(generation, record_generation)
        pings.extend(record_pings)
    return local_value(StoreState.from_pings(pings, profile, retention), LogPosition(generation, 0, 0))
