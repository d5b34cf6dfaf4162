"""Where a worker's tables lie on disk, as its report processes need to read them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Cut:
    """Where the tables of the partitions a worker holds lie, for its report process to read them."""

    partitions: tuple[tuple[Path, Path], ...]  # per partition: its states' and its profiles' database
    hidden: bytes  # the worker's own bookkeeping key in each database, not a store
    scratch: Path  # where the report process keeps its secondary instances' own files
    history: tuple[Path, ...] = ()  # per partition likewise: its frozen history dates' database
