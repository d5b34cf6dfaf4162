"""Reading pings on several processes gives what one process reads: the same pings by store, and the
same refusals, each counted once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from replay.reader import read_profiles
from replay.rejects import Rejects
from replay.source import open_dataset
from replay.split_reading import StorePings, read_store_pings
from streams.contract.rejects import Reject
from tests.helpers import write_dataset

BAD: list[tuple[str, ...]] = [
    ("", "active", "2023-01-25 10:00:00 UTC"),
    ("9", "maybe", "2023-01-25 10:00:00 UTC"),
    ("8", "active"),
]


async def _profiles(source: Path) -> int:
    with open_dataset(source, Rejects()) as dataset:
        return len(read_profiles(dataset))


def read(source: Path, processes: int) -> tuple[StorePings, Rejects, list[Reject], int]:
    kept: list[Reject] = []
    rejects = Rejects(sink=kept.append)

    async def reading() -> tuple[StorePings, int]:
        with open_dataset(source, rejects) as dataset:
            return await read_store_pings(dataset, 1 << 62, _profiles(source), processes)

    found, profiles = asyncio.run(reading())
    return found, rejects, kept, profiles


@pytest.mark.parametrize("processes", [2, 3])
def test_split_reading_equals_reading_alone(tmp_path: Path, processes: int) -> None:
    pings: list[tuple[str, ...]] = [
        (
            str(store),
            "active" if (store + minute) % 3 else "inactive",
            f"2023-01-25 {minute % 24:02d}:{minute % 60:02d}:00 UTC",
        )
        for store in range(40)
        for minute in range(0, 6000, 20)
    ]
    rows = BAD[:1] + pings[: len(pings) // 2] + BAD[1:2] + pings[len(pings) // 2 :] + BAD[2:]
    source = write_dataset(tmp_path / "d", rows, [(1, 0, "09:00", "17:00")], [(1, "UTC")])
    alone, alone_rejects, alone_kept, profiles = read(source, 1)
    split, split_rejects, split_kept, split_profiles = read(source, processes)
    assert split.by_store == alone.by_store and split.count == alone.count == len(pings)
    assert all(list(values) == sorted(values) for values in split.by_store.values())
    assert alone_rejects.counts == {"empty_store_id": 1, "bad_status": 1, "wrong_column_count": 1}
    assert split.counts == alone_rejects.counts and sorted(split.rejected) == sorted(alone_kept)
    assert split_rejects.counts == {} and split_kept == []
    assert profiles == split_profiles == 1
