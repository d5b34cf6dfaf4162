"""The specification's worked examples through the engine alone."""

from __future__ import annotations

import pytest

from streams.engine import StoreState, uptime_row
from tests.helpers import instant
from tests.worked_examples import EXAMPLES, Example


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.store_id)
def test_worked_example(example: Example) -> None:
    profile = example.profile()
    state = StoreState()
    for at, status in example.pings:
        state.add(instant(at), status == "active", profile)
    row = uptime_row(example.store_id, state, profile, instant(example.as_of))
    assert row is not None
    assert row[1:] == pytest.approx(example.expected, abs=0.01)
