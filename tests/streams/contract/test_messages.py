"""The wire format: round trips, and every malformed message refused with MessageError (never a crash)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.contract.messages import (
    CONTRACT,
    MessageError,
    decode_pings,
    decode_profile,
    encode_pings,
    encode_profile,
)
from streams.engine import Closure, HoursRow, StoreProfile


def test_round_trips() -> None:
    pings = [(1_674_670_402_479_220, True), (1_674_674_002_000_000, False)]
    assert decode_pings(encode_pings(pings)) == pings
    profile = StoreProfile("Asia/Tokyo", (HoursRow(0, 3600, 7200), HoursRow(6, 79200, 7200)))
    assert decode_profile(encode_profile(profile)) == profile
    closed = StoreProfile(
        "Asia/Tokyo",
        profile.hours,
        (
            Closure(date(2023, 12, 31), date(2024, 1, 2), "New Year"),
            Closure(date(2023, 5, 3), date(2023, 5, 3)),
        ),
    )
    assert decode_profile(encode_profile(closed)) == closed
    assert decode_profile(encode_profile(closed)).fingerprint == closed.fingerprint != profile.fingerprint


def test_a_profile_without_closures_keeps_the_format_every_producer_writes() -> None:
    profile = StoreProfile("Asia/Tokyo", (HoursRow(0, 3600, 7200),))
    assert encode_profile(profile) == b'{"timezone":"Asia/Tokyo","hours":[[0,3600,7200]]}'
    assert decode_profile(b'{"timezone":"Asia/Tokyo","hours":[[0,3600,7200]],"closures":[]}') == profile


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
     b'{"timezone": 5}', b'{"hours": "x"}', b'{"closures": [{"start_date": "2023-01-02"}]}',
     b'{"closures": [{"start_date": "2023-01-02", "end_date": "2023-01-01"}]}',
     b'{"closures": [{"start_date": "2023-02-30", "end_date": "2023-03-01"}]}',
     b'{"closures": [{"start_date": "20230102", "end_date": "2023-01-03"}]}',
     b'{"closures": [{"start_date": "2023-01-02", "end_date": "2023-01-03", "why": "x"}]}'],
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


def _valid_pings_by_hand(body: object) -> bool:
    """The contract's pings rule, written out independently of the schema file."""

    def number(value: object) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()

    return (
        isinstance(body, list)
        and len(body) > 0
        and all(
            isinstance(ping, list)
            and len(ping) == 2
            and number(ping[0])
            and 0 <= ping[0] < 4_102_444_800 * 10**6
            and number(ping[1])
            and ping[1] in (0, 1)
            for ping in body
        )
    )


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**17), 5 * 10**15),
    st.sampled_from([0, 1, 2, 1.0, 0.5, -1, 1_674_670_402_479_220.0]),
    st.text(max_size=3),
)


@given(
    st.one_of(
        JSON_SCALARS,
        st.lists(st.one_of(JSON_SCALARS, st.lists(JSON_SCALARS, max_size=3)), max_size=4),
        st.lists(
            st.tuples(st.integers(0, 5 * 10**15), st.sampled_from([0, 1, 2, True])).map(list), max_size=4
        ),
    )
)
def test_the_worker_accepts_exactly_the_pings_the_contract_allows(body: object) -> None:
    value = json.dumps(body).encode()
    try:
        decoded = decode_pings(value)
    except MessageError:
        assert not _valid_pings_by_hand(body)
    else:
        assert _valid_pings_by_hand(body)
        assert isinstance(body, list)
        assert decoded == [(int(instant), bool(active)) for instant, active in body]


def test_the_contract_schemas_describe_what_the_encoders_write() -> None:
    for name in ("pings.schema.json", "profile.schema.json"):
        schema = json.loads(CONTRACT.joinpath(name).read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert decode_pings(b"[[1674670402479220, 1], [1674670402479220.0, 0]]") == [
        (1_674_670_402_479_220, True),
        (1_674_670_402_479_220, False),
    ]
    with pytest.raises(MessageError, match="not one of 0 or 1 at /0/1"):
        decode_pings(b"[[1674670402479220, 2]]")
