"""The dashboard in a real headless Chromium (Debian's, driven by Playwright), against a real worker fed
by a real replay: the figures shown are the API's, search, sort and paging work, the timeline puts
business hours where the store's clock says, a live outage appears without a reload, the token flow
works, and no page logs an error."""

from __future__ import annotations

import asyncio
import contextlib
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
    2 November), a store open on Sunday nights in Chicago across the autumn clock change (the
    specification's C), one down since before the week, and one with a single ping."""
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
    # Down from before the week counted (it starts 30 October 12:00 UTC) until 31 October.
    pings += [
        ["long-down", "inactive", "2023-10-29 20:00:00 UTC"],
        ["long-down", "active", "2023-10-31 10:00:00 UTC"],
        ["long-down", "active", "2023-11-06 11:30:00 UTC"],
    ]
    pings.append(["only-down", "inactive", "2023-11-04 12:00:00 UTC"])  # its only ping
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
    settings = {"STOREMON_LISTING_REFRESH_SECONDS": "1", "STOREMON_PUBLIC_STATUS": "true"}
    deployment = Deployment(kafka, tmp_path, token=TOKEN, settings=settings)
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
    # Stores down and silent per UTC hour, the last column holding now.
    hours = api(served, "/api/fleet/hours")["hours"]
    columns = page.locator("#fleet-hours svg g[data-hour]")
    expect(columns).to_have_count(168)
    going_on = {o["store_id"] for o in api(served, "/api/outages", status="open", limit="500")["outages"]}
    assert hours[-1]["start"] == "2023-11-06T12:00:00Z" and hours[-1]["down"] >= len(going_on) > 0
    expect(columns.last).to_have_attribute("data-down", str(hours[-1]["down"]))
    expect(columns.last).to_have_attribute("data-silent", str(hours[-1]["silent"]))
    assert wcag_violations(page) == []

    def shown_ids() -> list[str]:
        found: list[str] = page.locator("#stores tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.store)"
        )
        return found

    first = api(served, "/api/fleet/stores")
    expect(page.locator("#stores tbody tr")).to_have_count(50)
    assert shown_ids() == [store["store_id"] for store in first["stores"]]
    # Each row's last 24 hours, a beat per hour as the API says them.
    beats = page.locator("#stores tbody tr").first.locator(".beat")
    expect(beats).to_have_count(24)
    letters = beats.evaluate_all("cells => cells.map(c => c.className.slice(-1)).join('')")
    assert letters == first["stores"][0]["recent"] and set(letters) <= set("udscn")
    # Each row's last 30 dates: the share up over the store's business time in its daily history.
    top = first["stores"][0]["last_30_days"]
    assert top["dates"] == len(api(served, f"/api/stores/{first['stores'][0]['store_id']}/history")["days"])
    cell = page.locator("#stores tbody tr").first.locator("td[data-label='Uptime 30 days']")
    expect(cell).to_have_text(re.compile(rf"^\d+\.\d % \(last {top['dates']} dates: .* down of .*\)$"))
    share = float(cell.inner_text().split(" %")[0])
    assert share == pytest.approx(top["uptime_minutes"] / top["business_minutes"] * 100, abs=0.051)
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
    expect(lanes).to_have_count(8)  # the week counted reaches into an eighth local day
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
    shown = page.locator("#open-outages li[data-outage]")
    listed = len(api(served, "/api/outages", status="open", limit="200")["outages"])
    expect(page.locator("#outages-count")).to_have_text(f"{min(10, listed)} of {listed}")
    run_async(deployment.replay(live, speed=60.0))  # paced: a dataset minute per wall second
    # Said once in the live region; the list itself is not read out again on every event.
    expect(page.locator("#live-news")).to_have_text("live-1 went down", timeout=15_000)
    assert page.locator("#open-outages").get_attribute("aria-live") is None
    expect(page.locator("#outages-count")).to_have_text(f"{min(10, listed + 1)} of {listed + 1}")
    outage = page.locator("#open-outages li[data-outage^='live-1/']")
    while not outage.count():  # the costliest first, ten at once: "Show more" lists more
        before = shown.count()
        page.get_by_role("button", name=re.compile("^Show .* more$")).click()
        expect(shown).not_to_have_count(before)
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


def document_width(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def test_the_pages_tell_every_state_truly_on_a_desktop_and_a_phone(
    browser: Browser, worker: tuple[Deployment, WorkerProcess], tmp_path: Path
) -> None:
    deployment, served = worker
    errors: list[str] = []
    page = open_page(browser, served.url + "/", errors)
    # Esc on the token dialog leaves a way back; a refused token says so.
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#error")).to_contain_text("needs an API token")
    page.get_by_role("button", name="Enter token").click()
    page.get_by_label("Token", exact=True).fill("not-the-token")
    page.get_by_role("button", name="Use token").click()
    expect(page.locator("#token-refused")).to_be_visible()
    sign_in(page)
    expect(page.locator("#error")).to_be_hidden()
    stores = api(served, "/api/fleet")["stores"]
    expect(page.locator("#count-stores")).to_have_text(f"{stores:,}")
    expect(page.locator("#behind")).to_contain_text("behind the clock")  # a replay of 2023

    # A store whose pings lie before the watermark reaches the counts and the search: the fleet is
    # kept per state version, not per instant.
    late = write_dataset(tmp_path / "late", [["late-store", "inactive", "2023-11-06 11:00:00 UTC"]])
    run_async(deployment.replay(late))
    assert api(served, "/api/fleet/progress")["as_of"] == END.replace(" ", "T") + "Z"  # it stood still
    expect(page.locator("#count-stores")).to_have_text(f"{stores + 1:,}", timeout=30_000)
    page.get_by_label("Store id").fill("late-")
    expect(page.locator("#stores tbody tr")).to_have_count(1)
    expect(page.locator("#stores tbody tr").first).to_have_attribute("data-store", "late-store")

    # A slow answer to an older search never replaces the newer one's.
    def slow(route: Any) -> None:
        time.sleep(2.0)
        with contextlib.suppress(Exception):  # the page may have given up on it: that is the point
            route.continue_()

    page.route(re.compile(r"/api/fleet/stores\?.*q=s0(&|$)"), slow)
    page.get_by_label("Store id").fill("s0")
    page.wait_for_timeout(400)  # past the typing pause: the slow ask has gone out
    page.get_by_label("Store id").fill("s01")
    expect(page.locator("#stores tbody tr")).to_have_count(10)
    page.wait_for_timeout(2500)  # the slow answer has come (or been dropped) by now
    expect(page.locator("#stores tbody tr")).to_have_count(10)
    assert "q=s01" in page.url  # the view is in the URL
    page.unroute(re.compile(r"/api/fleet/stores\?.*q=s0(&|$)"))
    page.reload()
    expect(page.get_by_label("Store id")).to_have_value("s01")
    expect(page.locator("#stores tbody tr")).to_have_count(10)
    page.goto(served.url + "/?cursor=not-a-cursor")  # a page kept in an old URL: from the first page
    expect(page.locator("#stores tbody tr")).to_have_count(50)
    expect(page.locator("#error")).to_be_hidden()
    assert "cursor" not in page.url
    # A count lists its stores; a timezone narrows them; both land in the URL.
    down = api(served, "/api/fleet/stores", standing="down")["total"]
    page.locator("#count-down").click()
    expect(page.locator("#page-info")).to_have_text(re.compile(rf" of {down}$"))
    assert "standing=down" in page.url
    page.get_by_label("Standing").select_option("")
    page.get_by_label("Timezone").select_option("Asia/Tokyo")
    expect(page.locator("#stores tbody tr")).to_have_count(1)
    expect(page.locator("#stores tbody tr").first).to_have_attribute("data-store", "overnight")
    assert "timezone=Asia%2FTokyo" in page.url
    page.get_by_label("Timezone").select_option("")
    expect(page.locator("#stores tbody tr")).to_have_count(50)
    banded = api(served, "/api/fleet/stores", band="week:9")["total"]
    page.locator("#hist-week button[data-band='week:9']").click()
    expect(page.locator("#page-info")).to_have_text(re.compile(rf" of {banded}$"))
    expect(page.locator("#band-words")).to_have_text("Only stores 90\N{EN DASH}100 % up over the last week.")
    page.get_by_role("button", name="Show every store").click()
    expect(page.locator("#band-note")).to_be_hidden()
    expect(page.locator("#stores tbody tr")).to_have_count(50)

    # The sort buttons show the keyboard's focus; the caption says the sort and the listing's instant.
    sort_button = page.get_by_role("button", name="Store", exact=True)
    sort_button.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert sort_button.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("#stores-caption")).to_have_text(
        "Stores by store id, A to Z, as of 2023-11-06 12:00:00 UTC"
    )
    # Focus stays on the pager when "Next" turns disabled on the last page.
    while page.get_by_role("button", name="Next").is_enabled():
        page.get_by_role("button", name="Next").focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(200)
    focused = page.evaluate("document.activeElement.outerHTML")
    assert focused.startswith(('<button type="button" id="previous"', '<span id="page-info"')), focused

    # A worker that stops answering is said so and its figures greyed; the banner clears once it
    # answers again.
    page.route("**/api/**", lambda route: route.abort())
    page.get_by_role("button", name="Previous").click()
    expect(page.locator("#error")).to_contain_text("The worker does not answer")
    assert page.evaluate("document.body.classList.contains('stale')")
    page.unroute("**/api/**")
    expect(page.locator("#error")).to_be_hidden(timeout=15_000)
    assert not page.evaluate("document.body.classList.contains('stale')")

    # The store page says what the fleet says, draws the whole week, and tells an outage begun
    # before the week and a stretch without data for what they are.
    fleet_rows = {row["store_id"]: row for row in api(served, "/api/fleet/stores", limit="500")["stores"]}
    for store_id in ("overnight", "only-down", "s000"):
        page.goto(f"{served.url}/stores/{store_id}")
        expect(page.locator("#status")).to_contain_text(fleet_rows[store_id]["standing"])
        assert api(served, f"/api/stores/{store_id}")["standing"] == fleet_rows[store_id]["standing"]
    assert fleet_rows["overnight"]["standing"] == "closed" and fleet_rows["only-down"]["standing"] == "silent"
    page.goto(f"{served.url}/stores/only-down")
    lanes = page.locator("svg.timeline g.lane")
    expect(lanes).to_have_count(8)
    expect(lanes.first.locator("rect[data-kind=before-window]")).to_have_count(1)
    assert lanes.first.locator("rect[data-kind=down], rect[data-kind=up]").count() == 0
    expect(lanes.first.locator("rect[data-kind=no-data]")).to_have_count(1)
    page.goto(f"{served.url}/stores/long-down")
    first_outage = page.locator("#store-outages tbody tr").first.locator("td")
    expect(first_outage.nth(0)).to_have_text("before 2023-10-30 07:00:00-05:00 (the week's start)")
    expect(first_outage.nth(2)).to_have_text("22 h")  # of it, in the week: to 31 October 10:00 UTC
    title = lanes.first.locator("rect[data-kind=outage] title")
    expect(title).to_contain_text("outage from before the week's start")
    assert wcag_violations(page) == []

    # On a phone nothing pans sideways: the stores are cards, the week scales to the screen.
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.on("pageerror", lambda error: errors.append(str(error)))
    phone.goto(served.url + "/")
    phone.get_by_label("Token", exact=True).fill(TOKEN)
    phone.get_by_role("button", name="Use token").click()
    expect(phone.locator("#stores tbody tr")).to_have_count(50)
    assert document_width(phone) <= 390
    phone.get_by_label("Sort").select_option("store_id:asc")
    expect(phone.locator("#stores tbody tr").first).to_have_attribute("data-store", "fall-back")
    phone.goto(f"{served.url}/stores/long-down")
    expect(phone.locator("svg.timeline g.lane")).to_have_count(8)
    assert document_width(phone) <= 390
    phone.goto(f"{served.url}/reports")
    expect(phone.locator("#as-of-range")).to_contain_text(
        "Any instant from 2023-11-05 12:00:00 UTC to 2023-11-06 12:00:00 UTC"  # a day: 8 kept, 7 counted
    )
    assert document_width(phone) <= 390
    # A store's public status: no token asked, its hours in words, its days; the rest stays closed.
    visitor = browser.new_page(viewport={"width": 390, "height": 844})
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    visitor.goto(f"{served.url}/status/overnight")
    expect(visitor.locator("#status")).to_have_text("\N{EN DASH} closed: outside its opening hours")
    expect(visitor.locator("#hours li")).to_have_count(7)
    expect(visitor.locator("#hours li").first).to_have_text("Monday: 22:00\N{EN DASH}06:00")
    expect(visitor.locator("#status-closures li")).to_have_text(["2023-11-02 (stocktaking)"])
    status = api(served, "/api/public/stores/overnight")
    expect(visitor.locator("#days li")).to_have_count(len(status["days"]))
    expect(visitor.locator("#percent-week")).to_have_text(f"{status['uptime_percent_last_week']:.2f} %")
    expect(visitor.get_by_role("dialog")).to_be_hidden()
    assert document_width(visitor) <= 390 and wcag_violations(visitor) == []
    assert httpx.get(f"{served.url}/api/fleet", timeout=30).status_code == 401
    # The refused token and the cut-off worker log failed loads, as they should; nothing else.
    assert [error for error in errors if not error.startswith("Failed to load resource")] == []
