"""The replay's frames: every ping once, each store's in time order, frames in time order of their
dataset time, stores in a frame in the order of their first ping there, no message over its size."""

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
@given(stores=packed_stores, width=st.integers(1, 30 * 24), most=st.integers(1, 40))
def test_frames_carry_every_ping_once_in_time_order(
    stores: dict[str, list[tuple[int, bool]]], width: int, most: int
) -> None:
    by_store = {
        s: array("q", sorted(hour * 2 + active for hour, active in pings)) for s, pings in stores.items()
    }
    sent: dict[str, list[int]] = {store: [] for store in by_store}
    first_instant = min((pings[0] >> 1 for pings in by_store.values()), default=0)
    ends = []
    for first, end, batch in frames(by_store, width, most):
        assert first == first_instant and (end - first) % width == 0
        ends.append(end)
        firsts = []
        pieces: dict[str, int] = {}
        for store, pings in batch:
            assert 0 < len(pings) <= most and all(end - width <= value >> 1 < end for value in pings)
            if store not in pieces:
                firsts.append(pings[0])
            pieces[store] = pieces.get(store, 0) + 1
            sent[store].extend(pings)
        assert firsts == sorted(firsts)
        # A store's pieces follow each other, each full but its last.
        runs = [store for i, (store, _) in enumerate(batch) if i == 0 or batch[i - 1][0] != store]
        assert len(runs) == len(set(runs)) == len(pieces)
        for i, (store, pings) in enumerate(batch[:-1]):
            assert batch[i + 1][0] != store or len(pings) == most
    assert ends == sorted(set(ends))
    assert sent == {store: list(pings) for store, pings in by_store.items()}
