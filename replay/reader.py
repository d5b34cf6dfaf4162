"""Streaming readers of a dataset's rows: pings one by one, and store profiles gathered per store."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import TypeVar

from tqdm import tqdm

from replay.parsing import Ping, RowError, parse_closure, parse_hours, parse_ping, parse_store_id
from replay.partition import LineShare, Partition
from replay.source import DataFile, Dataset, FileKind
from streams.engine import StoreProfile

T = TypeVar("T")


def iter_pings(
    dataset: Dataset,
    partition: Partition | None = None,
    not_after: int | None = None,
    share: LineShare | None = None,
) -> Iterator[Ping]:
    """Valid pings in file order; every invalid row goes to the dataset's rejects with its reason.

    With ``partition``, only rows whose store belongs to it are read (and rejected); with ``share``,
    only the lines in it. A ping stamped after ``not_after`` (the reading clock plus its allowance) is
    refused ``from_the_future``.
    """
    rejects = dataset.rejects
    for data_file in dataset.of_kind(FileKind.PINGS):
        store_col = data_file.columns["store_id"]
        status_col = data_file.columns["status"]
        time_col = data_file.columns["timestamp_utc"]
        for line, row in data_file.rows(rejects, partition, share):
            if partition is not None and not partition.owns(row[store_col]):
                continue
            try:
                yield parse_ping(row[store_col], row[status_col], row[time_col], not_after)
            except RowError as error:
                rejects.add(data_file.name, line, error.reason, error.detail, row)


def packed_pings(
    dataset: Dataset,
    partition: Partition | None = None,
    not_after: int | None = None,
    share: LineShare | None = None,
    progress: bool = True,
) -> tuple[defaultdict[str, array[int]], int]:
    """Each store's valid pings in file order (``iter_pings``), each packed in one int64 as
    ``instant * 2 + active``: a tenth of the memory of (instant, active) tuples, which is what keeps
    100,000 stores' week of pings under a gigabyte, and in time order once sorted. Also how many.
    ``progress``: a progress bar on a terminal."""
    by_store: defaultdict[str, array[int]] = defaultdict(lambda: array("q"))
    count = 0
    part = partition or share
    label = "pings" if part is None else f"pings {part.index + 1}/{part.count}"
    position = 0 if part is None else part.index
    shown = None if progress else True  # tqdm's: None draws on a terminal only, True never
    with tqdm(unit=" pings", desc=label, position=position, disable=shown, mininterval=0.5) as bar:
        for store_id, instant, active in iter_pings(dataset, partition, not_after, share):
            by_store[store_id].append(instant * 2 + active)
            count += 1
            if not count & 0xFFFF:
                bar.update(0x10000)
        bar.update(count & 0xFFFF)
    return by_store, count


def read_profiles(dataset: Dataset, partition: Partition | None = None) -> dict[str, StoreProfile]:
    """Profiles of every store named by the hours, timezone or closures files.

    An unknown timezone name is kept (the store falls back to the default zone) and counted as a
    warning; conflicting timezone rows for one store keep the last and are counted too.
    """
    rejects = dataset.rejects
    hours = _parsed_by_store(dataset, FileKind.HOURS, partition, parse_hours, _HOURS_COLUMNS)
    zones: dict[str, str | None] = {}
    for data_file, _, row, store_id in _rows_with_store(dataset, FileKind.TIMEZONES, partition):
        zone = row[data_file.columns["timezone_str"]].strip() or None
        if zones.get(store_id, zone) != zone:
            rejects.warn("conflicting_timezone")
        zones[store_id] = zone
    closures = _parsed_by_store(dataset, FileKind.CLOSURES, partition, parse_closure, _CLOSURE_COLUMNS)
    profiles = {}
    for store_id in hours.keys() | zones.keys() | closures.keys():
        profile = StoreProfile(
            timezone=zones.get(store_id),
            hours=tuple(hours.get(store_id, ())),
            closures=tuple(closures.get(store_id, ())),
        )
        if not profile.timezone_known:
            rejects.warn("unknown_timezone")
        profiles[store_id] = profile
    return profiles


_HOURS_COLUMNS = ("day", "start_time_local", "end_time_local")
_CLOSURE_COLUMNS = ("start_date", "end_date", "reason")


def _parsed_by_store(
    dataset: Dataset,
    kind: FileKind,
    partition: Partition | None,
    parse: Callable[[str, str, str], T],
    columns: tuple[str, str, str],
) -> defaultdict[str, list[T]]:
    """Entries of every file of ``kind``, by store: ``parse`` of the row's three ``columns``; a row
    it refuses is kept in the rejects with its reason."""
    found: defaultdict[str, list[T]] = defaultdict(list)
    for data_file, line, row, store_id in _rows_with_store(dataset, kind, partition):
        first, second, third = (row[data_file.columns[name]] for name in columns)
        try:
            found[store_id].append(parse(first, second, third))
        except RowError as error:
            dataset.rejects.add(data_file.name, line, error.reason, error.detail, row)
    return found


def _rows_with_store(
    dataset: Dataset, kind: FileKind, partition: Partition | None
) -> Iterator[tuple[DataFile, int, list[str], str]]:
    """Rows of every file of ``kind`` in ``partition`` with a valid store id (others are rejected)."""
    for data_file in dataset.of_kind(kind):
        column = data_file.columns["store_id"]
        for line, row in data_file.rows(dataset.rejects, partition):
            if partition is not None and not partition.owns(row[column]):
                continue
            try:
                store_id = parse_store_id(row[column])
            except RowError as error:
                dataset.rejects.add(data_file.name, line, error.reason, error.detail, row)
                continue
            yield data_file, line, row, store_id
