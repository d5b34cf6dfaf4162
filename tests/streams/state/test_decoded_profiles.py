"""The worker's decoded profiles: what ingestion keeps, and lookups that leave it as it was."""

from __future__ import annotations

from streams.contract.messages import encode_profile
from streams.engine import DEFAULT_PROFILE, HoursRow, StoreProfile
from streams.state.decoded_profiles import DecodedProfiles

PROFILES = [StoreProfile("Europe/Paris", (HoursRow(day, 9 * 3600, 18 * 3600),)) for day in range(4)]
RAW = [encode_profile(profile) for profile in PROFILES]


def test_ingestion_keeps_the_most_recently_used_and_shares_the_decoded_object() -> None:
    decoded = DecodedProfiles(size=2)
    first = decoded.keep(RAW[0])
    second = decoded.keep(RAW[1])
    assert (first, second) == (PROFILES[0], PROFILES[1])
    assert decoded.keep(RAW[0]) is first  # kept, and now the most recently used
    assert decoded.keep(RAW[2]) == PROFILES[2]  # past the size: RAW[1], the least recently used, goes
    assert len(decoded) == 2
    assert decoded.keep(RAW[0]) is first
    again = decoded.keep(RAW[1])
    assert again == second and again is not second  # decoded anew
    assert decoded.keep(None) is DEFAULT_PROFILE


def test_a_lookup_reads_what_is_kept_and_decodes_the_rest_without_keeping_it() -> None:
    decoded = DecodedProfiles(size=2)
    kept = decoded.keep(RAW[0])
    assert decoded.read(RAW[0]) is kept
    for raw, profile in zip(RAW[1:], PROFILES[1:], strict=True):
        assert decoded.read(raw) == profile
    assert len(decoded) == 1
    decoded.keep(RAW[1])
    assert decoded.read(RAW[0]) is kept  # reads did not push it out
