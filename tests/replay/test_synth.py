"""Generated datasets: deterministic, realistic and readable by the product's own readers."""

from __future__ import annotations

import itertools
from pathlib import Path

from replay.reader import iter_pings, read_profiles
from replay.rejects import Rejects
from replay.source import open_dataset
from replay.synth import synthesize
from streams.engine import HOUR


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    first = synthesize(tmp_path / "a", stores=20, days=2, seed=3)
    second = synthesize(tmp_path / "b", stores=20, days=2, seed=3)
    third = synthesize(tmp_path / "c", stores=20, days=2, seed=4)
    for name in ("store_status.csv", "menu_hours.csv", "timezones.csv"):
        assert (first.path / name).read_bytes() == (second.path / name).read_bytes()
    assert (first.path / "store_status.csv").read_bytes() != (third.path / "store_status.csv").read_bytes()


def test_pings_are_hourly_shuffled_with_outages_and_read_back_cleanly(tmp_path: Path) -> None:
    summary = synthesize(tmp_path / "d.zip", stores=30, days=3, seed=1)
    rejects = Rejects()
    with open_dataset(summary.path, rejects) as dataset:
        pings = list(iter_pings(dataset))
        read_profiles(dataset)
    assert rejects.total == 0
    assert len(pings) == summary.pings
    assert 30 * 3 * 24 * 0.9 <= len(pings) <= 30 * 3 * 24 * 1.01
    assert {active for _, _, active in pings} == {True, False}
    instants = [at for _, at, _ in pings]
    assert instants != sorted(instants)
    one_store = sorted(at for store, at, _ in pings if store == pings[0][0])
    gaps = [b - a for a, b in itertools.pairwise(one_store)]
    assert 0.5 * HOUR < sorted(gaps)[len(gaps) // 2] < 1.5 * HOUR


def test_real_hours_and_timezones_are_used_for_the_chosen_stores(shared_data: Path, tmp_path: Path) -> None:
    v1 = shared_data / "v1_2023-01"
    summary = synthesize(
        tmp_path / "real",
        stores=50,
        days=1,
        seed=2,
        hours_file=v1 / "menu_hours.csv",
        timezones_file=v1 / "timezones.csv",
    )
    rejects = Rejects()
    with open_dataset(summary.path, rejects) as dataset:
        profiles = read_profiles(dataset)
        stores = {store for store, _, _ in iter_pings(dataset)}
    assert rejects.total == 0
    assert stores <= set(profiles) and len(stores) == 50
    assert all(store.isdigit() for store in stores)
    assert (summary.path / "menu_hours.csv").read_text().startswith("store_id,day,")
