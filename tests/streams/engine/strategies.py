"""What the engine's property tests draw: zones, anchors near clock changes, weekly hours, closures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from hypothesis import strategies as st

from streams.engine import MINUTE, Closure, HoursRow, StoreProfile
from tests.helpers import instant

ZONES = ["America/New_York", "America/Chicago", "Asia/Tokyo", "UTC", "America/Phoenix", "Australia/Lord_Howe"]
# Instants near spring and autumn clock changes (both hemispheres) and an ordinary week.
ANCHORS = [
    instant(t) // MINUTE
    for t in ("2023-03-12 08:00", "2023-11-05 07:00", "2023-01-23 12:00", "2023-10-01 00:00")
]

rows_strategy = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 1439), st.integers(0, 1439)).map(
        lambda r: (r[0], r[1] * 60, r[2] * 60)
    ),
    max_size=4,
)
ping_strategy = st.tuples(st.integers(-9 * 1440, 2 * 1440), st.booleans())
# Closures as (first day, days) from the anchor's UTC date: across the pings' span, so that some start
# or end on the day of a clock change (every anchor but one is on or next to one).
closures_strategy = st.lists(st.tuples(st.integers(-10, 2), st.integers(0, 2)), max_size=3)


def closed_dates(anchor_minute: int, spans: list[tuple[int, int]]) -> list[tuple[date, date]]:
    """(first, last) closed dates for ``spans`` drawn by ``closures_strategy``."""
    day = datetime.fromtimestamp(anchor_minute * 60, UTC).date()
    return [(day + timedelta(days=first), day + timedelta(days=first + length)) for first, length in spans]


def profile_of(
    zone: str | None, rows: list[tuple[int, int, int]], closed: list[tuple[date, date]] | None = None
) -> StoreProfile:
    closures = tuple(Closure(first, last) for first, last in closed or ())
    return StoreProfile(zone, tuple(HoursRow(*row) for row in rows), closures)


class Drawn(NamedTuple):
    """A store as a property test draws it: zone, weekly rows, an anchor minute and closed dates."""

    zone: str
    rows: list[tuple[int, int, int]]
    anchor: int
    closed: list[tuple[date, date]]

    @property
    def profile(self) -> StoreProfile:
        return profile_of(self.zone, self.rows, self.closed)


@st.composite
def stores(draw: st.DrawFn) -> Drawn:
    """A store in one of ``ZONES`` with up to four rows, near one of ``ANCHORS``, with closures there."""
    anchor = draw(st.sampled_from(ANCHORS))
    return Drawn(
        draw(st.sampled_from(ZONES)),
        draw(rows_strategy),
        anchor,
        closed_dates(anchor, draw(closures_strategy)),
    )
