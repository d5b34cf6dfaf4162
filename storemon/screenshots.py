"""Screenshots of the dashboard for the README: ``python -m storemon.screenshots [--out docs/img]``.

Starts a local broker and worker, replays the bundled sample with a few of its stores gone quiet
for its last hours (so the pages show silence), then photographs the fleet page, the page of the
store with the costliest outage, a silent store's page and the reports page, in headless Chromium at
1,400 px, and the fleet and store pages and a store's public status page at a phone's 390 px.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import zipfile
from pathlib import Path

import httpx
from playwright.sync_api import Page

from dashboard.browser import headless_chromium
from replay.parsing import parse_timestamp
from storemon.local import fetch_report, local_deployment
from streams.engine import HOUR

SAMPLE = Path(__file__).resolve().parent / "samples" / "demo.zip"


# Stores of the sample whose last hours of pings are left out, and how many hours.
QUIET_STORES, QUIET_HOURS = 4, 6


def with_quiet_stores(sample: Path, folder: Path) -> Path:
    """The sample's files, ``QUIET_STORES`` of its stores without their last ``QUIET_HOURS`` of pings."""
    with zipfile.ZipFile(sample) as archive:
        archive.extractall(folder)
    pings = folder / "store_status.csv"
    header, *rows = pings.read_text().splitlines()
    stamps = [parse_timestamp(row.rsplit(",", 1)[1]) for row in rows]
    quiet = sorted({row.split(",", 1)[0] for row in rows})[:QUIET_STORES]
    until = max(stamps) - QUIET_HOURS * HOUR
    kept = [
        row for row, at in zip(rows, stamps, strict=True) if at <= until or row.split(",", 1)[0] not in quiet
    ]
    pings.write_text("\n".join([header, *kept]) + "\n")
    return folder


# The fleet page once its event stream is live.
LIVE = "document.querySelector('#live-state').textContent === 'live'"


def shoot(
    page: Page, address: str, ready: list[str], path: Path, full_page: bool = True, live: bool = False
) -> None:
    """Open ``address``, wait until each selector of ``ready`` is there (and, ``live``, the fleet
    page's event stream), and save the page to ``path``."""
    page.goto(address)
    for selector in ready:
        page.wait_for_selector(selector)
    if live:
        page.wait_for_function(LIVE)
    page.screenshot(path=str(path), full_page=full_page)


def photograph(url: str, stores: tuple[str, str], out: Path) -> None:
    worst, silent = stores
    out.mkdir(parents=True, exist_ok=True)
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        fleet = ["#stores tbody tr", "#open-silences li[data-silence]", "#fleet-days li"]
        shoot(page, url + "/", fleet, out / "fleet.png", live=True)
        shoot(page, f"{url}/stores/{worst}", ["svg.timeline"], out / "store.png")
        shoot(page, f"{url}/stores/{silent}", ["svg.timeline"], out / "silent-store.png")
        shoot(page, f"{url}/reports", ["#reports tbody tr[data-report]"], out / "reports.png")
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        shoot(phone, url + "/", fleet, out / "phone-fleet.png", full_page=False)
        shoot(phone, f"{url}/stores/{worst}", ["svg.timeline"], out / "phone-store.png")
        shoot(phone, f"{url}/status/{worst}", ["#hours li"], out / "phone-status.png")


async def run(out: Path, root: Path) -> None:
    async with local_deployment(root) as (_, deployment, worker):
        await deployment.replay(with_quiet_stores(SAMPLE, root / "sample"))
        await deployment.wait_caught_up()
        await fetch_report(worker.url)
        async with httpx.AsyncClient(base_url=worker.url, timeout=60) as client:
            worst = (await client.get("/api/outages", params={"limit": 1})).json()["outages"][0]
            silent = (await client.get("/api/silences", params={"limit": 1})).json()["silences"][0]
        # Playwright's sync API runs its own loop: it gets a thread of its own.
        stores = (worst["store_id"], silent["store_id"])
        thread = threading.Thread(target=photograph, args=(worker.url, stores, out))
        thread.start()
        await asyncio.to_thread(thread.join)
    print(f"wrote fleet.png, store.png, silent-store.png, reports.png and phone-*.png in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storemon-shots-") as tmp:
        asyncio.run(run(args.out, Path(tmp)))


if __name__ == "__main__":
    main()
