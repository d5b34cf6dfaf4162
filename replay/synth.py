"""Deterministic, realistic datasets in the public file format, at any scale.

Stores poll about hourly with a per-store phase and jitter, miss some polls, go through outage runs,
and the ping rows come out shuffled with a few exact duplicates, as in the public files. Business
hours and timezones are either generated or taken from real files for the chosen stores.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from replay.rejects import Rejects
from replay.source import DataFile, FileKind, classify_header
from streams.engine.instants import dataset_text, to_instant
from streams.engine.units import HOUR, SECOND

DEFAULT_END = datetime(2023, 1, 25, 18, 13, 22, tzinfo=UTC)
PINGS_NAME, HOURS_NAME, TIMEZONES_NAME = "store_status.csv", "menu_hours.csv", "timezones.csv"

_ZONES = (
    ("America/New_York", 55),
    ("America/Los_Angeles", 22),
    ("America/Chicago", 12),
    ("America/Denver", 4),
    ("America/Phoenix", 3),
    ("Pacific/Honolulu", 1),
    ("", 3),  # no timezone row: the store falls back to America/Chicago
)
_MISSED_POLL = 0.04
_DUPLICATE = 0.001


@dataclass
class SynthSummary:
    stores: int
    pings: int
    path: Path


def synthesize(
    out: Path,
    stores: int,
    days: float,
    seed: int = 0,
    hours_file: Path | None = None,
    timezones_file: Path | None = None,
    end: datetime = DEFAULT_END,
) -> SynthSummary:
    """Write ``store_status.csv``, ``menu_hours.csv`` and ``timezones.csv`` into ``out``.

    ``out`` ending in ``.zip`` gives a zip archive, anything else a folder.
    """
    rng = random.Random(seed)
    if hours_file or timezones_file:
        store_ids, hours_rows, zone_rows = _real_profiles(rng, stores, hours_file, timezones_file)
        hours_header = (
            _header_of(hours_file)
            if hours_file
            else ["store_id", "dayOfWeek", "start_time_local", "end_time_local"]
        )
    else:
        store_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(stores)]
        hours_rows, zone_rows = _generated_profiles(rng, store_ids)
        hours_header = ["store_id", "dayOfWeek", "start_time_local", "end_time_local"]
    end_us = to_instant(end)
    ping_rows = list(_ping_rows(rng, store_ids, end_us - int(days * 24 * HOUR), end_us))
    rng.shuffle(ping_rows)
    files = {
        PINGS_NAME: _csv_text(["store_id", "status", "timestamp_utc"], ping_rows),
        HOURS_NAME: _csv_text(hours_header, hours_rows),
        TIMEZONES_NAME: _csv_text(["store_id", "timezone_str"], zone_rows),
    }
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
    else:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    return SynthSummary(stores=len(store_ids), pings=len(ping_rows), path=out)


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def _real_rows(path: Path, kind: FileKind) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    found = classify_header(header)
    if found is None or found[0] is not kind:
        raise ValueError(f"{path} is not a {kind.value} file (header {','.join(header)})")
    data_file = DataFile(path.name, kind, found[1], lambda: path.open(encoding="utf-8-sig", newline=""))
    rejects = Rejects()
    rows = [row for _, row in data_file.rows(rejects)]
    if rejects.total:
        raise ValueError(f"{path} has {rejects.total} malformed rows")
    return rows


def _real_profiles(
    rng: random.Random, stores: int, hours_file: Path | None, timezones_file: Path | None
) -> tuple[list[str], list[list[str]], list[list[str]]]:
    hours = _real_rows(hours_file, FileKind.HOURS) if hours_file else []
    zones = _real_rows(timezones_file, FileKind.TIMEZONES) if timezones_file else []
    known = sorted({row[0] for row in hours} | {row[0] for row in zones})
    if stores > len(known):
        raise ValueError(f"the given files name {len(known)} stores; asked for {stores}")
    chosen = set(rng.sample(known, stores))
    return (
        sorted(chosen),
        [row for row in hours if row[0] in chosen],
        [row for row in zones if row[0] in chosen],
    )


def _generated_profiles(rng: random.Random, store_ids: list[str]) -> tuple[list[list[str]], list[list[str]]]:
    names = [name for name, _ in _ZONES]
    weights = [weight for _, weight in _ZONES]
    hours: list[list[str]] = []
    zones: list[list[str]] = []
    for store_id in store_ids:
        zone = rng.choices(names, weights)[0]
        if zone:
            zones.append([store_id, zone])
        pattern = rng.random()
        if pattern < 0.15:
            continue  # no hours rows: open 24x7
        open_days = range(7) if rng.random() < 0.8 else sorted(rng.sample(range(7), rng.randint(1, 6)))
        for day in open_days:
            if pattern < 0.6:
                spans = [(rng.choice((9, 10, 11)), rng.choice((21, 22, 23)))]
            elif pattern < 0.8:
                spans = [(rng.choice((16, 17, 18)), rng.choice((0, 1, 2, 3)))]  # overnight
            else:
                spans = [(11, 14), (17, rng.choice((21, 22)))]  # lunch and dinner
            for start, stop in spans:
                hours.append(
                    [store_id, str(day), f"{start:02d}:00:00", f"{stop:02d}:{rng.choice((0, 30)):02d}:00"]
                )
    return hours, zones


def _ping_rows(rng: random.Random, store_ids: list[str], start: int, end: int) -> Iterator[list[str]]:
    for store_id in store_ids:
        phase = rng.randrange(HOUR)
        outage_rate = rng.choice((0.002, 0.01, 0.03, 0.08))
        recovery_rate = rng.uniform(0.2, 0.7)
        active = rng.random() > 0.05
        poll = start + phase
        while poll < end:
            if rng.random() < (outage_rate if active else recovery_rate):
                active = not active
            if rng.random() >= _MISSED_POLL:
                instant = poll + int(rng.gauss(0, 90 * SECOND))
                if start <= instant < end:
                    row = [store_id, "active" if active else "inactive", dataset_text(instant)]
                    yield row
                    if rng.random() < _DUPLICATE:
                        yield list(row)
            poll += HOUR
