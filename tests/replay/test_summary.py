"""What a replay reports of itself."""

from __future__ import annotations

from replay.publish import ReplaySummary
from streams.engine import DAY, HOUR, MINUTE


def test_a_shift_reads_in_days_and_hours_and_exactly_in_microseconds() -> None:
    shifted = ReplaySummary(shifted_by=1412 * DAY + 3 * HOUR + 15 * MINUTE)
    assert shifted.shift == "1,412 d 3.25 h (122,008,500,000,000 µs)"
    assert ReplaySummary(shifted_by=40 * MINUTE).shift == "0 d 0.67 h (2,400,000,000 µs)"
