"""The store timeline SVG: lanes per local day, business hours where the store's clock says, clock changes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from api.services.timeline import STYLE, timeline_svg
from streams.engine import Closure, HoursRow, StoreProfile, StoreState
from tests.helpers import instant

SVG = "{http://www.w3.org/2000/svg}"


def _lanes(svg: str) -> list[ET.Element]:
    return ET.fromstring(svg).findall(f"{SVG}g[@class='lane']")


def _business(lane: ET.Element) -> list[tuple[str, str]]:
    return [
        (rect.attrib["data-start-local"], rect.attrib["data-end-local"])
        for rect in lane.findall(f"{SVG}rect[@data-kind='business']")
    ]


def test_an_overnight_store_is_open_at_both_ends_of_each_local_day() -> None:
    nights = StoreProfile("Asia/Tokyo", tuple(HoursRow(d, 22 * 3600, 6 * 3600) for d in range(7)))
    state = StoreState.from_pings([(instant("2023-01-25 17:00"), True)], nights)
    lanes = _lanes(timeline_svg("B", state, nights, instant("2023-01-25 18:13")))
    # The week counted runs from Thursday 19 January 03:13 in Tokyo: eight local days, the first in part.
    assert len(lanes) == 8 and [lanes[0].attrib["data-day"], lanes[-1].attrib["data-day"]] == [
        "Thu 19 Jan",
        "Thu 26 Jan",
    ]
    assert all(_business(lane) == [("00:00", "06:00"), ("22:00", "00:00")] for lane in lanes)
    assert all(lane.attrib["data-hours"] == "24" for lane in lanes)
    (before,) = lanes[0].findall(f"{SVG}rect[@data-kind='before-window']")
    assert float(before.attrib["width"]) == round((3 + 13 / 60) * 36, 1)
    assert not any(lane.findall(f"{SVG}rect[@data-kind='before-window']") for lane in lanes[1:])


def _kinds(lane: ET.Element) -> list[str]:
    """What the status band shows, left to right."""
    band = [rect for rect in lane.findall(f"{SVG}rect") if rect.attrib.get("y") == str(lane_y(lane) + 11)]
    return [rect.attrib["data-kind"] for rect in sorted(band, key=lambda rect: float(rect.attrib["x"]))]


def lane_y(lane: ET.Element) -> int:
    return int(float(lane.find(f"{SVG}rect[@class='closed']").attrib["y"]))  # type: ignore[union-attr]


def test_before_the_first_ping_is_no_data_not_measured_downtime() -> None:
    always = StoreProfile("UTC", ())
    state = StoreState.from_pings([(instant("2023-01-22 12:00"), False)], always)  # its only ping
    lanes = _lanes(timeline_svg("D", state, always, instant("2023-01-25 12:00")))
    by_day = {lane.attrib["data-day"]: lane for lane in lanes}
    assert _kinds(by_day["Wed 18 Jan"]) == ["no-data"] and _kinds(by_day["Sat 21 Jan"]) == ["no-data"]
    assert _kinds(by_day["Sun 22 Jan"]) == ["no-data", "down", "silent"]  # silent from 14:00
    assert _kinds(by_day["Mon 23 Jan"]) == ["silent"]
    (no_data,) = by_day["Sun 22 Jan"].findall(f"{SVG}rect[@data-kind='no-data']")
    assert "back-fill rule" in ET.tostring(no_data, encoding="unicode")


def test_an_outage_begun_before_the_week_says_so_and_silent_hours_are_not_drawn_up() -> None:
    always = StoreProfile("UTC", ())
    pings = [(instant("2023-01-17 09:00"), False), (instant("2023-01-20 09:00"), True)]
    state = StoreState.from_pings(pings, always)
    svg = timeline_svg("E", state, always, instant("2023-01-25 12:00"))
    by_day = {lane.attrib["data-day"]: lane for lane in _lanes(svg)}
    (outage,) = by_day["Wed 18 Jan"].findall(f"{SVG}rect[@data-kind='outage']")
    assert "outage from before the week's start to 09:00" in ET.tostring(outage, encoding="unicode")
    # Unheard from Tuesday 11:00 (two hours after its ping) to Friday 09:00, and from 11:00 on.
    assert _kinds(by_day["Wed 18 Jan"]) == ["silent"]
    assert _kinds(by_day["Fri 20 Jan"]) == ["silent", "up", "silent"]
    assert _kinds(by_day["Tue 24 Jan"]) == ["silent"]
    _, silent = by_day["Fri 20 Jan"].findall(f"{SVG}rect[@data-kind='silent']")
    assert float(silent.attrib["x"]) == 136 + 11 * 36
    assert "silent from 11:00 to now" in ET.tostring(silent, encoding="unicode")


def test_a_day_with_the_autumn_clock_change_is_25_hours_long_and_marked() -> None:
    sunday_nights = StoreProfile(None, (HoursRow(6, 30 * 60, 150 * 60),))  # Chicago, Sun 00:30-02:30
    pings = [(instant("2023-11-04 12:00"), True), (instant("2023-11-05 07:30"), False)]
    state = StoreState.from_pings(pings, sunday_nights)
    svg = timeline_svg("C", state, sunday_nights, instant("2023-11-06 12:00"))
    by_day = {lane.attrib["data-day"]: lane for lane in _lanes(svg)}
    sunday = by_day["Sun 05 Nov"]
    assert sunday.attrib["data-hours"] == "25"
    assert sunday.find(f"{SVG}line[@data-kind='clock-change']") is not None
    assert _business(sunday) == [("00:30", "02:30")]  # three real hours: the repeated one counts twice
    assert float(sunday.find(f"{SVG}rect[@data-kind='business']").attrib["width"]) == 3 * 36  # type: ignore[union-attr]
    (outage,) = sunday.findall(f"{SVG}rect[@data-kind='outage']")
    assert "60 business minutes" in ET.tostring(outage, encoding="unicode")
    assert (
        sum(lane.find(f"{SVG}line[@data-kind='clock-change']") is not None for lane in by_day.values()) == 1
    )
    assert sunday.findall(f"{SVG}rect[@data-kind='down']") and by_day["Sat 04 Nov"].findall(
        f"{SVG}rect[@data-kind='up']"
    )


def test_a_closed_date_is_labelled_and_has_no_business_hours() -> None:
    nights = StoreProfile(
        "Asia/Tokyo",
        tuple(HoursRow(d, 22 * 3600, 6 * 3600) for d in range(7)),
        (Closure(date(2023, 1, 24), date(2023, 1, 24), "inventory"),),
    )
    state = StoreState.from_pings([(instant("2023-01-25 17:00"), True)], nights)
    by_day = {
        lane.attrib["data-day"]: lane
        for lane in _lanes(timeline_svg("B", state, nights, instant("2023-01-25 18:13")))
    }
    assert _business(by_day["Tue 24 Jan closed"]) == []
    # The night from the closed Tuesday into Wednesday opens at Wednesday's midnight.
    assert _business(by_day["Wed 25 Jan"]) == [("00:00", "06:00"), ("22:00", "00:00")]
    assert _business(by_day["Mon 23 Jan"]) == [("00:00", "06:00"), ("22:00", "00:00")]


def _contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_open_hours_stand_out_from_closed_ones_at_three_to_one() -> None:
    """WCAG 1.4.11: the mark under open hours against the closed hours' fill."""
    fills = dict(re.findall(r"\.([a-z-]+)\{fill:(#[0-9a-f]{6})", STYLE))
    assert _contrast(fills["open-mark"], fills["closed"]) >= 3.0
    assert _contrast(fills["business"], fills["closed"]) < 3.0  # why the mark is there
