"""``storemon demo``: the whole product on the bundled sample, on this machine, in one command."""

from __future__ import annotations

import asyncio
import signal
import sys
from importlib import resources
from pathlib import Path

from storemon.broker import LocalBroker
from storemon.local import Deployment, fetch_report

SAMPLE = resources.files("storemon.samples").joinpath("demo.zip")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def run_demo(root: Path, port: int, keep_running: bool) -> int:
    root.mkdir(parents=True, exist_ok=True)
    say("starting a local Kafka broker (the first run fetches Kafka from Maven Central) ...")
    broker = LocalBroker(root / "broker")
    broker.start()
    worker = None
    try:
        say(f"broker on {broker.bootstrap}; starting the worker and API on port {port} ...")
        deployment = Deployment(broker.bootstrap, root, name="storemon")
        worker = deployment.worker(data_dir=root / "worker", port=port).start()
        await worker.wait_ready()
        with resources.as_file(SAMPLE) as sample:
            summary = await deployment.replay(sample, progress=True)
        say(f"replayed {summary.pings} pings of {summary.profiles} stores; waiting for the worker ...")
        await deployment.wait_caught_up()
        report = root / "report.csv"
        report.write_text(await fetch_report(worker.url))
        rows = report.read_text().count("\n") - 1
        print(f"\nreport with {rows} stores: {report}")
        print(
            f"\nTry the API (docs at {worker.url}/docs):\n"
            f"  curl -X POST {worker.url}/api/trigger_report\n"
            f"  curl '{worker.url}/api/get_report?report_id=<id>'\n"
            f"  curl {worker.url}/api/stores/$(sed -n 2p {report} | cut -d, -f1)\n"
            f"  curl {worker.url}/metrics\n",
            flush=True,
        )
        if keep_running:
            say("running; press Ctrl-C to stop")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
        return 0
    finally:
        if worker is not None:
            worker.stop()
        broker.stop()
