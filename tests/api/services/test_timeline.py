"""The store timeline SVG: lanes per local day, business hours where the store's clock says, clock changes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from api.services.timeline import timeline_svg
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
    assert len(lanes) == 7 and lanes[-1].attrib["data-day"] == "Thu 26 Jan"  # 03:13 in Tokyo
    assert all(_business(lane) == [("00:00", "06:00"), ("22:00", "00:00")] for lane in lanes)
    assert all(lane.attrib["data-hours"] == "24" for lane in lanes)


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
