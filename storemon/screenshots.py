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


def photograph(url: str, stores: tuple[str, str], out: Path) -> None:
    worst, silent = stores
    out.mkdir(parents=True, exist_ok=True)
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/")
        page.wait_for_selector("#stores tbody tr")
        page.wait_for_selector("#open-silences li[data-silence]")
        page.wait_for_function("document.querySelector('#live-state').textContent === 'live'")
        page.screenshot(path=str(out / "fleet.png"), full_page=True)
        page.goto(f"{url}/stores/{worst}")
        page.wait_for_selector("svg.timeline")
        page.screenshot(path=str(out / "store.png"), full_page=True)
        page.goto(f"{url}/stores/{silent}")
        page.wait_for_selector("svg.timeline")
        page.screenshot(path=str(out / "silent-store.png"), full_page=True)
        page.goto(f"{url}/reports")
        page.wait_for_selector("#reports tbody tr[data-report]")
        page.screenshot(path=str(out / "reports.png"), full_page=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        phone.goto(url + "/")
        phone.wait_for_selector("#stores tbody tr")
        phone.wait_for_selector("#fleet-days li")
        phone.screenshot(path=str(out / "phone-fleet.png"))
        phone.goto(f"{url}/stores/{worst}")
        phone.wait_for_selector("svg.timeline")
        phone.screenshot(path=str(out / "phone-store.png"), full_page=True)
        phone.goto(f"{url}/status/{worst}")
        phone.wait_for_selector("#hours li")
        phone.screenshot(path=str(out / "phone-status.png"), full_page=True)


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
