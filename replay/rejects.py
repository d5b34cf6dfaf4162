"""Rejected input: counted by reason and kept with its reason, never dropped silently."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from streams.contract.rejects import Reject

RejectSink = Callable[[Reject], None]

DEAD_LETTER_HEADER = ("source", "line", "reason", "detail", "row")


@dataclass
class Rejects:
    """Counts by reason and hands every reject to a sink (a dead-letter file or topic)."""

    sink: RejectSink | None = None
    counts: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)

    def add(self, source: str, line: int, reason: str, detail: str, row: Sequence[str] = ()) -> None:
        self.counts[reason] += 1
        if self.sink is not None:
            self.sink(Reject(source, line, reason, detail, tuple(row)))

    def only(self, owns_line: Callable[[int], bool]) -> Rejects:
        """A view that passes on the refusals of the lines ``owns_line`` accepts and drops the others,
        which another reader of the same file counts."""
        return _LineFilter(self, owns_line)

    def warn(self, reason: str) -> None:
        """A data problem that was handled by a documented fallback (e.g. an unknown timezone)."""
        self.warnings[reason] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class _LineFilter(Rejects):
    def __init__(self, inner: Rejects, owns_line: Callable[[int], bool]) -> None:
        super().__init__(inner.sink, inner.counts, inner.warnings)
        self.owns_line = owns_line

    def add(self, source: str, line: int, reason: str, detail: str, row: Sequence[str] = ()) -> None:
        if self.owns_line(line):
            super().add(source, line, reason, detail, row)


class DeadLetterFile:
    """Writes rejects as CSV; the raw row is kept joined by commas so nothing is lost."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None
        self.written = 0

    def __call__(self, reject: Reject) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", newline="", encoding="utf-8")
            self._writer = csv.DictWriter(self._handle, DEAD_LETTER_HEADER)
            self._writer.writeheader()
        self._writer.writerow({**reject._asdict(), "row": ",".join(reject.row)})
        self.written += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self._writer = None
