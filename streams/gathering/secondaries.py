"""The worker's tables read from its report process, as RocksDB secondary instances.

A gathering (a report, the fleet, the outages) reads every store a worker holds. Read by the worker,
those bytes would pass through its event loop and be pickled across to the report process, and the
threads doing that hold the interpreter lock in stretches that lookups wait behind. Instead the report
process opens each partition's database as a secondary instance: read-only, beside the worker's
primary, caught up on demand with everything the primary has written, its write-ahead log included.
Only the database paths and the instant cross between the processes. Nothing here touches Kafka.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

from rocksdict import AccessType, BlockBasedOptions, Options, Rdict


def _options() -> Options:
    options = Options(raw_mode=True)
    # Every table file stays open, so one the primary deletes after a compaction can still be read
    # until the next catch-up forgets it.
    options.set_max_open_files(-1)
    # A gathering reads every block once: a block cache would only hold a copy of the whole table
    # (RocksDB's default is 32 MiB per database); the operating system's page cache serves re-reads.
    table = BlockBasedOptions()
    table.disable_cache()
    options.set_block_based_table_factory(table)
    return options


def _identity(path: Path) -> bytes | None:
    """The database's unique id, new whenever the worker creates it afresh; None when it has none yet."""
    try:
        return (path / "IDENTITY").read_bytes()
    except FileNotFoundError:
        return None


class Secondaries:
    """Secondary instances of the worker's partition databases, kept open between gatherings.

    Catching up an open instance costs only what the primary wrote since the last one. An instance
    is opened again when its primary was made anew (a partition recovered into an empty directory),
    and closed when a gathering no longer asks for it (the partition moved to another worker).
    """

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch  # each instance keeps its own small files (its info log) here
        self._open: dict[Path, tuple[bytes, Rdict]] = {}

    def caught_up(self, path: Path) -> Rdict | None:
        """The database at ``path`` as the worker has written it so far; None when it does not exist."""
        identity = _identity(path)
        held = self._open.get(path)
        if held is not None and held[0] != identity:
            self._close(path)
            held = None
        if identity is None:
            return None
        if held is None:
            own = self.scratch / path.name
            shutil.rmtree(own, ignore_errors=True)
            self.scratch.mkdir(parents=True, exist_ok=True)
            held = identity, Rdict(str(path), options=_options(), access_type=AccessType.secondary(str(own)))
            self._open[path] = held
        database = held[1]
        database.try_catch_up_with_primary()
        return database

    def keep_only(self, paths: set[Path]) -> None:
        """Close the instances of every database but ``paths``."""
        for path in set(self._open) - paths:
            self._close(path)

    def _close(self, path: Path) -> None:
        _, database = self._open.pop(path)
        database.close()

    def close(self) -> None:
        self.keep_only(set())


def items(database: Rdict, hidden: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The database's items but the worker's own bookkeeping key ``hidden`` (raw mode: all bytes)."""
    return ((key, value) for key, value in database.items() if key != hidden)  # type: ignore[misc]
