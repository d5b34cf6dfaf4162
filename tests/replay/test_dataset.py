"""Reading whole datasets: both public versions, zips, URLs, bad rows and missing files."""

from __future__ import annotations

import functools
import http.server
import threading
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from replay.reader import iter_pings, read_profiles
from replay.rejects import DeadLetterFile, Rejects
from replay.source import DatasetError, open_dataset
from streams.engine import Closure
from tests.helpers import write_csv, write_dataset


@pytest.mark.parametrize(
    ("version", "hour_rows", "stores"),
    [("v1_2023-01", 86_198, 13_584), ("v2_2024", 35_457, 4_560)],
)
def test_real_profiles_ingest_without_rejects(
    shared_data: Path, version: str, hour_rows: int, stores: int
) -> None:
    rejects = Rejects()
    with open_dataset(shared_data / version, rejects) as dataset:
        profiles = read_profiles(dataset)
        pings = sum(1 for _ in iter_pings(dataset))
    assert rejects.total == 0, rejects.counts
    assert not rejects.warnings
    assert len(profiles) == stores
    assert sum(len(p.hours) for p in profiles.values()) == hour_rows
    assert pings > 0


def test_v1_names_in_a_zip_with_a_byte_order_mark(tmp_path: Path) -> None:
    archive = tmp_path / "store-monitoring-data.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(
            "data/store status.csv",
            "\ufeffstore_id,status,timestamp_utc\n1,active,2023-01-25 18:13:22.47 UTC\n",
        )
        out.writestr(
            "data/Menu hours.csv", "store_id,day,start_time_local,end_time_local\n1,0,09:00:00,17:00:00\n"
        )
        out.writestr(
            "data/bq-results-20230125-202210-1674678181880.csv", "store_id,timezone_str\n1,Asia/Tokyo\n"
        )
        out.writestr("__MACOSX/data/._store status.csv", "junk")
    rejects = Rejects()
    with open_dataset(archive, rejects) as dataset:
        assert next(iter_pings(dataset))[0] == "1"
        assert read_profiles(dataset)["1"].timezone == "Asia/Tokyo"
    assert rejects.total == 0


def test_bad_rows_are_counted_and_kept_with_their_reason(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "data",
        pings=[
            ["1", "active", "2023-01-25 18:13:22 UTC"],
            ["", "active", "2023-01-25 18:13:22 UTC"],
            ["8.14E+18", "active", "2023-01-25 18:13:22 UTC"],
            ["1", "maybe", "2023-01-25 18:13:22 UTC"],
            ["1", "active", "not a time"],
            ["1", "active"],
            ["1", "active", "1900-01-01 00:00:00 UTC"],
        ],
        hours=[["1", "0", "09:00", "17:00"], ["1", "9", "09:00", "17:00"], ["1", "0", "9am", "17:00"]],
        timezones=[["1", "Mars/Base"], ["2", ""]],
    )
    write_csv(folder / "notes.csv", ["what", "ever"], [["a", "b"]])
    dead = DeadLetterFile(tmp_path / "rejects.csv")
    rejects = Rejects(sink=dead)
    with open_dataset(folder, rejects) as dataset:
        pings = list(iter_pings(dataset))
        profiles = read_profiles(dataset)
    dead.close()
    assert len(pings) == 1
    assert dict(rejects.counts) == {
        "unknown_layout": 1,
        "empty_store_id": 1,
        "malformed_store_id": 1,
        "bad_status": 1,
        "bad_timestamp": 1,
        "wrong_column_count": 1,
        "timestamp_out_of_range": 1,
        "bad_day": 1,
        "bad_time": 1,
    }
    assert rejects.warnings["unknown_timezone"] == 1
    assert profiles["1"].effective_timezone == "America/Chicago"
    assert profiles["2"].timezone is None
    kept = dead.path.read_text().splitlines()
    assert len(kept) == 1 + rejects.total
    assert any("bad_status" in line and "maybe" in line for line in kept)


def test_missing_file_names_what_was_expected(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    write_csv(folder / "store_status.csv", ["store_id", "status", "timestamp_utc"], [])
    with (
        open_dataset(folder, Rejects()) as dataset,
        pytest.raises(
            DatasetError, match="no business hours file: expected a CSV with header store_id,dayOfWeek"
        ),
    ):
        read_profiles(dataset)


def test_missing_dataset_and_broken_zip(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"), open_dataset(tmp_path / "nope.zip", Rejects()):
        pass
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"\x00\x01 not a zip")
    with pytest.raises(DatasetError, match="zip"), open_dataset(junk, Rejects()):
        pass


@pytest.fixture
def served_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()


def test_zip_from_a_url(served_folder: tuple[str, Path]) -> None:
    url, folder = served_folder
    data = write_dataset(folder / "d", pings=[["1", "active", "2023-01-25 18:13:22 UTC"]])
    with zipfile.ZipFile(folder / "d.zip", "w") as archive:
        for path in data.iterdir():
            archive.write(path, path.name)
    with open_dataset(f"{url}/d.zip", Rejects()) as dataset:
        assert len(list(iter_pings(dataset))) == 1
    with pytest.raises(DatasetError, match="cannot download"), open_dataset(f"{url}/missing.zip", Rejects()):
        pass


def test_a_closures_file_is_recognised_by_its_header_and_its_bad_rows_kept(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path,
        pings=[["1", "active", "2023-01-25 18:13:22 UTC"]],
        hours=[["1", 0, "09:00", "17:00"]],
        closures=[
            ["1", "2023-12-24", "2023-12-26", "Christmas"],
            ["1", "2023-07-04", "2023-07-04", ""],
            ["2", "2023-03-01", "2023-03-14", " refit "],  # a store named by no other file
            ["1", "2023-05-02", "2023-05-01", "backwards"],
            ["1", "2023-02-30", "2023-03-01", "no such day"],
            ["", "2023-01-01", "2023-01-01", "no store"],
        ],
    )
    (folder / "closures.csv").rename(folder / "holidays 2023.csv")  # the name says nothing
    rejects = Rejects()
    with open_dataset(folder, rejects) as dataset:
        profiles = read_profiles(dataset)
    assert profiles["1"].closures == (
        Closure(date(2023, 7, 4), date(2023, 7, 4), ""),
        Closure(date(2023, 12, 24), date(2023, 12, 26), "Christmas"),
    )
    assert profiles["1"].hours and profiles["2"].closures == (
        Closure(date(2023, 3, 1), date(2023, 3, 14), "refit"),
    )
    assert rejects.counts == {"bad_closure": 1, "bad_date": 1, "empty_store_id": 1}
