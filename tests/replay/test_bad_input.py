"""A corpus of malformed datasets: every bad row or file is refused with a reason, nothing crashes."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from replay.partition import BLOCK
from replay.reader import iter_pings, read_profiles
from replay.rejects import DeadLetterFile, Rejects
from replay.source import MAX_RATIO_ABOVE, DatasetError, open_dataset
from tests.helpers import write_dataset

PINGS_HEADER = "store_id,status,timestamp_utc\n"
HOURS = "store_id,dayOfWeek,start_time_local,end_time_local\n1,0,09:00,17:00\n"
ZONES = "store_id,timezone_str\n1,America/New_York\n"
GOOD = "1,active,2023-01-25 18:13:22.1 UTC\n"


def read_all(source: Path) -> tuple[int, Rejects]:
    rejects = Rejects()
    with open_dataset(source, rejects) as dataset:
        read_profiles(dataset)
        count = sum(1 for _ in iter_pings(dataset))
    return count, rejects


def zipped(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return path


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ("1,active\n", "wrong_column_count"),  # truncated row
        ("1,active,2023-01-25 18:13:22 UTC,extra\n", "wrong_column_count"),
        ("8.14E+18,active,2023-01-25 18:13:22 UTC\n", "malformed_store_id"),
        ("1,active,2023-01-25 18:13:22 UTC\x00\x01\xff\n", "bad_timestamp"),
        ("1,active," + "9" * 200_000 + "\n", "unparseable_row"),  # a field past the CSV size limit
        ("1,active,9999-12-31 23:59:59 UTC\n", "timestamp_out_of_range"),
        ("1,active,0001-01-01 00:00:00 UTC\n", "timestamp_out_of_range"),
        ('1,active,"2023-01-25 18:13:22 UTC\n', "unparseable_row"),  # a quote left open
        ("1,unknown,2023-01-25 18:13:22 UTC\n", "bad_status"),
    ],
)
def test_bad_rows_are_refused_one_by_one(tmp_path: Path, rows: str, reason: str) -> None:
    source = zipped(
        tmp_path / "d.zip", {"p.csv": PINGS_HEADER + GOOD + rows + GOOD, "h.csv": HOURS, "z.csv": ZONES}
    )
    count, rejects = read_all(source)
    assert rejects.counts == {reason: 1}
    assert count == 2  # both good rows around it, the one after it too


def test_binary_junk_file_is_refused_as_a_file(tmp_path: Path) -> None:
    junk = bytes(range(256)) * 64
    source = zipped(
        tmp_path / "d.zip", {"p.csv": PINGS_HEADER + GOOD, "h.csv": HOURS, "z.csv": ZONES, "junk.csv": junk}
    )
    count, rejects = read_all(source)
    assert count == 1
    assert rejects.counts["unknown_layout"] + rejects.counts["unreadable_file"] == 1


def test_zip_bomb_member_is_refused(tmp_path: Path) -> None:
    bomb = PINGS_HEADER.encode() + b"0" * (MAX_RATIO_ABOVE + 1024)
    source = zipped(
        tmp_path / "d.zip", {"p.csv": PINGS_HEADER + GOOD, "h.csv": HOURS, "z.csv": ZONES, "bomb.csv": bomb}
    )
    count, rejects = read_all(source)
    assert count == 1
    assert rejects.counts["suspected_zip_bomb"] == 1


def test_path_traversal_names_are_only_names(tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    source = zipped(
        tmp_path / "inner" / "d.zip",
        {"../../p.csv": PINGS_HEADER + GOOD, "/abs/h.csv": HOURS, "..\\z.csv": ZONES},
    )
    before = set(tmp_path.rglob("*"))
    count, rejects = read_all(source)
    assert count == 1 and rejects.total == 0
    assert set(tmp_path.rglob("*")) == before  # nothing was extracted anywhere


def test_missing_and_extra_files_in_a_zip(tmp_path: Path) -> None:
    missing = zipped(tmp_path / "missing.zip", {"p.csv": PINGS_HEADER + GOOD, "h.csv": HOURS})
    with pytest.raises(DatasetError, match="timezones"):
        read_all(missing)
    extra = zipped(
        tmp_path / "extra.zip",
        {
            "p.csv": PINGS_HEADER + GOOD,
            "h.csv": HOURS,
            "z.csv": ZONES,
            "README.txt": "hi",
            "other.csv": "a,b\n1,2\n",
        },
    )
    count, rejects = read_all(extra)
    assert count == 1
    assert rejects.counts == {"unknown_layout": 1}
    assert rejects.warnings == {"ignored_non_csv_file": 1}


def test_truncated_archive_is_a_clear_error(tmp_path: Path) -> None:
    whole = zipped(
        tmp_path / "whole.zip", {"p.csv": PINGS_HEADER + GOOD * 1000, "h.csv": HOURS, "z.csv": ZONES}
    )
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(DatasetError):
        read_all(cut)


def test_folder_with_undecodable_bytes_rejects_the_rows(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "d", pings=[["1", "active", "2023-01-25 18:13:22 UTC"]], hours=[], timezones=[]
    )
    with (folder / "store_status.csv").open("ab") as handle:
        handle.write(b"\xff\xfe,active,2023-01-25 18:13:22 UTC\n")
    count, rejects = read_all(folder)
    assert count == 1
    assert rejects.counts == {"malformed_store_id": 1}


@pytest.mark.parametrize("line", [5, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK])
def test_a_quote_left_open_costs_its_own_line_only(tmp_path: Path, line: int) -> None:
    """Wherever it is, at a block's end too (lines are parsed a block at a time)."""
    good = [f"{i % 50},active,2023-01-25 {i % 24:02d}:{i % 60:02d}:00 UTC\n" for i in range(20_002)]
    broken = '7,active,"2023-01-25 10:00:00 UTC\n'
    before = line - 2  # good rows between the header and it
    dead = DeadLetterFile(tmp_path / "dead.csv")
    source = zipped(
        tmp_path / "d.zip",
        {
            "p.csv": PINGS_HEADER + "".join(good[:before]) + broken + "".join(good[before:]),
            "h.csv": HOURS,
            "z.csv": ZONES,
        },
    )
    rejects = Rejects(sink=dead)
    with open_dataset(source, rejects) as dataset:
        count = sum(1 for _ in iter_pings(dataset))
    dead.close()
    assert count == 20_002
    assert rejects.counts == {"unparseable_row": 1}
    kept = list(csv.DictReader(dead.path.open()))
    assert [(row["line"], row["reason"], row["row"]) for row in kept] == [
        (str(line), "unparseable_row", broken.strip())
    ]
