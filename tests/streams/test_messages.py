"""The wire format: round trips, and every malformed message refused with MessageError (never a crash)."""

from __future__ import annotations

import pytest

from streams.engine import HoursRow, StoreProfile
from streams.messages import MessageError, decode_pings, decode_profile, encode_pings, encode_profile


def test_round_trips() -> None:
    pings = [(1_674_670_402_479_220, True), (1_674_674_002_000_000, False)]
    assert decode_pings(encode_pings(pings)) == pings
    profile = StoreProfile("Asia/Tokyo", (HoursRow(0, 3600, 7200), HoursRow(6, 79200, 7200)))
    assert decode_profile(encode_profile(profile)) == profile


@pytest.mark.parametrize(
    "value",
    [b"", b"{", b"null", b"{}", b"[1, 2]", b"[[1]]", b'[["x", 1]]', b"[[1.5, 1]]", b"[[-1, 1]]",
     b"[[99999999999999999999, 1]]", b"[[1674670402479220, 2]]", b"\xff\xfe"],
)  # fmt: skip
def test_bad_pings_messages(value: bytes) -> None:
    with pytest.raises(MessageError):
        decode_pings(value)


def test_pings_message_without_a_value() -> None:
    with pytest.raises(MessageError):
        decode_pings(None)


@pytest.mark.parametrize(
    "value",
    [b"", b"[]", b'{"hours": [[7, 0, 10]]}', b'{"hours": [[0, 0, 90000]]}', b'{"hours": [[0, 0]]}',
     b'{"timezone": 5}', b'{"hours": "x"}'],
)  # fmt: skip
def test_bad_profile_messages(value: bytes) -> None:
    with pytest.raises(MessageError):
        decode_profile(value)


def test_unknown_or_hostile_timezone_names_fall_back() -> None:
    for name in ("../../etc/passwd", "Mars/Base", "x" * 500):
        assert (
            decode_profile(b'{"timezone": "%s", "hours": []}' % name.encode()).effective_timezone
            == "America/Chicago"
        )
