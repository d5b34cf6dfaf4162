"""A report's record: what it is, how far it got, and who is computing it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from api.schemas import ReportStatus


@dataclass
class ReportRecord:
    report_id: str
    status: ReportStatus
    as_of_us: int | None
    created: float
    finished: float | None = None
    rows: int | None = None
    error: str | None = None
    owner: str | None = None  # the worker computing it (its canonical URL) while Running
    heartbeat: float | None = None  # when the owner last said it is still at it
    pieces: int = 0  # pieces of the CSV in the shared store, once Complete
    revision: int = 0  # bumped by every write, so an older write never replaces a newer one

    @classmethod
    def from_json(cls, body: bytes) -> ReportRecord:
        fields = json.loads(body)
        return cls(**{**fields, "status": ReportStatus(fields["status"])})


def write_atomically(target: Path, data: bytes) -> None:
    """Readers see the old file or the whole new one, never a part: write aside, then rename."""
    partial = target.with_name(target.name + ".tmp")
    partial.write_bytes(data)
    os.replace(partial, target)
