"""Secondary instances read what the primary wrote, follow it, and notice when it is made anew."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rocksdict import Options, Rdict

from streams.gathering.secondaries import Secondaries, items

HIDDEN = b"__bookkeeping__"


def primary(path: Path) -> Rdict:
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    return Rdict(str(path), options=options)


def read_all(secondaries: Secondaries, path: Path) -> dict[bytes, bytes] | None:
    database = secondaries.caught_up(path)
    return None if database is None else dict(items(database, HIDDEN))


@pytest.fixture
def secondaries(tmp_path: Path) -> Iterator[Secondaries]:
    reader = Secondaries(tmp_path / "scratch")
    yield reader
    reader.close()


def test_a_secondary_sees_every_write_of_the_primary_up_to_each_catch_up(
    tmp_path: Path, secondaries: Secondaries
) -> None:
    path = tmp_path / "db"
    written = primary(path)
    written[b"a"], written[HIDDEN] = b"1", b"offset"
    first = secondaries.caught_up(path)
    assert first is not None and dict(items(first, HIDDEN)) == {b"a": b"1"}
    written[b"a"], written[b"b"] = b"2", b"3"  # in the primary's write-ahead log only, not flushed
    assert dict(items(first, HIDDEN)) == {b"a": b"1"}  # as of its catch-up
    again = secondaries.caught_up(path)
    assert again is first and dict(items(again, HIDDEN)) == {b"a": b"2", b"b": b"3"}
    written.close()


def test_a_database_made_anew_is_opened_anew_and_a_missing_one_reads_as_none(
    tmp_path: Path, secondaries: Secondaries
) -> None:
    path = tmp_path / "db"
    assert read_all(secondaries, path) is None
    old = primary(path)
    old[b"a"] = b"old"
    old.close()
    assert read_all(secondaries, path) == {b"a": b"old"}
    shutil.rmtree(path)  # as when a partition is recovered into an empty directory
    assert read_all(secondaries, path) is None
    new = primary(path)
    new[b"b"] = b"new"
    assert read_all(secondaries, path) == {b"b": b"new"}
    new.close()


def test_instances_of_databases_no_longer_asked_for_are_closed(
    tmp_path: Path, secondaries: Secondaries
) -> None:
    paths = [tmp_path / "db0", tmp_path / "db1"]
    for path in paths:
        primary(path).close()
        assert secondaries.caught_up(path) is not None
    secondaries.keep_only({paths[1]})
    assert set(secondaries._open) == {paths[1]}
