"""The offline report command end to end, from dataset files to the CSV."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from replay.synth import synthesize
from storemon.cli import main
from streams.engine import CSV_HEADER
from streams.engine.history import HISTORY_HEADER
from tests.helpers import read_report, write_dataset
from tests.worked_examples import EXAMPLES


def _examples_dataset(folder: Path) -> Path:
    """All worked examples in one dataset; they are far apart in time, so each needs its own as_of."""
    return write_dataset(
        folder,
        pings=[[e.store_id, status, f"{at} UTC"] for e in EXAMPLES for at, status in e.pings],
        hours=[[e.store_id, day, start, end] for e in EXAMPLES for day, start, end in e.hours],
        timezones=[[e.store_id, e.timezone] for e in EXAMPLES if e.timezone],
        closures=[[e.store_id, *closure] for e in EXAMPLES for closure in e.closures],
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.store_id)
def test_worked_examples_through_the_command(tmp_path: Path, example) -> None:  # type: ignore[no-untyped-def]
    data = _examples_dataset(tmp_path / "data")
    out = tmp_path / "report.csv"
    assert main(["report", str(data), "--out", str(out), "--as-of", example.as_of, "--workers", "1"]) == 0
    rows = read_report(out)
    assert rows[example.store_id] == pytest.approx(example.expected, abs=0.01)
    assert out.read_text().splitlines()[0] == ",".join(CSV_HEADER)
    # Stores whose first ping is after as_of have no row.
    assert all(min(at for at, _ in e.pings) <= example.as_of for e in EXAMPLES if e.store_id in rows)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.store_id)
def test_worked_outages_through_the_command(tmp_path: Path, example) -> None:  # type: ignore[no-untyped-def]
    data = _examples_dataset(tmp_path / "data")
    out, outages = tmp_path / "report.csv", tmp_path / "outages.csv"
    argv = ["report", str(data), "--out", str(out), "--as-of", example.as_of, "--outages", str(outages)]
    assert main([*argv, "--workers", "2"]) == 0
    with outages.open(newline="") as handle:
        found = [row for row in csv.DictReader(handle) if row["store_id"] == example.store_id]
    assert [
        (
            row["started_at"],
            row["ended_at"],
            row["business_started_at"],
            float(row["business_downtime_minutes"]),
        )
        for row in found
    ] == [
        (_iso(start), _iso(end) if end else "", _iso(business), minutes)
        for start, end, business, minutes in example.outages
    ]
    if example.store_id == "C":  # 01:30 in the repeated hour, after the clocks went back
        assert found[0]["started_at_local"] == "2023-11-05T01:30:00-06:00"
        assert found[0]["timezone"] == "America/Chicago" and found[0]["began_before_window"] == "false"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_worked_history_through_the_command(tmp_path: Path, workers: str) -> None:
    """A's one date, without and with its closure; C's four, back-filled before its first ping and
    with the autumn's repeated hour counted twice on 5 November (as the report's week does)."""
    data = _examples_dataset(tmp_path / "data")
    out, history = tmp_path / "report.csv", tmp_path / "history.csv"
    argv = [
        "report",
        str(data),
        "--out",
        str(out),
        "--as-of",
        "2023-01-23 21:30:00",
        "--history",
        str(history),
    ]
    assert main([*argv, "--workers", workers]) == 0
    assert history.read_text().splitlines() == [
        ",".join(HISTORY_HEADER),
        "A,2023-01-23,450.0,300.0,150.0",
        "A-closed,2023-01-23,0.0,0.0,0.0",
    ]
    argv[5] = "2023-11-06 12:00:00"
    assert main([*argv, "--workers", workers]) == 0
    assert [line for line in history.read_text().splitlines() if line.startswith("C,")] == [
        "C,2023-11-04,0.0,0.0,0.0",
        "C,2023-11-05,180.0,120.0,60.0",
        "C,2023-11-06,0.0,0.0,0.0",
    ]


def _iso(text: str) -> str:
    return text.replace(" ", "T") + "Z"


def test_partitioned_run_equals_single_process_run(tmp_path: Path) -> None:
    data = synthesize(tmp_path / "data.zip", stores=60, days=8, seed=7).path
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    outages_one, outages_two = tmp_path / "one-outages.csv", tmp_path / "two-outages.csv"
    history_one, history_two = tmp_path / "one-history.csv", tmp_path / "two-history.csv"
    for out, outages, history, workers in (
        (one, outages_one, history_one, "1"),
        (two, outages_two, history_two, "3"),
    ):
        argv = ["report", str(data), "--out", str(out), "--outages", str(outages), "--history", str(history)]
        assert main([*argv, "--workers", workers]) == 0
    assert one.read_bytes() == two.read_bytes()
    assert outages_one.read_bytes() == outages_two.read_bytes()
    assert history_one.read_bytes() == history_two.read_bytes()
    # Every store with a row has its dates, about nine of them (eight days of pings, local dates).
    with history_one.open(newline="") as handle:
        dates = Counter(row["store_id"] for row in csv.DictReader(handle))
    assert set(dates) == set(read_report(one)) and set(dates.values()) <= {8, 9, 10}
    assert len(read_report(one)) == 60
    with outages_one.open(newline="") as handle:
        listed = list(csv.DictReader(handle))
    downtime: dict[str, float] = {}
    for row in listed:
        downtime[row["store_id"]] = downtime.get(row["store_id"], 0.0) + float(
            row["business_downtime_minutes"]
        )
    assert listed and all(
        downtime.get(store, 0.0) / 60 == pytest.approx(figures[-1], abs=0.011)
        for store, figures in read_report(one).items()
    )


def test_bad_rows_go_to_a_dead_letter_file_beside_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_dataset(
        tmp_path / "data",
        pings=[["1", "active", "2023-01-25 18:00:00 UTC"], ["2", "on", "2023-01-25 18:00:00 UTC"]],
    )
    out = tmp_path / "out" / "report.csv"
    assert main(["report", str(data), "--out", str(out), "--workers", "2"]) == 0
    assert set(read_report(out)) == {"1"}
    dead = out.with_name("report.rejects.csv").read_text()
    assert "bad_status" in dead and ",on," in dead
    assert "rejected 1: bad_status 1" in capsys.readouterr().err


@pytest.mark.parametrize("workers", [1, 2, 5])
def test_each_bad_row_is_counted_and_kept_once_whatever_the_processes(
    tmp_path: Path, workers: int, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_dataset(
        tmp_path / "data",
        pings=[
            ["1", "active", "2023-01-25 18:00:00 UTC"],
            ["2", "active"],  # refused before its store is known
            ["3", "active", "2023-01-25 18:00:00 UTC", "extra"],
            ["4", "on", "2023-01-25 18:00:00 UTC"],
        ],
        hours=[["1", "9", "09:00", "17:00"], ["5"]],
    )
    out = tmp_path / "report.csv"
    stale = out.with_name("report.rejects.csv")
    stale.write_text("left over from an earlier run\n")
    assert main(["report", str(data), "--out", str(out), "--workers", str(workers)]) == 0
    err = capsys.readouterr().err
    assert "rejected 5: bad_day 1, bad_status 1, wrong_column_count 3" in err
    assert len(stale.read_text().splitlines()) == 1 + 5
    clean = write_dataset(tmp_path / "clean", pings=[["1", "active", "2023-01-25 18:00:00 UTC"]])
    assert main(["report", str(clean), "--out", str(out), "--workers", str(workers)]) == 0
    assert not stale.exists()


def test_missing_dataset_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "absent"), "--out", str(tmp_path / "r.csv")]) == 2
    assert "dataset not found" in capsys.readouterr().err


@pytest.mark.parametrize("workers", [1, 2])
def test_a_ping_stamped_after_the_reading_clock_allows_is_refused_and_kept(
    tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_dataset(
        tmp_path / "data",
        pings=[["s1", "active", "2023-01-25 10:00:00 UTC"], ["s1", "inactive", "2099-06-01 00:00:00 UTC"]],
        hours=[],
        timezones=[],
    )
    out = tmp_path / "report.csv"
    monkeypatch.setenv("STOREMON_MAX_FUTURE_SECONDS", "60")
    assert main(["report", str(data), "--out", str(out), "--workers", str(workers)]) == 0
    assert "rejected 1: from_the_future 1" in capsys.readouterr().err
    assert read_report(out) == {
        "s1": pytest.approx([60.0, 24.0, 168.0, 0.0, 0.0, 0.0])
    }  # as_of: the 10:00 ping
    [kept] = list(csv.DictReader(out.with_name("report.rejects.csv").open()))
    assert (kept["reason"], kept["line"]) == ("from_the_future", "3")
    assert kept["detail"].startswith("2099-06-01T00:00:00Z is after ")
