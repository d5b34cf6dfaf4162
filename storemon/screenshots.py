"""Screenshots of the dashboard for the README: ``python -m storemon.screenshots [--out docs/img]``.

Starts a local broker and worker, replays the bundled sample, then photographs the fleet page and
the page of the store with the costliest outage, in headless Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
from pathlib import Path

import httpx

from dashboard.browser import headless_chromium
from storemon.local import local_deployment

SAMPLE = Path(__file__).resolve().parent / "samples" / "demo.zip"


def photograph(url: str, store: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url + "/")
        page.wait_for_selector("#stores tbody tr")
        page.wait_for_function("document.querySelector('#live-state').textContent === 'live'")
        page.screenshot(path=str(out / "fleet.png"), full_page=True)
        page.goto(f"{url}/stores/{store}")
        page.wait_for_selector("svg.timeline")
        page.screenshot(path=str(out / "store.png"), full_page=True)


async def run(out: Path, root: Path) -> None:
    async with local_deployment(root) as (_, deployment, worker):
        await deployment.replay(SAMPLE)
        await deployment.wait_caught_up()
        async with httpx.AsyncClient(base_url=worker.url, timeout=60) as client:
            worst = (await client.get("/api/outages", params={"limit": 1})).json()["outages"][0]
        # Playwright's sync API runs its own loop: it gets a thread of its own.
        thread = threading.Thread(target=photograph, args=(worker.url, worst["store_id"], out))
        thread.start()
        await asyncio.to_thread(thread.join)
    print(f"wrote {out / 'fleet.png'} and {out / 'store.png'}")


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
