"""Field parsers: every accepted form and every refused one, with its reason."""

from __future__ import annotations

import pytest

from replay.parsing import RowError, parse_clock, parse_day, parse_status, parse_store_id, parse_timestamp
from tests.helpers import instant

BASE = instant("2023-01-25 18:13:22")


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("2023-01-25 18:13:22 UTC", 0),
        ("2023-01-25 18:13:22.4 UTC", 400_000),
        ("2023-01-25 18:13:22.47 UTC", 470_000),
        ("2023-01-25 18:13:22.479220 UTC", 479_220),
        ("2023-01-25 18:13:22.479220 UTC", 479_220),  # second time: from the minute cache
        ("2023-01-25T18:13:22.5Z", 500_000),
        ("2023-01-25T19:13:22.5+01:00", 500_000),
        ("2023-01-25 18:13:22", 0),
        ("  2023-01-25 18:13:22.000001 UTC ", 1),
    ],
)
def test_timestamps(text: str, micros: int) -> None:
    assert parse_timestamp(text) == BASE + micros


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "bad_timestamp"),
        ("yesterday", "bad_timestamp"),
        ("2023-02-30 10:00:00 UTC", "bad_timestamp"),
        ("2023-01-25 24:00:00 UTC", "bad_timestamp"),
        ("2023-01-25 18:13:61 UTC", "bad_timestamp"),
        ("2023-01-25 18:13:2x UTC", "bad_timestamp"),
        ("1900-01-01 00:00:00 UTC", "timestamp_out_of_range"),
        ("2999-01-01 00:00:00 UTC", "timestamp_out_of_range"),
    ],
)
def test_bad_timestamps(text: str, reason: str) -> None:
    parse_timestamp("2023-01-25 18:13:00.1 UTC")  # warm the minute cache for the fast path
    with pytest.raises(RowError) as caught:
        parse_timestamp(text)
    assert caught.value.reason == reason


def test_status_any_case_and_padding() -> None:
    assert parse_status("active") is True
    assert parse_status(" Inactive ") is False
    assert parse_status("ACTIVE") is True
    with pytest.raises(RowError, match="bad_status"):
        parse_status("down")


@pytest.mark.parametrize("text", ["8.14E+18", "1.2e5", "", "   ", "x" * 200, "a\x00b", "a/b", "/"])
def test_bad_store_ids(text: str) -> None:
    with pytest.raises(RowError) as caught:
        parse_store_id(text)
    assert caught.value.reason in {"empty_store_id", "malformed_store_id"}


def test_store_ids_are_opaque_and_trimmed() -> None:
    assert parse_store_id(" 8139926242460185114 ") == "8139926242460185114"
    assert parse_store_id("d84a4552-3668-4075-ad1d-16840294f818") == "d84a4552-3668-4075-ad1d-16840294f818"


def test_days_and_clock_times() -> None:
    assert parse_day("6") == 6
    assert parse_clock("09:30") == 9 * 3600 + 30 * 60
    assert parse_clock("23:59:59") == 86_399
    assert parse_clock("24:00") == 86_400
    for bad_day in ("7", "-1", "Mon", ""):
        with pytest.raises(RowError, match="bad_day"):
            parse_day(bad_day)
    for bad_time in ("25:00", "10:60", "9", "24:00:01", "noon"):
        with pytest.raises(RowError, match="bad_time"):
            parse_clock(bad_time)
