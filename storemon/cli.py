"""The ``storemon`` command line: one entry point, one subcommand per job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from replay.parsing import RowError, parse_timestamp
from replay.source import DatasetError
from streams.engine import SECOND

Handler = Callable[[argparse.Namespace], int]


def _instant(text: str) -> int:
    try:
        return parse_timestamp(text)
    except RowError as error:
        raise argparse.ArgumentTypeError(f"not a timestamp: {error.detail}") from None


def _iso(instant: int) -> str:
    return datetime.fromtimestamp(instant / SECOND).astimezone().isoformat()


def _report(args: argparse.Namespace) -> int:
    from storemon.offline import offline_report

    summary = offline_report(args.source, args.out, as_of=args.as_of, workers=args.workers)
    print(
        f"report: {summary.rows} rows -> {args.out} (as_of {_iso(summary.as_of or 0)}); "
        f"{summary.pings} pings from {summary.stores} stores in {summary.elapsed:.2f} s "
        f"({summary.pings / max(summary.elapsed, 1e-9):,.0f} pings/s)",
        file=sys.stderr,
    )
    _print_rejects(summary.rejected, summary.warnings, summary.dead_letters)
    return 0


def _print_rejects(counts: dict[str, int], warnings: dict[str, int], dead_letters: Path | None) -> None:
    if counts:
        listed = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
        print(
            f"rejected {sum(counts.values())}: {listed}"
            + (f" (kept in {dead_letters})" if dead_letters else ""),
            file=sys.stderr,
        )
    else:
        print("rejected 0", file=sys.stderr)
    if warnings:
        print(
            "warnings: " + ", ".join(f"{reason} {n}" for reason, n in sorted(warnings.items())),
            file=sys.stderr,
        )


def _synth(args: argparse.Namespace) -> int:
    from replay.synth import synthesize

    summary = synthesize(
        args.out, args.stores, args.days, seed=args.seed, hours_file=args.hours, timezones_file=args.timezones
    )
    print(f"synth: {summary.pings} pings for {summary.stores} stores -> {summary.path}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storemon", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    report = commands.add_parser("report", help="offline report from dataset files, without Kafka")
    report.add_argument("source", help="dataset: zip file, http(s) zip URL or folder")
    report.add_argument("--out", type=Path, required=True, help="report CSV to write")
    report.add_argument("--as-of", type=_instant, help="instant the report describes (default: latest ping)")
    report.add_argument(
        "--workers", type=int, help="processes, one per partition of the stores (default: cores)"
    )
    report.set_defaults(handler=_report)

    synth = commands.add_parser("synth", help="write a realistic dataset in the public file format")
    synth.add_argument("out", type=Path, help="output folder, or a .zip file")
    synth.add_argument("--stores", type=int, required=True)
    synth.add_argument("--days", type=float, required=True)
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--hours", type=Path, help="real business-hours CSV to take stores and hours from")
    synth.add_argument("--timezones", type=Path, help="real timezones CSV to take stores and zones from")
    synth.set_defaults(handler=_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (DatasetError, ValueError) as error:
        print(f"storemon {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
