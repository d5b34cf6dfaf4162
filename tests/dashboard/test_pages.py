"""The dashboard in a real headless Chromium (Debian's, driven by Playwright), against a real worker fed
by a real replay: the figures shown are the API's, search, sort and paging work, the timeline puts
business hours where the store's clock says, a live outage appears without a reload, the token flow
works, and no page logs an error."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from connectors.kafka import KafkaConnection
from dashboard.browser import headless_chromium
from storemon.local import Deployment, WorkerProcess
from tests.helpers import write_dataset

pytestmark = pytest.mark.kafka
T = TypeVar("T")
TOKEN = "dashboard-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
END = "2023-11-06 12:00:00"


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: Playwright's sync API keeps a loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def week_dataset(folder: Path) -> Path:
    """120 ordinary stores with a week of hourly pings up to END, an overnight store in Tokyo (closed on
    2 November), and a store open on Sunday nights in Chicago across the autumn clock change (the
    specification's C)."""
    rng = random.Random(3)
    pings: list[list[str]] = []
    for i in range(120):
        for hour in range(7 * 24):
            day, clock = divmod(hour, 24)
            status = "inactive" if rng.random() < 0.1 else "active"
            pings.append(
                [f"s{i:03d}", status, f"2023-10-{30 + day if day < 2 else 0:02d} {clock:02d}:17:00 UTC"]
            )
    pings = [p for p in pings if not p[2].startswith("2023-10-00")]
    for day in range(1, 6):
        for clock in range(24):
            pings.append([f"s{day:03d}", "active", f"2023-11-{day:02d} {clock:02d}:17:00 UTC"])
    for day in range(1, 7):
        for clock in range(0, 24, 2):
            status = "inactive" if day == 3 and 12 <= clock < 20 else "active"
            if (day, clock) < (6, 12):
                pings.append(["overnight", status, f"2023-11-{day:02d} {clock:02d}:05:00 UTC"])
    pings += [
        ["fall-back", "active", "2023-11-04 12:00:00 UTC"],
        ["fall-back", "inactive", "2023-11-05 07:30:00 UTC"],
    ]
    pings.append(["s000", "active", f"{END} UTC"])
    hours = [["overnight", day, "22:00", "06:00"] for day in range(7)] + [["fall-back", 6, "00:30", "02:30"]]
    return write_dataset(
        folder,
        pings,
        hours,
        [["overnight", "Asia/Tokyo"], ["fall-back", "America/Chicago"]],
        [["overnight", "2023-11-02", "2023-11-02", "stocktaking"]],
    )


@pytest.fixture
def browser() -> Iterator[Browser]:
    with headless_chromium() as launched:
        yield launched


@pytest.fixture
def worker(kafka: KafkaConnection, tmp_path: Path) -> Iterator[tuple[Deployment, WorkerProcess]]:
    deployment = Deployment(kafka, tmp_path, token=TOKEN, settings={"STOREMON_LISTING_REFRESH_SECONDS": "1"})
    served = run_async(deployment.serve(week_dataset(tmp_path / "data")))
    try:
        wait_for_ready_fleet(served)
        yield deployment, served
    finally:
        served.stop()


def api(worker: WorkerProcess, path: str, headers: dict[str, str] | None = None, **params: str) -> Any:
    response = httpx.get(worker.url + path, params=params, headers={**AUTH, **(headers or {})}, timeout=30)
    response.raise_for_status()
    return response.json()


def wait_for_ready_fleet(worker: WorkerProcess) -> None:
    """Until the fleet the pages accept (kept ready in the background) is at the replay's end."""
    ready, end = {"Cache-Control": "max-stale=60"}, END.replace(" ", "T") + "Z"  # as the pages ask
    for _ in range(60):
        if api(worker, "/api/fleet", ready)["as_of"] == end:
            return
        time.sleep(0.5)
    raise AssertionError("the fleet kept ready never reached the end of the replay")


def open_page(browser: Browser, url: str, errors: list[str]) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("console", lambda message: _console(message, errors))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return page


def _console(message: ConsoleMessage, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(f"{message.text} at {message.location.get('url')}")


# The WCAG 2.1 A and AA rules axe-core checks (contrast, names, labels, landmarks, ARIA use, ...).
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def wcag_violations(page: Page) -> list[str]:
    """What axe-core finds against WCAG 2.1 AA on the page as it stands, one line per element."""
    found = Axe().run(page, options=WCAG_AA).response["violations"]
    return [
        f"{rule['id']}: {node['target']} {node['failureSummary']}" for rule in found for node in rule["nodes"]
    ]


def sign_in(page: Page) -> None:
    page.get_by_label("Token", exact=True).fill(TOKEN)
    page.get_by_role("button", name="Use token").click()


def test_fleet_and_store_pages_show_the_apis_figures_and_draw_the_week(
    browser: Browser, worker: tuple[Deployment, WorkerProcess]
) -> None:
    _, served = worker
    errors: list[str] = []
    page = open_page(browser, served.url + "/", errors)
    expect(page.get_by_role("dialog")).to_be_visible()  # the worker wants a token
    sign_in(page)
    summary = api(served, "/api/fleet")
    for name in ("stores", "up", "down", "silent", "closed"):
        expect(page.locator(f"#count-{name}")).to_have_text(f"{summary[name]:,}")
    expect(page.locator("#count-open")).to_have_text(f"{summary['open_now']:,}")
    expect(page.locator("#now")).to_have_text("2023-11-06 12:00:00 UTC")
    expect(page.locator("#stores tbody tr")).to_have_count(50)
    # From 29 October: the first pings (30 October 00:17 UTC) fall on the 29th in Chicago, where a
    # store's history starts, back-filled, at local midnight.
    fleet_days = api(served, "/api/fleet/history", days="30")["days"]
    assert fleet_days[0]["date"] == "2023-10-29" and len(fleet_days) == 9
    expect(page.locator("#fleet-days li")).to_have_count(9)
    expect(page.locator("#fleet-days li").last).to_have_attribute(
        "title", re.compile(rf"^2023-11-06: .* \({summary['stores']} stores\)$")
    )
    assert wcag_violations(page) == []

    def shown_ids() -> list[str]:
        found: list[str] = page.locator("#stores tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.store)"
        )
        return found

    first = api(served, "/api/fleet/stores")
    expect(page.locator("#stores tbody tr")).to_have_count(50)
    assert shown_ids() == [store["store_id"] for store in first["stores"]]
    expect(page.locator("#page-info")).to_have_text(f"1\N{EN DASH}50 of {first['total']}")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#page-info")).to_have_text(f"51\N{EN DASH}100 of {first['total']}")
    second = api(served, "/api/fleet/stores", cursor=first["next_cursor"])
    assert shown_ids() == [store["store_id"] for store in second["stores"]]
    page.get_by_role("button", name="Store").click()  # sort by id
    expect(page.locator("#stores th[data-sort=store_id]")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#stores tbody tr").first).to_have_attribute("data-store", "fall-back")
    page.get_by_role("button", name="Store").press("Enter")  # from the keyboard
    expect(page.locator("#stores th[data-sort=store_id]")).to_have_attribute("aria-sort", "descending")
    expect(page.locator("#stores tbody tr").first).to_have_attribute("data-store", "s119")
    page.get_by_label("Store id").fill("overn")
    expect(page.locator("#stores tbody tr")).to_have_count(1)
    page.get_by_role("link", name="overnight").click()  # token kept for the tab: no dialog again

    expect(page.locator("#timezone")).to_have_text("Asia/Tokyo")
    store = api(served, "/api/stores/overnight")
    for name in ("uptime_last_hour", "uptime_last_day", "uptime_last_week", "downtime_last_week"):
        expect(page.locator(f"#{name}")).to_have_text(f"{store[name]:.2f}")
    lanes = page.locator("svg.timeline g.lane")
    expect(lanes).to_have_count(7)
    for lane in lanes.all():
        hours = lane.locator("rect[data-kind=business]").evaluate_all(
            "rects => rects.map(r => r.dataset.startLocal + '-' + r.dataset.endLocal)"
        )
        closed = lane.get_attribute("data-day") == "Thu 02 Nov closed"
        assert hours == ([] if closed else ["00:00-06:00", "22:00-00:00"])
    expect(page.locator("#closures")).to_have_text("2023-11-02 (stocktaking)")
    # A cell per local date from its first ping's (1 November in Tokyo) to now's (6 November).
    history = api(served, "/api/stores/overnight/history", days="90")["days"]
    cells = page.locator("#days li")
    expect(cells).to_have_count(len(history))
    assert [d["date"] for d in history] == [f"2023-11-{day:02d}" for day in range(1, 7)]
    expect(cells.nth(1)).to_have_class("day closed")
    expect(cells.nth(1)).to_have_attribute("title", "2023-11-02: closed")
    open_days = [d for d in history if d["business_minutes"]]
    worst = min(open_days, key=lambda d: d["uptime_minutes"] / d["business_minutes"])
    shown = page.locator(f"#days li[title^='{worst['date']}']")
    expect(shown).to_contain_text(f"{worst['uptime_minutes'] / worst['business_minutes'] * 100:.1f} % up")
    assert page.locator("svg.timeline rect[data-kind=outage]").count() >= 1
    assert page.locator("#store-outages tbody tr").count() == len(
        api(served, "/api/stores/overnight/outages")["outages"]
    )
    assert wcag_violations(page) == []

    page.goto(served.url + "/stores/fall-back")
    sunday = page.locator("svg.timeline g.lane[data-day='Sun 05 Nov']")
    expect(sunday).to_have_attribute("data-hours", "25")
    expect(sunday.locator("line[data-kind=clock-change]")).to_have_count(1)
    expect(sunday.locator("rect[data-kind=business]")).to_have_attribute("data-start-local", "00:30")
    expect(page.locator("#downtime_last_week")).to_have_text("1.00")
    expect(page.locator("#store-outages tbody tr td").nth(0)).to_have_text(
        re.compile(r"2023-11-05 01:30:00-06:00")
    )
    expect(page.locator("#silent-since")).to_have_text("not silent")  # closed since its last ping

    page.goto(served.url + "/stores/s010")  # its pings stopped on 31 October
    silent_since = api(served, "/api/stores/s010")["silent_since"]
    assert silent_since == "2023-11-01T01:17:00Z"
    expect(page.locator("#status")).to_have_text(re.compile("silent"))
    expect(page.locator("#silent-since")).to_have_text(
        "Tuesday, 31 October 2023 at 20:17 (local); its last ping said up"
    )

    # A report triggered elsewhere (another tab, a script, another worker) is listed as well.
    elsewhere = httpx.post(served.url + "/api/trigger_report", headers=AUTH, timeout=30).json()["report_id"]
    page.get_by_role("link", name="Reports").click()
    expect(page.locator(f"#reports tbody tr[data-report='{elsewhere}']")).to_have_count(1)
    page.get_by_label("As of (UTC, optional)").fill("2023-11-06T11:00:00")
    page.get_by_role("button", name="Trigger report").click()
    rows = page.locator("#reports tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("2023-11-06 11:00:00 UTC")  # newest first
    expect(rows.nth(1)).to_have_attribute("data-report", elsewhere)
    for row in range(2):
        expect(rows.nth(row).locator("td").nth(2)).to_have_text("Complete", timeout=30_000)
    assert wcag_violations(page) == []
    with page.expect_download() as download:
        rows.nth(0).get_by_role("button", name="Download CSV").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("store_id,uptime_last_hour") and len(lines) == 1 + summary["stores"]
    assert errors == []


def test_a_live_outage_appears_on_the_fleet_page_without_a_reload(
    browser: Browser, worker: tuple[Deployment, WorkerProcess], tmp_path: Path
) -> None:
    deployment, served = worker
    errors: list[str] = []
    page = open_page(browser, served.url + "/", errors)
    sign_in(page)
    expect(page.locator("#live-state")).to_have_text("live")
    live = write_dataset(
        tmp_path / "live",
        [
            ["live-1", "active", "2023-11-06 12:01:00 UTC"],
            ["live-1", "inactive", "2023-11-06 12:03:00 UTC"],
            ["live-2", "active", "2023-11-06 12:02:00 UTC"],
        ],
    )
    run_async(deployment.replay(live, speed=60.0))  # paced: a dataset minute per wall second
    outage = page.locator("#open-outages li[data-outage^='live-1/']")
    expect(outage).to_be_visible(timeout=15_000)
    expect(outage).to_contain_text("live-1 down since 2023-11-06 06:03:00-06:00")

    # Silent stores are listed, the latest to fall silent first; one that stops pinging joins live.
    listed = api(served, "/api/silences", limit="200")["silences"]  # the longest silent first
    shown = page.locator("#open-silences li")
    expect(shown).to_have_count(min(50, len(listed)))
    latest = listed[-1]
    expect(shown.first).to_have_attribute("data-silence", f"{latest['store_id']}/{latest['started_at']}")
    later = write_dataset(
        tmp_path / "later",
        [["live-3", "active", "2023-11-06 12:04:00 UTC"], ["live-2", "active", "2023-11-06 14:10:00 UTC"]],
    )
    run_async(deployment.replay(later))  # time moves on past live-3's silence time
    silence = page.locator("#open-silences li").first
    expect(silence).to_have_attribute("data-silence", re.compile("^live-3/"), timeout=15_000)
    expect(silence).to_contain_text("live-3 silent since 2023-11-06 08:04:00-06:00")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
    assert errors == []
