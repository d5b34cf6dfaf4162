"""Instants to and from datetimes and text: the one conversion every layer uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from replay.parsing import parse_timestamp
from streams.engine.instants import ClockMode, dataset_text, iso_text, present, to_datetime, to_instant
from streams.engine.units import LATEST, SECOND

instants = st.integers(min_value=0, max_value=LATEST - 1)


@given(instants)
def test_every_form_round_trips(instant: int) -> None:
    assert to_instant(to_datetime(instant)) == instant
    assert parse_timestamp(dataset_text(instant)) == instant
    assert parse_timestamp(iso_text(instant)) == instant


def test_forms() -> None:
    instant = 1_674_670_402 * SECOND + 479_220
    assert dataset_text(instant) == "2023-01-25 18:13:22.47922 UTC"
    assert dataset_text(instant - 479_220) == "2023-01-25 18:13:22 UTC"
    assert iso_text(instant) == "2023-01-25T18:13:22.479220Z"
    assert to_datetime(instant) == datetime(2023, 1, 25, 18, 13, 22, 479_220, tzinfo=UTC)


def test_naive_means_utc_and_offsets_count() -> None:
    naive = datetime(2023, 1, 25, 18, 0)
    assert to_instant(naive) == to_instant(naive.replace(tzinfo=UTC))
    assert to_instant(naive.replace(tzinfo=timezone(timedelta(hours=1)))) == to_instant(naive) - 3600 * SECOND


def test_an_instant_whose_utc_date_is_out_of_range_still_has_a_number() -> None:
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(minutes=1)))
    assert to_instant(early) == to_instant(datetime(1, 1, 1, tzinfo=UTC)) - 60 * 10**6
    late = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=1)))
    assert to_instant(late) == to_instant(datetime(9999, 12, 31, 23, 59, tzinfo=UTC)) + 3600 * 10**6


def test_now_is_the_watermark_on_the_event_clock_and_never_before_it_on_the_wall_clock() -> None:
    def wall() -> int:
        return 1_000

    assert present(ClockMode.EVENT, 500, wall) == 500
    assert present(ClockMode.WALL, 500, wall) == 1_000
    # A ping stamped a little ahead of the clock that received it: now is not before it.
    assert present(ClockMode.WALL, 1_200, wall) == 1_200
    assert present(ClockMode.EVENT, None, wall) is None
    assert present(ClockMode.WALL, None, wall) is None
