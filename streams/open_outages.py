"""How many stores held here have an outage going on: the ``storemon_outages_open`` gauge."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from streams.engine import StoreProfile, StoreState
from streams.engine.outages import open_outage


class OpenOutages:
    """Stores held here whose latest ping leaves an outage open.

    The agents keep it current. Recovery fills the tables without passing through them (on start, and
    when a rebalance moves partitions), so the first count after a rebalance, once the tables have
    settled, rebuilds it from the states held; only states whose latest ping is inactive are decoded.
    """

    def __init__(
        self,
        stored: Callable[[], Iterable[tuple[bytes, bytes]]],
        profile_of: Callable[[bytes], StoreProfile],
        generation: Callable[[], int],
        settled: Callable[[], bool],
    ) -> None:
        self._stored = stored
        self._profile_of = profile_of
        self._generation = generation
        self._settled = settled
        self._open: set[bytes] = set()
        self._built_for: int | None = None

    def note(self, key: bytes, state: StoreState, profile: StoreProfile) -> None:
        """The store's state just changed."""
        if open_outage(key.decode("utf-8", "replace"), state, profile) is None:
            self._open.discard(key)
        else:
            self._open.add(key)

    def count(self) -> int:
        generation = self._generation()
        if generation != self._built_for and self._settled():
            self._built_for = generation
            self._open = {
                key
                for key, raw in self._stored()
                if StoreState.inactive_last(raw)
                and open_outage(key.decode("utf-8", "replace"), StoreState.decode(raw), self._profile_of(key))
            }
        return len(self._open)
