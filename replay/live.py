"""Validation of live input (pings and profiles sent over HTTP) with the replay's own parsers.

A request is checked whole before anything is published: every bad entry is answered with its
position and reason, so a caller can fix and resend exactly those.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from replay.parsing import Ping, RowError, parse_closure, parse_hours, parse_ping
from replay.reader import iter_pings
from replay.rejects import Rejects
from replay.source import DataFile, Dataset, FileKind, classify_header
from streams.contract.rejects import Reject
from streams.engine import StoreProfile, is_known_timezone

T = TypeVar("T")

CSV_SOURCE = "request body"
CSV_TYPES = ("text/csv", "text/plain")
PING_FIELDS = ("store_id", "status", "timestamp_utc")


@dataclass
class Parsed:
    """Valid pings of a request and its refused entries (``line``: 0-based item, or CSV line)."""

    pings: list[Ping] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def pings_from_items(items: list[Any], not_after: int | None = None) -> Parsed:
    """Pings from JSON objects with the dataset's field names and timestamp forms; none stamped after
    ``not_after`` (the receiving clock plus its allowance)."""
    parsed = Parsed()
    for index, item in enumerate(items):
        try:
            if not isinstance(item, Mapping):
                raise RowError("bad_item", "expected an object with store_id, status and timestamp_utc")
            missing = [name for name in PING_FIELDS if item.get(name) is None]
            if missing:
                raise RowError("missing_field", ", ".join(missing))
            store, status, timestamp = (item[name] for name in PING_FIELDS)
            if not (isinstance(store, str) and isinstance(status, str) and isinstance(timestamp, str)):
                raise RowError("bad_item", "store_id, status and timestamp_utc must be strings")
            parsed.pings.append(parse_ping(store, status, timestamp, not_after))
        except RowError as error:
            row = tuple(str(value) for value in item.values()) if isinstance(item, Mapping) else (repr(item),)
            parsed.rejects.append(Reject(CSV_SOURCE, index, error.reason, error.detail, row))
    return parsed


def pings_from_body(body: bytes, media_type: str, not_after: int | None = None) -> Parsed:
    """Pings from a request body: CSV for ``text/csv`` (or ``text/plain``), else JSON, one object or a
    list. A body that cannot be read at all is one refused entry."""
    if media_type in CSV_TYPES:
        try:
            return pings_from_csv(body.decode("utf-8"), not_after)
        except UnicodeDecodeError:
            return _refused("bad_encoding", "the body is not UTF-8")
    try:
        items: Any = json.loads(body)
    except ValueError as error:
        return _refused("bad_json", str(error))
    return pings_from_items(items if isinstance(items, list) else [items], not_after)


def _refused(reason: str, detail: str) -> Parsed:
    return Parsed(rejects=[Reject(CSV_SOURCE, 0, reason, detail, ())])


def pings_from_csv(text: str, not_after: int | None = None) -> Parsed:
    """Pings from CSV in the dataset's pings format, header first, read by the replay's reader."""
    parsed = Parsed()
    rejects = Rejects(sink=parsed.rejects.append)
    header = next(iter(io.StringIO(text)), "").rstrip("\r\n").split(",")
    layout = classify_header(header)
    if layout is None or layout[0] is not FileKind.PINGS:
        rejects.add(CSV_SOURCE, 1, "bad_header", "expected the header store_id,status,timestamp_utc", header)
        return parsed
    data_file = DataFile(CSV_SOURCE, FileKind.PINGS, layout[1], lambda: io.StringIO(text))
    parsed.pings.extend(iter_pings(Dataset([data_file], rejects), not_after=not_after))
    return parsed


class ProfileError(ValueError):
    """A profile that cannot be used, with every problem found: ``(field, reason, detail)``."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {detail}" for where, _, detail in problems))
        self.problems = problems


def profile_from_body(
    timezone: str | None, hours: list[tuple[str, str, str]], closures: list[tuple[str, str, str]]
) -> StoreProfile:
    """A profile from a zone name, ``(day, start_time_local, end_time_local)`` rows and ``(start_date,
    end_date, reason)`` closures, as the files hold them. Unlike a file, a request can be answered: an
    unknown zone is refused, not defaulted."""
    problems: list[tuple[str, str, str]] = []
    if timezone is not None and not is_known_timezone(timezone):
        problems.append(("timezone", "unknown_timezone", f"unknown timezone {timezone!r}"))
    rows = _parsed("hours", hours, parse_hours, problems)
    closed = _parsed("closures", closures, parse_closure, problems)
    if problems:
        raise ProfileError(problems)
    return StoreProfile(timezone, tuple(rows), tuple(closed))


def _parsed(
    field: str,
    entries: list[tuple[str, str, str]],
    parse: Callable[[str, str, str], T],
    problems: list[tuple[str, str, str]],
) -> list[T]:
    """Each entry of ``field`` parsed; each one refused adds ``(field[index], reason, detail)``."""
    found = []
    for index, entry in enumerate(entries):
        try:
            found.append(parse(*entry))
        except RowError as error:
            problems.append((f"{field}[{index}]", error.reason, error.detail))
    return found
