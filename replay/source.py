"""Where a dataset lives (a zip file, a zip at an http(s) URL, or a folder) and which file is which.

Files are recognised by their header row, never by their name, so both public versions of the
dataset (and renamed copies) load as they are.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO

import httpx

from replay.partition import BLOCK, LineShare, Partition
from replay.rejects import Rejects


class FileKind(Enum):
    PINGS = "pings"
    HOURS = "business hours"
    TIMEZONES = "timezones"
    CLOSURES = "closures"


# Every dataset has these; a closures file is optional (without it no store has closures).
REQUIRED_KINDS = (FileKind.PINGS, FileKind.HOURS, FileKind.TIMEZONES)

# Column name -> canonical name, per kind. ``day`` is the first public version's name for ``dayOfWeek``.
LAYOUTS: dict[FileKind, dict[str, str]] = {
    FileKind.PINGS: {"store_id": "store_id", "status": "status", "timestamp_utc": "timestamp_utc"},
    FileKind.HOURS: {
        "store_id": "store_id",
        "dayofweek": "day",
        "day": "day",
        "start_time_local": "start_time_local",
        "end_time_local": "end_time_local",
    },
    FileKind.TIMEZONES: {"store_id": "store_id", "timezone_str": "timezone_str"},
    FileKind.CLOSURES: {
        "store_id": "store_id",
        "start_date": "start_date",
        "end_date": "end_date",
        "reason": "reason",
    },
}
EXPECTED_HEADERS = {
    FileKind.PINGS: "store_id,status,timestamp_utc",
    FileKind.HOURS: "store_id,dayOfWeek (or day),start_time_local,end_time_local",
    FileKind.TIMEZONES: "store_id,timezone_str",
    FileKind.CLOSURES: "store_id,start_date,end_date,reason",
}
# Zip members are refused as likely zip bombs when they would unpack past this size, or when a large
# member compresses far better than any real CSV does (the public files compress about 4:1).
MAX_MEMBER_BYTES = 4 << 30
MAX_RATIO_ABOVE = 64 << 20
MAX_RATIO = 100


class DatasetError(Exception):
    """The dataset as a whole cannot be used (missing file, unreadable archive)."""


@dataclass(frozen=True)
class DataFile:
    """One recognised CSV file: its name, kind, column positions and a way to open it as text."""

    name: str
    kind: FileKind
    columns: dict[str, int]
    open_text: Callable[[], IO[str]]

    def rows(
        self, rejects: Rejects, partition: Partition | None = None, share: LineShare | None = None
    ) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) for every data row after the header that has the header's width.

        Blank lines are skipped; rows of another width, and lines the CSV parser cannot split, are
        rejected with their line. Lines are parsed a block at a time. No field of these files spans
        lines, so a quote left open must not swallow the lines after it: from the first row the parser
        makes of several lines (or cannot make at all), the rest of the block is parsed line by line,
        each line on its own. With ``partition``, only the refusals of the lines it owns are counted;
        with ``share``, only its blocks are parsed (and their refusals counted).
        """
        if partition is not None:
            rejects = rejects.only(partition.owns_line)
        width = len(self.columns)
        read = 0  # lines read
        with self.open_text() as handle:
            try:
                while block := list(itertools.islice(handle, BLOCK)):
                    first, read = read + 1, read + len(block)
                    if share is None or share.owns_line(first):
                        yield from self._block_rows(first, block, width, rejects)
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error):
                pass  # read again below, line by line, up to the damage
            else:
                return
        if share is None or share.owns_line(read + 1):
            yield from self._up_to_the_damage(read, width, rejects)

    def _block_rows(
        self, first: int, lines: list[str], width: int, rejects: Rejects
    ) -> Iterator[tuple[int, list[str]]]:
        """The rows of ``lines``, the first of them line ``first`` of the file (line 1: the header)."""
        reader = csv.reader(lines)
        done = 0  # lines parsed and accounted for
        last = len(lines)
        try:
            for row in reader:
                if reader.line_num != done + 1:
                    break
                if done + 1 == last and row and row[-1].endswith(("\n", "\r")):
                    break  # a quote left open on the block's last line, which had no line after it to take
                number = first + done
                done += 1
                if len(row) == width and number > 1:
                    yield number, row
                elif number > 1:
                    yield from self._checked(number, row, width, rejects)
            else:
                return
        except csv.Error:
            pass
        for number, line in enumerate(lines[done:], first + done):
            yield from self._checked(number, _split_alone(line), width, rejects, line)

    def _up_to_the_damage(self, skip: int, width: int, rejects: Rejects) -> Iterator[tuple[int, list[str]]]:
        """A damaged archive: the rows after line ``skip`` that can still be read, one by one, then the
        refusal of the rest of the file (the rows before the damage stand)."""
        number = skip
        with self.open_text() as handle:
            try:
                for line in itertools.islice(handle, skip, None):
                    number += 1
                    if number > 1:
                        yield from self._checked(number, _split_alone(line), width, rejects, line)
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
                rejects.add(self.name, number + 1, "unreadable_file", str(error)[:200])

    def _checked(
        self, number: int, row: list[str] | None, width: int, rejects: Rejects, line: str = ""
    ) -> Iterator[tuple[int, list[str]]]:
        if row is None:
            detail = "a quote left open or a field too long"
            rejects.add(self.name, number, "unparseable_row", detail, [line.rstrip("\r\n")])
        elif len(row) == width:
            yield number, row
        elif row:
            rejects.add(self.name, number, "wrong_column_count", f"{len(row)} fields", row)


def _split_alone(line: str) -> list[str] | None:
    """The fields of one line parsed by itself, or None when it cannot be split."""
    try:
        return next(csv.reader([line], strict=True), [])
    except csv.Error:
        return None


def classify_header(header: list[str]) -> tuple[FileKind, dict[str, int]] | None:
    """The kind and canonical column positions a header describes, or None when it is unknown."""
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    for kind, layout in LAYOUTS.items():
        canonical = {layout[name]: i for i, name in enumerate(names) if name in layout}
        if len(canonical) == len(set(layout.values())) and len(names) == len(canonical):
            return kind, canonical
    return None


class Dataset:
    """The recognised files of one dataset, grouped by kind; several files of a kind are read together."""

    def __init__(self, files: list[DataFile], rejects: Rejects, local: Path | None = None) -> None:
        """``local``: the folder or zip it was read from on this machine (a URL's download), which
        another process may open again while this one is open; None for files of no such place."""
        self.files = files
        self.rejects = rejects
        self.local = local

    def check_complete(self) -> None:
        """Refuse a dataset without a file of each required kind, before any is read."""
        for kind in REQUIRED_KINDS:
            self.of_kind(kind)

    def of_kind(self, kind: FileKind) -> list[DataFile]:
        """The files of ``kind``; a dataset without any of a required kind is refused."""
        found = [f for f in self.files if f.kind is kind]
        if not found and kind in REQUIRED_KINDS:
            raise DatasetError(
                f"the dataset has no {kind.value} file: expected a CSV with header {EXPECTED_HEADERS[kind]}"
            )
        return found


@contextmanager
def open_dataset(source: str | Path, rejects: Rejects) -> Iterator[Dataset]:
    """Open a zip path, an http(s) zip URL or a folder; unknown CSV layouts are rejected by file."""
    text = str(source)
    if text.startswith(("http://", "https://")):
        with tempfile.TemporaryDirectory(prefix="storemon-") as tmp:
            local = Path(tmp) / "dataset.zip"
            _download(text, local)
            with open_dataset(local, rejects) as dataset:
                yield dataset
        return
    path = Path(source)
    if path.is_dir():
        yield Dataset(_recognise(_folder_members(path, rejects), rejects), rejects, path)
    elif path.is_file():
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            raise DatasetError(f"{path} is neither a folder nor a readable zip archive: {error}") from None
        with archive:
            yield Dataset(_recognise(_zip_members(archive, rejects), rejects), rejects, path)
    else:
        raise DatasetError(f"dataset not found: {path} (give a zip file, an http(s) URL or a folder)")


def _download(url: str, target: Path) -> None:
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=60) as response:
            response.raise_for_status()
            with target.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
    except httpx.HTTPError as error:
        raise DatasetError(f"cannot download {url}: {error}") from None


def _text(binary: IO[bytes]) -> IO[str]:
    # utf-8-sig drops a leading byte-order mark; undecodable bytes become U+FFFD and the row is rejected
    # by its field checks instead of aborting the whole file.
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")
    # Read in chunks of 64 KiB, not 8: a zip member decompresses through Python code per read, and
    # a replay's readers each go through the whole pings file (15 % of that pass). TextIOWrapper
    # takes its read size through this attribute only.
    text._CHUNK_SIZE = 1 << 16  # type: ignore[attr-defined]  # noqa: SLF001
    return text


def _open_file(path: Path) -> IO[str]:
    return _text(path.open("rb"))


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[str]:
    return _text(archive.open(info))


def _folder_members(folder: Path, rejects: Rejects) -> Iterator[tuple[str, Callable[[], IO[str]]]]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith((".", "__MACOSX")) for part in relative.parts):
            continue
        if path.suffix.lower() != ".csv":  # as in a zip: file.CSV counts, README.md does not
            rejects.warn("ignored_non_csv_file")
            continue
        yield str(relative), functools.partial(_open_file, path)


def _zip_members(archive: zipfile.ZipFile, rejects: Rejects) -> Iterator[tuple[str, Callable[[], IO[str]]]]:
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        name = info.filename
        if info.is_dir() or "__MACOSX" in name:
            continue
        if not name.lower().endswith(".csv"):
            rejects.warn("ignored_non_csv_file")
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or (info.file_size > MAX_RATIO_ABOVE and ratio > MAX_RATIO):
            rejects.add(name, 0, "suspected_zip_bomb", f"{info.file_size} bytes unpacked, ratio {ratio:.0f}")
            continue
        yield name, functools.partial(_open_member, archive, info)


def _recognise(members: Iterator[tuple[str, Callable[[], IO[str]]]], rejects: Rejects) -> list[DataFile]:
    files = []
    for name, opener in members:
        try:
            with opener() as handle:
                header = next(csv.reader(handle), [])
        except (csv.Error, OSError, zipfile.BadZipFile) as error:
            rejects.add(name, 0, "unreadable_file", str(error)[:200])
            continue
        found = classify_header(header)
        if found is None:
            rejects.add(name, 0, "unknown_layout", "header " + ",".join(header)[:200], header[:10])
            continue
        kind, columns = found
        files.append(DataFile(name, kind, columns, opener))
    return files
