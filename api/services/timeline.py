"""A store's week as an SVG timeline, drawn on the server from its state: one lane per local day.

Each lane spans one calendar day of the store's wall clock, from local midnight to the next, at a
fixed width per real hour (the axis counts real hours since local midnight): a day with a clock
change is a lane an hour shorter or longer, and a dashed line marks the change. Business hours are
shaded, the status band is solid when up and hatched when down (told apart without colour), pings
are dots (hollow when inactive) and outages are outlined; tooltips give local clock times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from streams.engine import HOUR, StoreProfile, StoreState
from streams.engine.instants import to_datetime, to_instant
from streams.engine.outages import Outage, store_outages

HOUR_PX = 36
LANE_PX = 34
LABEL_PX = 136  # "Mon 23 Jan closed"
TOP_PX = 26
WIDTH = LABEL_PX + 25 * HOUR_PX + 150
# Self-contained, so the SVG reads the same inline in a page and opened on its own.
STYLE = (
    "<style>text{font:12px system-ui,sans-serif;fill:#1f2937}.axis{fill:#4b5563}"
    ".closed{fill:#f3f4f6}.business{fill:#c7d2fe}.up{fill:#15803d}.down{fill:url(#down-hatch)}"
    ".down-bg{fill:#fee2e2}.down-line{stroke:#b91c1c;stroke-width:3}"
    ".outage{fill:none;stroke:#7f1d1d;stroke-width:2;stroke-dasharray:5 2}"
    ".ping-active{fill:#14532d}.ping-inactive{fill:#fff;stroke:#b91c1c;stroke-width:1.5}"
    ".clock-change{stroke:#92400e;stroke-width:2;stroke-dasharray:3 3}.note{fill:#92400e}"
    ".now{stroke:#111827;stroke-width:2}</style>"
)


def _clock(instant: int, zone: ZoneInfo) -> str:
    return to_datetime(instant).astimezone(zone).strftime("%H:%M")


def _lanes(as_of: int, zone: ZoneInfo, profile: StoreProfile) -> list[tuple[str, int, int]]:
    """(label, UTC start, UTC end) of the seven local days up to the one holding ``as_of``; the label
    of a date a closure covers says so."""
    today = to_datetime(as_of).astimezone(zone).date()
    lanes = []
    for back in range(6, -1, -1):
        day = today - timedelta(days=back)
        start = to_instant(datetime.combine(day, time(0), tzinfo=zone))
        end = to_instant(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone))
        lanes.append((day.strftime("%a %d %b") + (" closed" if profile.closed_on(day) else ""), start, end))
    return lanes


def _status_runs(state: StoreState, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(from, to, active) covering ``[start, end)``; before the first ping, the first ping's status."""
    times, active = state.times, state.active
    runs: list[tuple[int, int, bool]] = []
    at, current = start, state.status_at(start)
    if current is None:
        current = bool(active[0])
    for when, flag in zip(times, active, strict=True):
        if when <= start:
            continue
        if when >= end:
            break
        if bool(flag) != current:
            runs.append((at, when, current))
            at, current = when, bool(flag)
    runs.append((at, end, current))
    return runs


def timeline_svg(store_id: str, state: StoreState, profile: StoreProfile, as_of: int) -> str:
    zone_name = profile.effective_timezone
    zone = ZoneInfo(zone_name)
    lanes = _lanes(as_of, zone, profile)
    outages = store_outages(store_id, state, profile, as_of)
    height = TOP_PX + len(lanes) * (LANE_PX + 10) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="tl-title tl-desc" class="timeline">',
        f'<title id="tl-title">Week of store {escape(store_id)} in {escape(zone_name)}</title>',
        f'<desc id="tl-desc">One row per local day up to {_clock(as_of, zone)} on '
        f"{escape(lanes[-1][0])}: business hours shaded, up solid, down hatched, "
        f"{len(outages)} outage(s) outlined.</desc>",
        STYLE,
        '<defs><pattern id="down-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="down-bg"/>'
        '<line x1="0" y1="0" x2="0" y2="6" class="down-line"/></pattern></defs>',
    ]
    for hour in range(0, 25, 3):
        parts.append(f'<text x="{LABEL_PX + hour * HOUR_PX}" y="14" class="axis">{hour:02d}h</text>')

    for index, (label, start, end) in enumerate(lanes):
        lane = _Lane(label, start, end, TOP_PX + index * (LANE_PX + 10))
        parts.extend(_lane_parts(lane, state, profile, outages, as_of))
    legend_y = height - 14
    parts.append(
        f'<g class="legend" transform="translate({LABEL_PX},{legend_y})">'
        '<rect width="14" height="10" y="-9" class="business"/><text x="18">open hours</text>'
        '<rect x="110" width="14" height="10" y="-9" class="up"/><text x="128">up</text>'
        '<rect x="160" width="14" height="10" y="-9" class="down"/><text x="178">down (hatched)</text>'
        '<rect x="290" width="14" height="10" y="-9" class="outage"/><text x="308">outage</text>'
        '<circle cx="380" cy="-4" r="3" class="ping-active"/><text x="388">active ping</text>'
        '<circle cx="480" cy="-4" r="3" class="ping-inactive"/><text x="488">inactive ping</text>'
        "</g>"
    )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class _Lane:
    """One local day of the timeline: its label, its instants, and where it is drawn."""

    label: str
    start: int
    end: int
    y: int

    @property
    def hours(self) -> float:
        return (self.end - self.start) / HOUR

    def x(self, instant: int) -> float:
        return LABEL_PX + (instant - self.start) / HOUR * HOUR_PX


def _lane_parts(
    lane: _Lane, state: StoreState, profile: StoreProfile, outages: list[Outage], as_of: int
) -> list[str]:
    """A day's lane: business hours, up and down, pings, outages, a clock change and now."""
    zone, y, x = ZoneInfo(profile.effective_timezone), lane.y, lane.x
    parts = [
        f'<g class="lane" data-day="{escape(lane.label)}" data-hours="{lane.hours:g}">',
        f'<text x="4" y="{y + LANE_PX / 2 + 4}" class="day">{escape(lane.label)}</text>',
        f'<rect x="{LABEL_PX}" y="{y}" width="{lane.hours * HOUR_PX:.1f}" height="{LANE_PX}" '
        'class="closed"/>',
    ]
    for a, b in profile.calendar.business_intervals(lane.start, lane.end):
        parts.append(
            f'<rect x="{x(a):.1f}" y="{y}" width="{(b - a) / HOUR * HOUR_PX:.1f}" '
            f'height="{LANE_PX}" class="business" data-kind="business" '
            f'data-start-local="{_clock(a, zone)}" data-end-local="{_clock(b, zone)}">'
            f"<title>open {_clock(a, zone)} to {_clock(b, zone)}</title></rect>"
        )
    shown_end = min(lane.end, as_of)
    if state.times and state.times[0] <= as_of and lane.start < shown_end:
        for a, b, up in _status_runs(state, lane.start, shown_end):
            fill = "up" if up else "down"
            parts.append(
                f'<rect x="{x(a):.1f}" y="{y + 11}" width="{(b - a) / HOUR * HOUR_PX:.1f}" '
                f'height="12" class="{fill}" data-kind="{fill}"/>'
            )
    for when, flag in zip(state.times, state.active, strict=True):
        if lane.start <= when < shown_end:
            kind = "ping-active" if flag else "ping-inactive"
            parts.append(f'<circle cx="{x(when):.1f}" cy="{y + 5}" r="2.5" class="{kind}"/>')
    parts.extend(_outage_parts(lane, outages, zone, as_of, shown_end))
    parts.extend(_marker_parts(lane, profile, as_of))
    parts.append("</g>")
    return parts


def _outage_parts(
    lane: _Lane, outages: list[Outage], zone: ZoneInfo, as_of: int, shown_end: int
) -> list[str]:
    parts = []
    for outage in outages:
        a = max(outage.started_at, lane.start)
        b = min(outage.ended_at if outage.ended_at is not None else as_of, shown_end)
        if a < b:
            until = "now" if outage.ended_at is None else _clock(outage.ended_at, zone)
            parts.append(
                f'<rect x="{lane.x(a):.1f}" y="{lane.y + 8}" width="{(b - a) / HOUR * HOUR_PX:.1f}" '
                f'height="18" class="outage" data-kind="outage"><title>outage from '
                f"{_clock(outage.started_at, zone)} to {until}: "
                f"{outage.business_downtime_minutes:g} business minutes</title></rect>"
            )
    return parts


def _marker_parts(lane: _Lane, profile: StoreProfile, as_of: int) -> list[str]:
    """A clock change in the day, and the line at ``as_of``."""
    parts, y, hours = [], lane.y, lane.hours
    change = None if hours == 24 else _clock_change(lane.start, lane.end, profile)
    if change is not None:
        cx = lane.x(change)
        note = "clocks go back: 25-hour day" if hours > 24 else "clocks go forward: 23-hour day"
        parts.append(
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y - 3}" y2="{y + LANE_PX + 3}" '
            f'class="clock-change" data-kind="clock-change"/>'
            f'<text x="{LABEL_PX + hours * HOUR_PX + 6:.1f}" y="{y + LANE_PX / 2 + 4}" '
            f'class="note">{note}</text>'
        )
    if lane.start <= as_of < lane.end:
        nx = lane.x(as_of)
        parts.append(f'<line x1="{nx:.1f}" x2="{nx:.1f}" y1="{y - 3}" y2="{y + LANE_PX + 3}" class="now"/>')
    return parts


def _clock_change(start: int, end: int, profile: StoreProfile) -> int | None:
    """The instant in ``[start, end)`` where the store's zone changes its UTC offset, if any."""
    _, until = profile.calendar.zone.segment(start)
    return until if until < end else None
