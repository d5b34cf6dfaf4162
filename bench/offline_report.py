"""Benchmark: offline report over a full-scale generated dataset (files -> CSV).

    python -m bench.offline_report [--stores 10000] [--days 7.5] [--workers N]

Generates the dataset once (over the real V1 hours and timezones when ../shared has them) into
bench/.data, then times ``storemon report`` on it and prints pings/s, wall time and peak memory.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from bench.harness import dataset, dataset_parser
from storemon.offline import offline_report


def main() -> None:
    parser = dataset_parser(__doc__)
    parser.add_argument("--workers", type=int)
    args = parser.parse_args()
    source = dataset(args.stores, args.days, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        summary = offline_report(source, Path(tmp) / "report.csv", workers=args.workers)
        wall = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"offline report: {summary.pings:,} pings, {summary.stores:,} stores, {summary.rows:,} rows")
    print(f"wall {wall:.2f} s  ->  {summary.pings / wall:,.0f} pings/s  (bar: <= 10 s)")
    print(f"peak RSS: parent {own:.0f} MiB, largest partition process {children:.0f} MiB")
    print(f"rejected {sum(summary.rejected.values())}, warnings {dict(summary.warnings)}")


if __name__ == "__main__":
    main()
