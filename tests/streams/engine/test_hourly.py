"""Stores down and silent per hour: each store counted once in every hour any of its spans reaches."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.engine import HOUR, MINUTE
from streams.engine.hourly import Span, hours_through, span_at, stores_per_hour
from streams.engine.outages import Outage

START = 1_000 * HOUR


def brute_force(spans: list[Span], start: int, hours: int) -> list[int]:
    """Per hour, the set of stores with a span overlapping ``[hour, hour + 1 h)``."""
    return [
        len({store for store, a, b in spans if a < start + (h + 1) * HOUR and b > start + h * HOUR})
        for h in range(hours)
    ]


def test_a_store_down_twice_in_an_hour_counts_once_and_spans_are_clipped_to_the_hours() -> None:
    spans = [
        ("a", START + 10 * MINUTE, START + 20 * MINUTE),
        ("a", START + 40 * MINUTE, START + 70 * MINUTE),  # into the second hour
        ("b", START - 5 * HOUR, START + HOUR),  # from before the first hour, ends at its end
        ("c", START + 2 * HOUR, START + 2 * HOUR),  # no time at all
        ("d", START + 3 * HOUR, START + 9 * HOUR),  # past the last hour
    ]
    assert stores_per_hour(spans, START, 4) == [2, 1, 0, 1]


minutes = st.integers(min_value=-120, max_value=14 * 60)
spans = st.lists(
    st.tuples(st.sampled_from("abcd"), minutes, st.integers(min_value=0, max_value=600)).map(
        lambda t: (t[0], START + t[1] * MINUTE, START + (t[1] + t[2]) * MINUTE)
    ),
    max_size=12,
)


@given(spans, st.integers(min_value=1, max_value=12))
def test_the_counts_are_the_brute_force_ones(drawn: list[Span], hours: int) -> None:
    assert stores_per_hour(drawn, START, hours) == brute_force(drawn, START, hours)


def test_a_stretch_going_on_counts_in_the_hour_holding_now() -> None:
    """At ``now`` exactly on the hour, an outage going on reaches into that hour; one that ended then
    does not."""
    now = 1_000 * HOUR
    going_on = Outage("a", now - HOUR, None, False, now - HOUR, HOUR)
    ended = going_on._replace(store_id="b", ended_at=now)
    spans = [span_at(going_on, now), span_at(ended, now)]
    assert spans == [("a", now - HOUR, now + 1), ("b", now - HOUR, now)]
    assert stores_per_hour(spans, hours_through(now, 2), 2) == [2, 1]
