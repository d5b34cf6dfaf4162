"""Field parsers for the dataset's CSV rows; each failure names a reason that is counted and kept."""

from __future__ import annotations

import re
from datetime import date, datetime

from streams.contract.messages import MAX_KEY_CHARACTERS
from streams.contract.rejects import FROM_THE_FUTURE, from_the_future
from streams.engine import Closure, HoursRow
from streams.engine.instants import to_instant
from streams.engine.units import EARLIEST, LATEST, SECOND

EPOCH_DAY = date(1970, 1, 1).toordinal()

_FAST_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?: UTC|Z)?")
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]?\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_MAX_ID_LENGTH = MAX_KEY_CHARACTERS  # the topic contract's, so every door agrees
_CACHE_LIMIT = 1 << 20
_day_cache: dict[str, int] = {}
_minute_cache: dict[str, int] = {}
_id_cache: dict[str, str] = {}
_STATUS = {"active": True, "inactive": False}

# (store_id, instant in microseconds, active); a plain tuple because millions are made per run.
Ping = tuple[str, int, bool]


class RowError(ValueError):
    """A field that cannot be used; ``reason`` is a stable slug for counting."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def parse_ping(store_id: str, status: str, timestamp: str, not_after: int | None) -> Ping:
    """A ping from its three fields as the dataset writes them, refused if stamped after ``not_after``.

    Called for every row of a dataset: the ids and statuses seen before are looked up here."""
    active = _STATUS.get(status)
    return (
        _id_cache.get(store_id) or parse_store_id(store_id),
        refuse_from_the_future(parse_timestamp(timestamp), not_after),
        parse_status(status) if active is None else active,
    )


def parse_hours(day: str, start: str, end: str) -> HoursRow:
    """One weekly business-hours row from its three fields as the dataset writes them."""
    return HoursRow(parse_day(day), parse_clock(start), parse_clock(end))


def parse_closure(start: str, end: str, reason: str) -> Closure:
    """One closure from its fields as the closures file writes them: two ``YYYY-MM-DD`` local dates,
    both inclusive, the first not after the last, and a free-text reason."""
    first, last = parse_date(start), parse_date(end)
    if last < first:
        raise RowError("bad_closure", f"end_date {end.strip()} is before start_date {start.strip()}")
    return Closure(first, last, reason.strip())


def parse_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date and nothing else."""
    text = text.strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise RowError("bad_date", text) from None


def refuse_from_the_future(instant: int, not_after: int | None) -> int:
    """``instant``, unless it lies after ``not_after``: the receiving clock plus its allowance. One
    device whose clock runs ahead must not move the fleet's ``now``."""
    if not_after is not None and instant > not_after:
        raise RowError(FROM_THE_FUTURE, from_the_future(instant, not_after))
    return instant


def parse_timestamp(text: str) -> int:
    """Microseconds since the Unix epoch from ``2023-01-25 18:13:22.4792 UTC`` or ISO 8601.

    The dataset's own form (0-6 fraction digits, literal `` UTC``) takes a fast path that validates
    each minute prefix once; anything else goes through ``datetime.fromisoformat``, where a missing
    zone means UTC (the column is UTC).
    """
    minute = _minute_cache.get(text[:16])
    if minute is not None and text.endswith(" UTC"):
        try:
            moment = datetime.fromisoformat(text[:-4])
        except ValueError:
            raise RowError("bad_timestamp", text) from None
        if moment.tzinfo is None:
            return minute + moment.second * SECOND + moment.microsecond
    return _parse_timestamp_slowly(text)


def _parse_timestamp_slowly(text: str) -> int:
    text = text.strip()
    match = _FAST_TIMESTAMP.fullmatch(text)
    if match is not None:
        day_text, hours, minutes, seconds, fraction = match.groups()
        days = _day_cache.get(day_text)
        if days is None:
            try:
                days = date.fromisoformat(day_text).toordinal() - EPOCH_DAY
            except ValueError:
                raise RowError("bad_timestamp", text) from None
            _day_cache[day_text] = days
        h, m, s = int(hours), int(minutes), int(seconds)
        if h > 23 or m > 59 or s > 59:
            raise RowError("bad_timestamp", text)
        minute = ((days * 24 + h) * 60 + m) * 60 * SECOND
        if EARLIEST <= minute < LATEST and len(_minute_cache) < _CACHE_LIMIT:
            _minute_cache[text[:16]] = minute
        result = minute + s * SECOND + (int(fraction.ljust(6, "0")) if fraction else 0)
    else:
        result = _parse_iso(text)
    if not EARLIEST <= result < LATEST:
        raise RowError("timestamp_out_of_range", text)
    return result


def _parse_iso(text: str) -> int:
    candidate = text[:-4] if text.endswith(" UTC") else text
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        raise RowError("bad_timestamp", text) from None
    return to_instant(moment)


def parse_status(text: str) -> bool:
    """True for ``active``, False for ``inactive``, in any case and padding."""
    status = _STATUS.get(text)
    if status is None:
        status = _STATUS.get(text.strip().lower())
        if status is None:
            raise RowError("bad_status", text)
    return status


def parse_store_id(text: str) -> str:
    """An opaque id; ids mangled into scientific notation by spreadsheets are refused, not guessed."""
    known = _id_cache.get(text)
    if known is not None:
        return known
    value = text.strip()
    if not value:
        raise RowError("empty_store_id", text)
    # U+FFFD marks bytes that were not UTF-8: such an id is damaged, not opaque. A "/" could never be
    # looked up: a URL path cannot carry it inside one segment.
    if (
        _SCIENTIFIC.fullmatch(value)
        or len(value) > _MAX_ID_LENGTH
        or not value.isprintable()
        or "\ufffd" in value
        or "/" in value
    ):
        raise RowError("malformed_store_id", text[:_MAX_ID_LENGTH])
    if len(_id_cache) < _CACHE_LIMIT:
        _id_cache[text] = value
    return value


def parse_day(text: str) -> int:
    """Weekday 0 (Monday) to 6 (Sunday)."""
    value = text.strip()
    if len(value) != 1 or not "0" <= value <= "6":
        raise RowError("bad_day", text)
    return int(value)


def parse_clock(text: str) -> int:
    """Seconds after local midnight from ``HH:MM`` or ``HH:MM:SS``; ``24:00`` is the end of the day."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise RowError("bad_time", text)
    h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
    seconds = (h * 60 + m) * 60 + s
    if m > 59 or s > 59 or seconds > 86_400:
        raise RowError("bad_time", text)
    return seconds
