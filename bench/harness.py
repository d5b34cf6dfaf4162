"""What the benchmarks share: their dataset options, and a broker with one worker around a run."""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from replay.synth import synthesize

HERE = Path(__file__).resolve().parent
REAL_V1 = HERE.parent.parent / "shared" / "data" / "store-monitoring" / "v1_2023-01"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of the children it waited for (a replay's reading processes;
    a broker or worker it started and is still running is not among them)."""
    usages = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    return sum(usage.ru_utime + usage.ru_stime for usage in usages)


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set size so far (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def peak_rss_with_children_mib(pid: int) -> tuple[float, float]:
    """Peak RSS of a process and the sum of its children's peaks (a worker and its report processes)."""
    return peak_rss_mib(pid), sum(peak_rss_mib(child) for child in children(pid))


def changelog_bytes(broker_dir: Path, app_id: str) -> int:
    """Bytes of the tables' changelog segments on the broker's disk: records with their framing."""
    return sum(
        f.stat().st_size
        for d in (broker_dir / "logs").glob(f"{app_id}-*-changelog-*")
        for f in d.iterdir()
        if f.suffix == ".log"
    )


def dataset(stores: int, days: float, seed: int) -> Path:
    """The generated dataset, made once into bench/.data over the real V1 hours when they are at hand
    and name enough stores."""
    path = HERE / ".data" / f"synth-{stores}x{days}d-s{seed}.zip"
    if not path.exists():
        real = REAL_V1.is_dir()
        started = time.perf_counter()
        try:
            synthesize(
                path,
                stores,
                days,
                seed=seed,
                hours_file=REAL_V1 / "menu_hours.csv" if real else None,
                timezones_file=REAL_V1 / "timezones.csv" if real else None,
            )
        except ValueError:  # more stores than the real files name (about 13,600): generate them all
            real = False
            synthesize(path, stores, days, seed=seed)
        origin = "real V1 hours and timezones" if real else "generated hours and timezones"
        print(
            f"generated {path.name} over {origin} in {time.perf_counter() - started:.1f} s", file=sys.stderr
        )
    return path


def run_against_worker(
    description: str | None,
    option: str,
    default: int,
    run: Callable[..., Coroutine[Any, Any, None]],
    **more: int,
) -> None:
    """Parse the dataset options plus one integer ``option`` (and ``more`` integer options, each with
    its default), then ``run(dataset, value, scratch dir, **more values)``."""
    parser = dataset_parser(description)
    parser.add_argument(f"--{option}", type=int, default=default)
    for name, value in more.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=value)
    args = parser.parse_args()
    source = dataset(args.stores, args.days, args.seed)
    with tempfile.TemporaryDirectory(prefix="storemon-bench-") as tmp:
        extra = {name: getattr(args, name) for name in more}
        asyncio.run(run(source, getattr(args, option), Path(tmp), **extra))


def dataset_parser(description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=7.5)
    parser.add_argument("--seed", type=int, default=1)
    return parser
