"""How many stores held here have an outage going on: the ``storemon_outages_open`` gauge."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from streams.engine import StoreProfile, StoreState
from streams.engine.outages import open_outage
from streams.progress import AfterRebalance


class OpenOutages:
    """Stores held here whose latest ping leaves an outage open.

    The agents keep it current; the first count after a rebalance (``AfterRebalance``) rebuilds it
    from the states held, decoding only those whose latest ping is inactive.
    """

    def __init__(
        self,
        stored: Callable[[], Iterable[tuple[bytes, bytes]]],
        profile_of: Callable[[bytes], StoreProfile],
        rebalanced: AfterRebalance,
    ) -> None:
        self._stored = stored
        self._profile_of = profile_of
        self._rebalanced = rebalanced
        self._open: set[bytes] = set()

    def note(self, key: bytes, state: StoreState, profile: StoreProfile) -> None:
        """The store's state just changed."""
        if open_outage(key.decode("utf-8", "replace"), state, profile) is None:
            self._open.discard(key)
        else:
            self._open.add(key)

    def count(self) -> int:
        if self._rebalanced.due():
            self._open = {
                key
                for key, raw in self._stored()
                if StoreState.inactive_last(raw)
                and open_outage(key.decode("utf-8", "replace"), StoreState.decode(raw), self._profile_of(key))
            }
        return len(self._open)
