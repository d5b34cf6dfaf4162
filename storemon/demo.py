"""``storemon demo``: the whole product on the bundled sample, on this machine, in one command."""

from __future__ import annotations

import asyncio
import signal
import sys
from importlib import resources
from pathlib import Path

from storemon.local import fetch_report, local_deployment

SAMPLE = resources.files("storemon.samples").joinpath("demo.zip")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def run_demo(root: Path, port: int, keep_running: bool) -> int:
    root.mkdir(parents=True, exist_ok=True)
    say("starting a local Kafka broker (the first run fetches it from Maven Central), the worker and the API")
    async with local_deployment(root, name="storemon", port=port) as (broker, deployment, worker):
        say(f"broker on {broker.bootstrap}, API on {worker.url}; replaying the bundled sample ...")
        with resources.as_file(SAMPLE) as sample:
            summary = await deployment.replay(sample, progress=True)
        say(f"replayed {summary.pings} pings of {summary.profiles} stores; waiting for the worker ...")
        await deployment.wait_caught_up()
        text = await fetch_report(worker.url)
        report = root / "report.csv"
        report.write_text(text)
        print(f"\nreport with {text.count(chr(10)) - 1} stores: {report}")
        if not keep_running:
            say("stopped after the report (--exit); run `storemon demo` without it to keep the dashboard up")
            return 0
        print(
            f"\nOpen the dashboard at {worker.url}/ and try the API (docs at {worker.url}/docs):\n"
            f"  curl -X POST {worker.url}/api/trigger_report\n"
            f"  curl '{worker.url}/api/get_report?report_id=<id>'\n"
            f"  curl {worker.url}/api/stores/$(sed -n 2p {report} | cut -d, -f1)\n"
            f"  curl '{worker.url}/api/outages?status=open'\n"
            f"  curl -N {worker.url}/api/events\n"
            f"  curl {worker.url}/metrics\n",
            flush=True,
        )
        say("running; press Ctrl-C to stop")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    return 0
