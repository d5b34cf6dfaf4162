"""Store state behaviours that the property tests do not name explicitly."""

from __future__ import annotations

import pytest

from streams.engine import DAY, HOUR, AddResult, HoursRow, StoreProfile, StoreState, uptime_row
from tests.helpers import instant

PROFILE = StoreProfile("UTC")


def test_duplicate_and_conflicting_pings() -> None:
    state = StoreState()
    at = instant("2023-01-01 10:00:00")
    assert state.add(at, True, PROFILE) is AddResult.ADDED
    assert state.add(at, True, PROFILE) is AddResult.DUPLICATE
    assert state.add(at, False, PROFILE) is AddResult.CHANGED
    assert state.add(at, True, PROFILE) is AddResult.DUPLICATE
    assert state.status_at(at) is False


def test_retention_keeps_one_anchor_and_expires_older_pings() -> None:
    state = StoreState()
    start = instant("2023-01-01 00:00:00")
    for hour in range(0, 10 * 24, 6):
        state.add(start + hour * HOUR, hour % 12 == 0, PROFILE, retention=2 * DAY)
    latest = state.times[-1]
    assert sum(t < latest - 2 * DAY for t in state.times) == 1
    assert state.up[0] == 0
    assert state.add(start, True, PROFILE, retention=2 * DAY) is AddResult.EXPIRED


def test_late_profile_change_recomputes_totals() -> None:
    state = StoreState()
    at = instant("2023-01-23 00:00:00")  # a Monday
    state.add(at, True, PROFILE)
    state.add(at + DAY, True, PROFILE)
    closed_monday = StoreProfile("UTC", (HoursRow(1, 0, 3600),))
    row = uptime_row("s", state, closed_monday, at + DAY)
    assert row is not None
    assert row.uptime_last_day == 0.0
    assert state.refresh(closed_monday) is False  # uptime_row already brought the state up to date


def test_no_row_before_the_first_ping() -> None:
    state = StoreState()
    state.add(instant("2023-01-02 00:00:00"), True, PROFILE)
    assert uptime_row("s", state, PROFILE, instant("2023-01-01 00:00:00")) is None


def test_decode_refuses_an_unknown_format() -> None:
    data = bytearray(StoreState().encode())
    data[0] = 99
    with pytest.raises(ValueError, match="format"):
        StoreState.decode(bytes(data))
