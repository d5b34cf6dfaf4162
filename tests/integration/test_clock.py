"""The wall clock against a real broker and worker: history shifted to now, then pings that stop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from storemon.local import Deployment, fetch_report
from streams.engine import HOUR, MINUTE, SECOND
from streams.engine.instants import dataset_text, iso_text, wall_clock
from tests.helpers import instant, write_dataset

pytestmark = pytest.mark.kafka

STORES = ["s1", "s2", "s3"]
START = instant("2023-01-16T00:00:00")


def test_on_the_wall_clock_a_shifted_fleet_whose_pings_stop_falls_silent(
    deployment: Deployment, tmp_path: Path
) -> None:
    # Open all day, every day (no hours): whenever the pings stop, the stores are open.
    pings = [
        (store, "active" if (h + i) % 5 else "inactive", dataset_text(START + h * HOUR + i * SECOND))
        for i, store in enumerate(STORES)
        for h in range(48)
    ]
    last = START + 47 * HOUR + (len(STORES) - 1) * SECOND
    source = write_dataset(tmp_path / "history", pings)
    deployment.settings.update(STOREMON_CLOCK="wall", STOREMON_SILENCE_MINUTES="0.5")

    async def scenario() -> None:
        worker = deployment.worker().start()
        try:
            await worker.wait_ready()
            before = wall_clock()
            summary = await deployment.replay(source, shift_to_now=True)
            assert before - last <= summary.shifted_by <= wall_clock() - last
            await deployment.wait_caught_up()
            async with httpx.AsyncClient(base_url=worker.url, timeout=30) as client:
                store = (await client.get("/api/stores/s3")).json()
                assert store["last_ping"] == iso_text(last + summary.shifted_by)
                assert instant(store["as_of"]) >= before  # now is the present, not 2023
                fleet = (await client.get("/api/fleet")).json()
                assert (fleet["up"] + fleet["down"], fleet["silent"]) == (3, 0)

                # No more pings: half a minute after its last, every store is silent.
                deadline = time.monotonic() + 120
                while (fleet := (await client.get("/api/fleet")).json())["silent"] < 3:
                    assert time.monotonic() < deadline, fleet
                    await asyncio.sleep(1)
                assert instant(fleet["as_of"]) - (last + summary.shifted_by) >= MINUTE // 2

                # A ping through the push URL is heard: the fleet's next "now" (listings asked for it
                # within a few seconds share one) counts the store up again.
                pushed = await client.post("/api/stores/s1/ping", params={"status": "active"})
                assert pushed.is_success, pushed.text
                await deployment.wait_caught_up()
                heard = (await client.get("/api/stores/s1")).json()
                assert (heard["status"], instant(heard["last_ping"]) >= instant(fleet["as_of"])) == (
                    "active",
                    True,
                )
                while (fleet := (await client.get("/api/fleet")).json())["silent"] == 3:
                    assert time.monotonic() < deadline + 30, fleet
                    await asyncio.sleep(1)
                assert (fleet["up"], fleet["silent"]) == (1, 2)

            # A report without an instant is made at the present too.
            asked = wall_clock()
            await fetch_report(worker.url)
            async with httpx.AsyncClient(base_url=worker.url, timeout=30) as client:
                listed = (await client.get("/api/reports")).json()["reports"][0]
            assert instant(listed["as_of"]) >= asked
        finally:
            worker.stop()

    asyncio.run(scenario())
