"""The offline report: the streaming engine run straight over dataset files, without Kafka.

Stores are split into partitions by a hash of their id, as the Kafka topics split them, and each
partition is read and computed by its own process; partitions share nothing but the final as_of.
"""

from __future__ import annotations

import heapq
import multiprocessing
import os
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from replay.partition import Partition
from replay.reader import packed_pings, read_profiles
from replay.rejects import DeadLetterFile, Rejects
from replay.source import DatasetError, open_dataset
from streams.contract.rejects import Reject
from streams.engine import (
    DEFAULT_PROFILE,
    DEFAULT_RETENTION,
    StoreState,
    UptimeRow,
    uptime_row,
    write_report_csv,
)
from streams.engine.history import DEFAULT_HISTORY_DAYS, DayFigures, store_history, write_history_csv
from streams.engine.instants import EventTimeGuard
from streams.engine.outages import store_outages
from streams.engine.units import LATEST
from streams.outages.records import OutageRecord, outage_record, write_outages_csv


@dataclass
class OfflineSummary:
    pings: int = 0
    stores: int = 0
    rows: int = 0
    outages: int = 0
    history_rows: int = 0
    as_of: int | None = None
    elapsed: float = 0.0
    rejected: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    dead_letters: Path | None = None


@dataclass
class _PartitionOutcome:
    rows: list[UptimeRow]
    outages: list[OutageRecord]
    history: list[tuple[str, DayFigures]]
    pings: int
    stores: int
    rejected: list[Reject]
    warnings: Counter[str]


@dataclass(frozen=True)
class _Job:
    """What every partition reads, and how: the dataset, the pings kept, whether outages are wanted,
    how many days of history (None: none), and the latest instant a ping may carry (the reading
    clock plus its allowance)."""

    source: str | Path
    retention: int
    outages: bool
    history_days: int | None
    not_after: int


class _PartitionRun:
    """Everything one partition does: read its rows, build its stores' states, answer at as_of."""

    def __init__(self, job: _Job, partition: Partition) -> None:
        self.source = job.source
        self.partition = partition
        # History reads every ping back to the first, which the report's window never needs.
        self.retention = job.retention if job.history_days is None else LATEST
        self.with_outages = job.outages
        self.history_days = job.history_days
        self.not_after = job.not_after
        self.rejected: list[Reject] = []
        self.rejects = Rejects(sink=self.rejected.append)
        self.by_store: dict[str, array[int]] = {}  # read by ``load``
        self.pings = 0

    def load(self) -> int | None:
        """Read this partition's profiles and pings; returns its latest ping instant."""
        # File-level problems were already counted once by the caller: count only rows here.
        with open_dataset(self.source, Rejects()) as dataset:
            dataset.rejects = self.rejects
            self.profiles = read_profiles(dataset, self.partition)
            self.by_store, self.pings = packed_pings(dataset, self.partition, self.not_after)
        return max((max(pings) >> 1 for pings in self.by_store.values()), default=None)

    def finish(self, as_of: int) -> _PartitionOutcome:
        rows = []
        outages: list[OutageRecord] = []
        history: list[tuple[str, DayFigures]] = []
        for store_id in sorted(self.by_store):
            profile = self.profiles.get(store_id, DEFAULT_PROFILE)
            pings = [(v >> 1, bool(v & 1)) for v in self.by_store[store_id] if v >> 1 <= as_of]
            if not pings:
                continue
            state = StoreState.from_pings(pings, profile, self.retention)
            row = uptime_row(store_id, state, profile, as_of)
            if row is not None:
                rows.append(row)
            if self.with_outages:
                zone = profile.effective_timezone
                outages.extend(outage_record(o, zone) for o in store_outages(store_id, state, profile, as_of))
            if self.history_days is not None:
                days = store_history(state, profile, as_of, self.history_days)
                history.extend((store_id, figures) for figures in days)
        return _PartitionOutcome(
            rows, outages, history, self.pings, len(self.by_store), self.rejected, self.rejects.warnings
        )


def _serve(connection: Connection, job: _Job, partition: Partition) -> None:
    """Child side of a partition: send the latest instant, receive as_of, send the outcome."""
    try:
        run = _PartitionRun(job, partition)
        connection.send(("latest", run.load()))
        as_of = connection.recv()
        connection.send(("outcome", run.finish(as_of)))
    except Exception as error:  # reported by the parent, which owns the exit status
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


def _receive(connection: Connection, expected: str) -> object:
    kind, payload = connection.recv()
    if kind == "error":
        raise DatasetError(f"partition failed: {payload}")
    if kind != expected:
        raise RuntimeError(f"partition process sent {kind!r} where {expected!r} was due")
    return payload


def offline_report(
    source: str | Path,
    out: Path,
    as_of: int | None = None,
    retention: int = DEFAULT_RETENTION,
    workers: int | None = None,
    outages_out: Path | None = None,
    guard: EventTimeGuard | None = None,
    history_out: Path | None = None,
    history_days: int = DEFAULT_HISTORY_DAYS,
) -> OfflineSummary:
    """Write the report CSV for ``source`` at ``as_of`` (default: the latest valid ping), with
    ``outages_out`` the outages in the week before it, by store and start, and with ``history_out``
    each store's daily history (its last ``history_days`` dates through as_of's), by store and date.

    Rejected rows go to ``<out stem>.rejects.csv`` beside the report, created only when there are any;
    a ping stamped further after this clock than ``guard`` allows (default: five minutes) is one.
    """
    started = time.perf_counter()
    dead_letters = DeadLetterFile(out.with_name(out.stem + ".rejects.csv"))
    dead_letters.path.unlink(missing_ok=True)  # an earlier run's, which this run's must not be mistaken for
    file_rejects: list[Reject] = []
    rejects = Rejects(sink=file_rejects.append)
    with open_dataset(source, rejects) as dataset:
        dataset.check_complete()
    count = max(1, workers or os.cpu_count() or 1)
    job = _Job(
        source,
        retention,
        outages_out is not None,
        history_days if history_out is not None else None,
        (guard or EventTimeGuard()).not_after(),
    )
    if count == 1:
        run = _PartitionRun(job, Partition(0, 1))
        latest = run.load()
        as_of = as_of if as_of is not None else latest
        outcomes = [run.finish(as_of if as_of is not None else 0)]
    else:
        outcomes, as_of = _run_partitions(job, count, as_of)

    summary = OfflineSummary(as_of=as_of, rejected=Counter(rejects.counts))
    for reject in file_rejects:
        dead_letters(reject)
    for outcome in outcomes:
        summary.pings += outcome.pings
        summary.stores += outcome.stores
        summary.warnings.update(outcome.warnings)
        for reject in outcome.rejected:
            summary.rejected[reject.reason] += 1
            dead_letters(reject)
    dead_letters.close()
    if dead_letters.written:
        summary.dead_letters = dead_letters.path

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        rows = heapq.merge(*(outcome.rows for outcome in outcomes), key=lambda row: row.store_id)
        summary.rows = write_report_csv(rows if as_of is not None else (), handle)
    if outages_out is not None:
        outages_out.parent.mkdir(parents=True, exist_ok=True)
        with outages_out.open("w", newline="", encoding="utf-8") as handle:
            records = heapq.merge(
                *(outcome.outages for outcome in outcomes), key=lambda o: (o["store_id"], o["started_at"])
            )
            summary.outages = write_outages_csv(records, handle)
    if history_out is not None:
        history_out.parent.mkdir(parents=True, exist_ok=True)
        with history_out.open("w", newline="", encoding="utf-8") as handle:
            days = heapq.merge(*(outcome.history for outcome in outcomes), key=lambda entry: entry[0])
            summary.history_rows = write_history_csv(days, handle)
    summary.elapsed = time.perf_counter() - started
    return summary


def _run_partitions(job: _Job, count: int, as_of: int | None) -> tuple[list[_PartitionOutcome], int | None]:
    context = multiprocessing.get_context("fork")
    connections = []
    processes = []
    for index in range(count):
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_serve, args=(child_end, job, Partition(index, count)), daemon=True)
        process.start()
        child_end.close()
        connections.append(parent_end)
        processes.append(process)
    try:
        latests = [_receive(connection, "latest") for connection in connections]
        if as_of is None:
            as_of = max((latest for latest in latests if isinstance(latest, int)), default=None)
        for connection in connections:
            connection.send(as_of if as_of is not None else 0)
        outcomes = [_receive(connection, "outcome") for connection in connections]
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    return [o for o in outcomes if isinstance(o, _PartitionOutcome)], as_of
