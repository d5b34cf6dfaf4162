"""Benchmark: the fleet page, from navigation to usable, at 10,000 (or ``--stores``) stores.

    python -m bench.dashboard [--stores 10000] [--days 7.5] [--loads 5] [--idle-minutes 0]

Starts a broker and one worker, replays the generated dataset, waits until the worker's background
gathering of the fleet (what the page reads, ``Cache-Control: max-stale``) has reached the end of the
replay, then opens the fleet page in headless Chromium ``loads`` times. "Usable" is when the counts
and the first page of stores are on screen, as the page itself marks it (User Timing). Prints how
long the worker took to have the fleet ready after the replay, and each load's time. With
``--idle-minutes M``, the browser is closed, nothing asks the worker for M minutes, and a fresh
browser loads the page ``loads`` times again: the cold loads after a quiet spell.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx

from bench.harness import run_against_worker
from dashboard.browser import headless_chromium
from storemon.local import local_deployment

# app.js sets this User Timing mark once the counts and the first page of stores are on screen.
USABLE = "performance.getEntriesByName('storemon:fleet-usable')[0]?.startTime"


def load_times(url: str, loads: int, into: list[tuple[float, float]]) -> None:
    """Per load: (navigation start to usable as the page timed it, ``goto`` to usable as seen here)."""
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for _ in range(loads):
            started = time.perf_counter()
            page.goto(url + "/")
            page.wait_for_function(f"{USABLE} !== undefined", polling=5)
            into.append((page.evaluate(USABLE) / 1000, time.perf_counter() - started))


async def run(source: Path, loads: int, root: Path, idle_minutes: int) -> None:
    async with local_deployment(root, partitions=8) as (_, deployment, worker):
        await deployment.replay(source)
        await deployment.wait_caught_up(timeout=900)
        caught_up = time.perf_counter()
        async with httpx.AsyncClient(base_url=worker.url, timeout=120) as client:
            watermark = (await client.get("/api/fleet/progress")).json()["as_of"]
            ready = {"Cache-Control": "max-stale=60"}  # as the page asks
            while (await client.get("/api/fleet", headers=ready)).json()["as_of"] != watermark:
                await asyncio.sleep(0.1)
        waited = time.perf_counter() - caught_up
        print(f"the fleet at the replay's end was ready {waited:.1f} s after it (the first ask gathers it)")
        async with httpx.AsyncClient(base_url=worker.url, timeout=120) as client:
            stores = (await client.get("/api/fleet")).json()["stores"]
        print(f"fleet page usable, {stores:,} stores, {loads} loads (the first in a fresh browser):")
        await timed_loads(worker.url, loads)
        if idle_minutes:
            await asyncio.sleep(idle_minutes * 60)
            print(f"after {idle_minutes} idle minutes, in a fresh browser:")
            await timed_loads(worker.url, loads)
    print("bar: 300 ms at 10,000 stores, 1 s at 100,000")


async def timed_loads(url: str, loads: int) -> None:
    times: list[tuple[float, float]] = []
    thread = threading.Thread(target=load_times, args=(url, loads, times))  # Playwright's own loop
    thread.start()
    await asyncio.to_thread(thread.join)
    timed = ", ".join(f"{inside * 1000:.0f}" for inside, _ in times)
    seen = ", ".join(f"{outside * 1000:.0f}" for _, outside in times)
    print(f"  timed by the page, from navigation start: {timed} ms")
    print(f"  seen by the driver, from its goto (adds its polling and round trips): {seen} ms")


def main() -> None:
    run_against_worker(__doc__, "loads", 5, run, idle_minutes=0)


if __name__ == "__main__":
    main()
