"""The worker's decoded profiles: kept for ingestion, read without being kept by lookups."""

from __future__ import annotations

from collections import OrderedDict

from streams.contract.messages import decode_profile
from streams.engine import DEFAULT_PROFILE, StoreProfile


def decoded_profile(raw: bytes | None) -> StoreProfile:
    """A profile as the tables hold it (None: the default profile)."""
    return DEFAULT_PROFILE if raw is None else decode_profile(raw)


class DecodedProfiles:
    """Profiles by their encoded bytes (None: the default one), the ``size`` most recently ingested kept.

    A replay's or a live fleet's stores come round in turn, so what ingestion decodes is kept, and
    stores with the same hours and zone share one object. Lookups of random stores are another
    matter: over a fleet larger than ``size`` nearly every one would miss and replace an entry, and
    each replaced profile is long-lived garbage that the cyclic collector walks in its full passes,
    which stalled every lookup for 0.3 s at 100,000 stores. A lookup reads what is kept and decodes
    the rest for itself only.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[bytes | None, StoreProfile] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, raw: bytes | None) -> StoreProfile:
        """The profile, kept as the most recently used (the least recently used goes past ``size``)."""
        kept = self._kept
        profile = kept.get(raw)
        if profile is not None:
            kept.move_to_end(raw)
            return profile
        profile = kept[raw] = decoded_profile(raw)
        if len(kept) > self.size:
            kept.popitem(last=False)
        return profile

    def read(self, raw: bytes | None) -> StoreProfile:
        """The profile, from what is kept when it is there; nothing kept changes."""
        profile = self._kept.get(raw)
        return decoded_profile(raw) if profile is None else profile
