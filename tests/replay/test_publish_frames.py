"""The replay's frames: every ping once, each store's in time order, frames in time order of their
dataset time, and stores in a frame in the order of their first ping there."""

from __future__ import annotations

from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from replay.publish import frames

packed_stores = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d", "e"]),
    st.lists(st.tuples(st.integers(0, 40 * 24), st.booleans()), min_size=1, max_size=30),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(stores=packed_stores, width=st.integers(1, 30 * 24))
def test_frames_carry_every_ping_once_in_time_order(
    stores: dict[str, list[tuple[int, bool]]], width: int
) -> None:
    by_store = {
        s: array("q", sorted(hour * 2 + active for hour, active in pings)) for s, pings in stores.items()
    }
    sent: dict[str, list[int]] = {store: [] for store in by_store}
    first_instant = min((pings[0] >> 1 for pings in by_store.values()), default=0)
    ends = []
    for first, end, batch in frames(by_store, width):
        assert first == first_instant and (end - first) % width == 0
        ends.append(end)
        firsts = []
        for store, pings in batch:
            assert pings and all(end - width <= value >> 1 < end for value in pings)
            sent[store].extend(pings)
            firsts.append(pings[0])
        assert firsts == sorted(firsts) and len({store for store, _ in batch}) == len(batch)
    assert ends == sorted(set(ends))
    assert sent == {store: list(pings) for store, pings in by_store.items()}
