"""storemon: how much of each restaurant store's own business hours it was up or down, from a ping stream.

Start a broker, a worker (with its HTTP API) and replay a dataset into it; or compute the same report
straight from the files. Each command has its own help: storemon COMMAND --help.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from connectors.kafka import SaslMechanism, SecurityProtocol
from replay.parsing import RowError, parse_timestamp
from replay.publish import DEFAULT_FRAME
from replay.source import DatasetError
from storemon.listening import PortInUse
from storemon.settings import KAFKA_SETTINGS, Settings
from streams.engine import HOUR
from streams.engine.instants import iso_text
from streams.faust_internals.probe import KafkaUnreachable
from streams.layout import TopicLayoutError
from streams.state.changelog import StateFormatError

Handler = Callable[[argparse.Namespace], int]


def _number(kind: type[int] | type[float], low: float, high: float | None = None) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` in [low, high], with a message naming the range."""

    def shown(bound: float) -> str:
        return f"{bound:,.0f}" if float(bound).is_integer() else f"{bound:g}"

    wanted = f"a {'whole ' if kind is int else ''}number from {shown(low)}"
    wanted += f" to {shown(high)}" if high is not None else " up"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}") from None
        if not (low <= value and (high is None or value <= high)):
            raise argparse.ArgumentTypeError(f"{text} is out of range: expected {wanted}")
        return value

    return parse


PORT = _number(int, 1, 65_535)
COUNT = _number(int, 1, 1_000_000)
PARTITIONS = _number(int, 1, 1_000)


def _speed(text: str) -> float | None:
    """``max``, or dataset seconds per wall second: real time (1) up."""
    return None if text == "max" else _number(float, 1, 1_000_000)(text)


def _instant(text: str) -> int:
    try:
        return parse_timestamp(text)
    except RowError as error:
        raise argparse.ArgumentTypeError(f"not a timestamp: {error.detail}") from None


def _report(args: argparse.Namespace) -> int:
    from storemon.offline import offline_report

    settings = _settings(args)
    summary = offline_report(
        args.source,
        args.out,
        as_of=args.as_of,
        workers=args.workers,
        outages_out=args.outages,
        guard=settings.guard,
        history_out=args.history,
        history_days=settings.history_days,
    )
    outages = f", {summary.outages} outages -> {args.outages}" if args.outages else ""
    history = f", {summary.history_rows} store-days -> {args.history}" if args.history else ""
    print(
        f"report: {summary.rows} rows -> {args.out}{outages}{history} "
        f"(as_of {iso_text(summary.as_of or 0)}); "
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


# Options that override a setting of the same name (the Kafka ones with ``kafka_`` before it).
_OVERRIDES = ("broker", "data_dir", "partitions", "api_port", "replication_factor", "app_id", "topic_prefix")
# The password has no option: on a command line other users could read it.
_KAFKA_OVERRIDES = tuple(name for name in KAFKA_SETTINGS if name != "sasl_password")


def _settings(args: argparse.Namespace) -> Settings:
    """Environment settings, overridden by whichever options were given on the command line."""
    given = {name: getattr(args, name, None) for name in (*_OVERRIDES, *_KAFKA_OVERRIDES)}
    overrides = {
        (f"kafka_{name}" if name in _KAFKA_OVERRIDES else name): value
        for name, value in given.items()
        if value is not None
    }
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = (
            f"STOREMON_{str(e['loc'][0]).upper()}: {e['msg']}"
            if e["loc"]
            else str(e["msg"]).removeprefix("Value error, ")
            for e in error.errors()
        )
        raise ValueError("; ".join(problems)) from None


def _broker(args: argparse.Namespace) -> int:
    from storemon.broker import LocalBroker

    broker = LocalBroker(args.data_dir, port=args.port, engine=args.engine, nodes=args.nodes)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(broker.start(), flush=True)
    try:
        while not stop.wait(1.0):
            if any(node.process is None or node.process.poll() is not None for node in broker.nodes):
                print("storemon broker: a broker exited; see broker.log in its data dir", file=sys.stderr)
                return 1
    finally:
        broker.stop()
    return 0


def _replay(args: argparse.Namespace) -> int:
    from replay.publish import publish_dataset
    from streams.faust_internals.probe import probe

    settings = _settings(args)
    kafka, speed = settings.kafka, args.speed

    async def run() -> int:
        await probe(kafka)
        summary = await publish_dataset(
            args.source,
            kafka,
            settings.topics,
            settings.partitions,
            settings.replication_factor,
            speed=speed,
            frame=int(args.frame_hours * HOUR),
            guard=settings.guard,
            shift_to_now=args.shift_to_now,
        )
        print(
            f"replay: {summary.pings:,} pings in {summary.messages:,} messages and {summary.profiles:,} "
            f"profiles to {settings.broker} in {summary.elapsed:.2f} s ({summary.rate:,.0f} pings/s)",
            file=sys.stderr,
        )
        if summary.shifted_by:
            print(f"replay: every ping shifted by {summary.shift}", file=sys.stderr)
        _print_rejects(summary.rejected, summary.warnings, None)
        return 0

    return asyncio.run(run())


def _topics(args: argparse.Namespace) -> int:
    from storemon.topics import run_topics

    return asyncio.run(run_topics(args.action, _settings(args)))


def _worker(args: argparse.Namespace) -> int:
    from storemon.worker import run_worker

    run_worker(_settings(args))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from storemon.demo import run_demo

    return asyncio.run(run_demo(args.data_dir, args.port, keep_running=not args.exit))


def _examples(*lines: str) -> str:
    heading = "example:" if len(lines) == 1 else "examples:"
    return heading + "\n" + "\n".join(f"  {line}" for line in lines)


def _kafka_options(parser: argparse.ArgumentParser) -> None:
    """How to reach the cluster, for every command that does. The SASL password is taken from
    STOREMON_KAFKA_SASL_PASSWORD only: on a command line, other users could read it."""
    group = parser.add_argument_group("Kafka (default: the STOREMON_* settings)")
    group.add_argument("--broker", help="bootstrap servers, host:port[,host:port]")
    group.add_argument("--security-protocol", choices=[p.value for p in SecurityProtocol])
    group.add_argument("--sasl-mechanism", choices=[m.value for m in SaslMechanism])
    group.add_argument("--sasl-username", help="with the password in STOREMON_KAFKA_SASL_PASSWORD")
    group.add_argument("--ssl-cafile", type=Path, help="PEM certificates to trust (default: the system's)")
    group.add_argument("--ssl-certfile", type=Path, help="PEM client certificate, for mutual TLS")
    group.add_argument("--ssl-keyfile", type=Path, help="PEM key of the client certificate")
    group.add_argument("--partitions", type=PARTITIONS, help="partitions of the keyed topics and tables")
    group.add_argument(
        "--replication-factor",
        type=PARTITIONS,
        help="replicas of each topic (default: 3, or every broker if fewer)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storemon",
        description=__doc__,
        epilog=_examples(
            "storemon demo                                   # everything, on the bundled sample",
            "storemon report data.zip --out report.csv       # no Kafka needed",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, *examples: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog=_examples(*examples),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    report = command(
        "report",
        "write the uptime report straight from dataset files, without Kafka",
        "storemon report store-monitoring-data.zip --out report.csv --as-of '2023-01-25 18:00:00 UTC'",
        "storemon report store-monitoring-data.zip --out report.csv --outages outages.csv",
        "storemon report store-monitoring-data.zip --out report.csv --history history.csv",
    )
    report.add_argument("source", help="dataset: zip file, http(s) zip URL or folder")
    report.add_argument("--out", type=Path, required=True, help="report CSV to write")
    report.add_argument("--as-of", type=_instant, help="instant the report describes (default: latest ping)")
    report.add_argument(
        "--outages", type=Path, help="also write the outages of the week before as_of to this CSV"
    )
    report.add_argument(
        "--history",
        type=Path,
        help="also write each store's daily history (STOREMON_HISTORY_DAYS dates to as_of's) to this CSV",
    )
    report.add_argument(
        "--workers", type=COUNT, help="processes, one per partition of the stores (default: cores)"
    )
    report.set_defaults(handler=_report)

    synth = command(
        "synth",
        "write a realistic generated dataset in the public file format",
        "storemon synth big.zip --stores 10000 --days 7.5 --hours menu_hours.csv --timezones timezones.csv",
    )
    synth.add_argument("out", type=Path, help="output folder, or a .zip file")
    synth.add_argument("--stores", type=COUNT, required=True, help="number of stores")
    synth.add_argument(
        "--days", type=_number(float, 0.01, 3650), required=True, help="days of pings, ending 2023-01-25"
    )
    synth.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same data")
    synth.add_argument("--hours", type=Path, help="real business-hours CSV to take stores and hours from")
    synth.add_argument("--timezones", type=Path, help="real timezones CSV to take stores and zones from")
    synth.set_defaults(handler=_synth)

    broker = command(
        "broker",
        "run a local Kafka (KRaft) on loopback, one node or a cluster, and print its bootstrap address",
        "storemon broker --port 9092",
        "storemon broker --nodes 3 --data-dir .storemon/cluster",
    )
    broker.add_argument("--port", type=PORT, help="listener port of the first node (default: a free one)")
    broker.add_argument(
        "--nodes", type=_number(int, 1, 9), default=1, help="KRaft nodes, each a broker and a controller"
    )
    broker.add_argument("--data-dir", type=Path, default=Path(".storemon/broker"), help="logs and metadata")
    broker.add_argument(
        "--engine", choices=("auto", "kafka", "tansu"), default="auto",
        help="Apache Kafka (needs Java and Maven) or the memory-only Tansu fallback (default: auto)",
    )  # fmt: skip
    broker.set_defaults(handler=_broker)

    replay = command(
        "replay",
        "publish a dataset's store profiles, then its pings in time order, to Kafka",
        "storemon replay store-monitoring-data.zip --broker 127.0.0.1:9092 --speed 3600",
    )
    replay.add_argument("source", help="dataset: zip file, http(s) zip URL or folder")
    _kafka_options(replay)
    replay.add_argument(
        "--speed",
        type=_speed,
        default=None,
        help="dataset seconds per wall second (1 up), or 'max' (default)",
    )
    replay.add_argument(
        "--frame-hours",
        type=_number(float, 0.1, 24 * 31),
        default=DEFAULT_FRAME / HOUR,
        help="dataset hours per batch at max speed",
    )
    replay.add_argument(
        "--shift-to-now",
        action="store_true",
        help="move every ping by one amount so that the last is stamped now (for STOREMON_CLOCK=wall)",
    )
    replay.set_defaults(handler=_replay)

    worker = command(
        "worker",
        "run the stream worker with its HTTP API (reports, lookups, metrics) in one process",
        "storemon worker --broker 127.0.0.1:9092 --port 8000",
    )
    _kafka_options(worker)
    worker.add_argument(
        "--port", dest="api_port", type=PORT, help="HTTP API port (default: STOREMON_API_PORT)"
    )
    worker.add_argument("--data-dir", type=Path, help="tables and reports (default: STOREMON_DATA_DIR)")
    worker.set_defaults(handler=_worker)

    topics = command(
        "topics",
        "print, create or check the topics the product needs, with their partitions and replication",
        "storemon topics plan --replication-factor 3 > layout.txt",
        "storemon topics create --broker kafka-1:9093 --security-protocol SASL_SSL --sasl-username admin",
        "storemon topics check --broker kafka-1:9093",
    )
    topics.add_argument(
        "action", choices=("plan", "create", "check"),
        help="plan: print the layout and the commands that make it; create: make what is missing; "
        "check: compare the cluster's topics with the layout (exit 1 on any difference)",
    )  # fmt: skip
    topics.add_argument("--app-id", help="the workers' STOREMON_APP_ID, which names the changelogs")
    topics.add_argument("--topic-prefix", help="STOREMON_TOPIC_PREFIX")
    _kafka_options(topics)
    topics.set_defaults(handler=_topics)

    demo = command(
        "demo",
        "run broker, worker and API on this machine, replay the bundled sample and write one report",
        "storemon demo --port 8000",
    )
    demo.add_argument(
        "--data-dir", type=Path, default=Path(".storemon/demo"), help="where everything is kept"
    )
    demo.add_argument("--port", type=PORT, default=8000, help="HTTP API port")
    demo.add_argument("--exit", action="store_true", help="stop after the report instead of serving the API")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (DatasetError, ValueError) as error:
        print(f"storemon {args.command}: {error}", file=sys.stderr)
        return 2
    except (KafkaUnreachable, TopicLayoutError, StateFormatError, PortInUse) as error:
        print(f"storemon {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
