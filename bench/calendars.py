"""Benchmark: what building one store's profile and business calendar costs, in time and memory.

    python -m bench.calendars [--profiles 20000]

Builds distinct random weekly schedules over a few zones (as a fleet with its own hours per store
has) and asks each calendar one week of business time, the work a report does per store whose
profile is not cached.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime

from bench.harness import peak_rss_mib
from streams.engine import DAY, SECOND, HoursRow, StoreProfile
from streams.engine.instants import to_instant
from streams.engine.units import WEEK

ZONES = ("America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles", "Asia/Tokyo")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=20_000)
    count = parser.parse_args().profiles
    rng = random.Random(1)
    before = peak_rss_mib(os.getpid())
    started = time.perf_counter()
    profiles = [
        StoreProfile(
            rng.choice(ZONES),
            tuple(
                HoursRow(day, rng.randrange(0, 40_000), rng.randrange(40_000, DAY // SECOND))
                for day in range(7)
            ),
        )
        for _ in range(count)
    ]
    built = time.perf_counter() - started
    now = to_instant(datetime(2023, 1, 25, tzinfo=UTC))
    started = time.perf_counter()
    for profile in profiles:
        profile.calendar.business_between(now - WEEK, now)
    asked = time.perf_counter() - started
    grown = peak_rss_mib(os.getpid()) - before
    print(
        f"{count:,} distinct profiles: built in {built:.2f} s ({built / count * 1e6:.0f} us each), "
        f"first week asked in {asked / count * 1e6:.0f} us each; "
        f"peak RSS +{grown:.0f} MiB ({grown * 1024 / count:.1f} KiB each)"
    )


if __name__ == "__main__":
    main()
