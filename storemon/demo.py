"""``storemon demo``: the whole product on the bundled sample, on this machine, in one command."""

from __future__ import annotations

import asyncio
import signal
import sys
from importlib import resources
from pathlib import Path

import httpx

from storemon.local import fetch_report, local_deployment
from streams.engine.instants import ClockMode

SAMPLE = resources.files("storemon.samples").joinpath("demo.zip")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _newest_as_of(url: str) -> str:
    """The instant of the newest report: on the wall clock, the moment it was made."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.get("/api/reports")
        response.raise_for_status()
        as_of: str = response.json()["reports"][0]["as_of"]
        return as_of


async def run_demo(root: Path, port: int, keep_running: bool) -> int:
    root.mkdir(parents=True, exist_ok=True)
    say("starting a local Kafka broker (the first run fetches it from Maven Central), the worker and the API")
    # Live, as in production: the sample is shifted so that its last ping is now, and now is the wall clock.
    wall = {"STOREMON_CLOCK": ClockMode.WALL.value}
    async with local_deployment(root, name="storemon", port=port, settings=wall) as (
        broker,
        deployment,
        worker,
    ):
        say(f"broker on {broker.bootstrap}, API on {worker.url}; replaying the bundled sample up to now ...")
        with resources.as_file(SAMPLE) as sample:
            summary = await deployment.replay(sample, progress=True, shift_to_now=True)
        say(
            f"replayed {summary.pings} pings of {summary.profiles} stores, each moved "
            f"{summary.shift} forward so that the last is now; waiting for the worker ..."
        )
        await deployment.wait_caught_up()
        text = await fetch_report(worker.url)
        report = root / "report.csv"
        report.write_text(text)
        print(f"\nreport of {text.count(chr(10)) - 1} stores at {await _newest_as_of(worker.url)}: {report}")
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
