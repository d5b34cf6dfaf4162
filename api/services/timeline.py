"""A store's week as an SVG timeline, drawn on the server from its state: one lane per local day.

Each lane spans one calendar day of the store's wall clock, from local midnight to the next, at a
fixed width per real hour (the axis counts real hours since local midnight): a day with a clock
change is a lane an hour shorter or longer, and a dashed line marks the change. The lanes cover the
whole week counted, so the first is partly before it (greyed). Business hours are shaded and
underlined, the status band is solid when up and hatched when down (told apart without colour),
dotted while the store is silent, dashed before its first ping (no data: the back-fill rule counts
the first ping's status); pings are dots (hollow when inactive) and outages are outlined; tooltips
give local clock times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from streams.engine import HOUR, WEEK, StoreProfile, StoreState
from streams.engine.instants import to_datetime, to_instant
from streams.engine.outages import Outage, store_outages
from streams.engine.silences import DEFAULT_SILENCE, Silence, store_silences

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
    ".now{stroke:#111827;stroke-width:2}.open-mark{fill:#3730a3}.outside{fill:#d1d5db}"
    ".silent{fill:url(#silent-dots);stroke:#374151;stroke-width:1}"
    ".no-data{fill:#fff;stroke:#4b5563;stroke-width:1.5;stroke-dasharray:4 3}</style>"
)
DEFS = (
    '<defs><pattern id="down-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" class="down-bg"/>'
    '<line x1="0" y1="0" x2="0" y2="6" class="down-line"/></pattern>'
    '<pattern id="silent-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#fff"/><circle cx="3" cy="3" r="1.4" fill="#374151"/></pattern></defs>'
)


def _clock(instant: int, zone: ZoneInfo) -> str:
    return to_datetime(instant).astimezone(zone).strftime("%H:%M")


def _lanes(as_of: int, zone: ZoneInfo, profile: StoreProfile) -> list[tuple[str, int, int]]:
    """(label, UTC start, UTC end) of the local days from the one holding the week's start to the one
    holding ``as_of`` (eight, or seven when the week starts at local midnight); the label of a date a
    closure covers says so."""
    today = to_datetime(as_of).astimezone(zone).date()
    day = to_datetime(as_of - WEEK).astimezone(zone).date()
    lanes = []
    while day <= today:
        start = to_instant(datetime.combine(day, time(0), tzinfo=zone))
        end = to_instant(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone))
        if end > as_of - WEEK:
            lanes.append(
                (day.strftime("%a %d %b") + (" closed" if profile.closed_on(day) else ""), start, end)
            )
        day += timedelta(days=1)
    return lanes


def _status_runs(state: StoreState, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(from, to, active) covering ``[start, end)``, which begins at or after the first ping."""
    times, active = state.times, state.active
    runs: list[tuple[int, int, bool]] = []
    at, current = start, bool(state.status_at(start))
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


def timeline_svg(
    store_id: str, state: StoreState, profile: StoreProfile, as_of: int, silence: int = DEFAULT_SILENCE
) -> str:
    zone_name = profile.effective_timezone
    zone = ZoneInfo(zone_name)
    lanes = _lanes(as_of, zone, profile)
    outages = store_outages(store_id, state, profile, as_of)
    silences = store_silences(store_id, state.times, profile.calendar, silence, as_of)
    height = TOP_PX + len(lanes) * (LANE_PX + 10) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="tl-title tl-desc" class="timeline">',
        f'<title id="tl-title">Week of store {escape(store_id)} in {escape(zone_name)}</title>',
        f'<desc id="tl-desc">One row per local day from {_clock(as_of - WEEK, zone)} on '
        f"{escape(lanes[0][0])} (the week's start; earlier hours greyed) to {_clock(as_of, zone)} on "
        f"{escape(lanes[-1][0])}: business hours shaded and underlined, up solid, down hatched, "
        f"silent dotted, no data dashed, {len(outages)} outage(s) outlined, "
        f"{len(silences)} silence(s).</desc>",
        STYLE,
        DEFS,
    ]
    for hour in range(0, 25, 3):
        parts.append(f'<text x="{LABEL_PX + hour * HOUR_PX}" y="14" class="axis">{hour:02d}h</text>')

    episodes = _Episodes(outages, silences, silence)
    for index, (label, start, end) in enumerate(lanes):
        lane = _Lane(label, start, end, TOP_PX + index * (LANE_PX + 10), as_of)
        parts.extend(_lane_parts(lane, state, profile, episodes))
    legend_y = height - 14
    parts.append(
        f'<g class="legend" transform="translate({LABEL_PX},{legend_y})">'
        '<rect width="14" height="10" y="-9" class="business"/><text x="18">open hours</text>'
        '<rect x="100" width="14" height="10" y="-9" class="up"/><text x="118">up</text>'
        '<rect x="145" width="14" height="10" y="-9" class="down"/><text x="163">down</text>'
        '<rect x="205" width="14" height="10" y="-9" class="silent"/><text x="223">silent</text>'
        '<rect x="270" width="14" height="10" y="-9" class="no-data"/><text x="288">no data</text>'
        '<rect x="350" width="14" height="10" y="-9" class="outage"/><text x="368">outage</text>'
        '<circle cx="430" cy="-4" r="3" class="ping-active"/><text x="438">active ping</text>'
        '<circle cx="520" cy="-4" r="3" class="ping-inactive"/><text x="528">inactive ping</text>'
        '<rect x="620" width="14" height="10" y="-9" class="outside"/><text x="638">before the week</text>'
        "</g>"
    )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class _Episodes:
    """The store's outages and silences in the week, and its silence time."""

    outages: list[Outage]
    silences: list[Silence]
    silence: int


@dataclass(frozen=True, slots=True)
class _Lane:
    """One local day of the timeline: its label, its instants, where it is drawn, and ``as_of``."""

    label: str
    start: int
    end: int
    y: int
    as_of: int

    @property
    def hours(self) -> float:
        return (self.end - self.start) / HOUR

    @property
    def shown(self) -> tuple[int, int]:
        """The part of the day in the week counted, up to ``as_of`` (empty when it is all after)."""
        return max(self.start, self.as_of - WEEK), min(self.end, self.as_of)

    def x(self, instant: int) -> float:
        return LABEL_PX + (instant - self.start) / HOUR * HOUR_PX

    def band(self, a: int, b: int, kind: str, title: str = "") -> str:
        """A stretch of the status band from ``a`` to ``b``."""
        inner = f"<title>{escape(title)}</title>" if title else ""
        return (
            f'<rect x="{self.x(a):.1f}" y="{self.y + 11}" width="{(b - a) / HOUR * HOUR_PX:.1f}" '
            f'height="12" class="{kind}" data-kind="{kind}">{inner}</rect>'
        )


def _lane_parts(lane: _Lane, state: StoreState, profile: StoreProfile, episodes: _Episodes) -> list[str]:
    """A day's lane: business hours, up and down, silences, pings, outages, a clock change and now."""
    zone, y, x = ZoneInfo(profile.effective_timezone), lane.y, lane.x
    parts = [
        f'<g class="lane" data-day="{escape(lane.label)}" data-hours="{lane.hours:g}">',
        f'<text x="4" y="{y + LANE_PX / 2 + 4}" class="day">{escape(lane.label)}</text>',
        f'<rect x="{LABEL_PX}" y="{y}" width="{lane.hours * HOUR_PX:.1f}" height="{LANE_PX}" '
        'class="closed"/>',
    ]
    for a, b in profile.calendar.business_intervals(lane.start, lane.end):
        width = (b - a) / HOUR * HOUR_PX
        parts.append(
            f'<rect x="{x(a):.1f}" y="{y}" width="{width:.1f}" '
            f'height="{LANE_PX}" class="business" data-kind="business" '
            f'data-start-local="{_clock(a, zone)}" data-end-local="{_clock(b, zone)}">'
            f"<title>open {_clock(a, zone)} to {_clock(b, zone)}</title></rect>"
            f'<rect x="{x(a):.1f}" y="{y + LANE_PX - 4}" width="{width:.1f}" height="4" class="open-mark"/>'
        )
    start, end = lane.shown
    if lane.start < start:
        parts.append(
            f'<rect x="{LABEL_PX}" y="{y}" width="{(start - lane.start) / HOUR * HOUR_PX:.1f}" '
            f'height="{LANE_PX}" class="outside" data-kind="before-window">'
            f"<title>before the week counted (until {_clock(start, zone)})</title></rect>"
        )
    first = state.times[0] if state.times and state.times[0] <= lane.as_of else None
    if first is not None and start < end:
        if start < first:
            parts.append(
                lane.band(
                    start,
                    min(first, end),
                    "no-data",
                    "no data before the first ping: the back-fill rule counts its status",
                )
            )
        silent = _silent_spans(lane, episodes.silences)
        if max(start, first) < end:
            for a, b, up in _status_runs(state, max(start, first), end):
                for c, d in _outside(a, b, [(c, d) for _, c, d in silent]):
                    parts.append(lane.band(c, d, "up" if up else "down"))
        parts.extend(_silence_parts(lane, episodes, zone))
    for when, flag in zip(state.times, state.active, strict=True):
        if start <= when < end:
            kind = "ping-active" if flag else "ping-inactive"
            parts.append(f'<circle cx="{x(when):.1f}" cy="{y + 5}" r="2.5" class="{kind}"/>')
    parts.extend(_outage_parts(lane, episodes.outages, zone))
    parts.extend(_marker_parts(lane, profile))
    parts.append("</g>")
    return parts


def _silent_spans(lane: _Lane, silences: list[Silence]) -> list[tuple[Silence, int, int]]:
    """The silences in the lane's shown part with their stretch there, by start (never overlapping)."""
    start, end = lane.shown
    spans = [(s, max(s.started_at, start), min(s.ended_at or lane.as_of, end)) for s in silences]
    return [(s, a, b) for s, a, b in spans if a < b]


def _outside(a: int, b: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``[a, b)`` outside ``spans`` (sorted, disjoint)."""
    pieces = []
    for c, d in spans:
        if c > a:
            pieces.append((a, min(b, c)))
        a = max(a, d)
    if a < b:
        pieces.append((a, b))
    return [(c, d) for c, d in pieces if c < d]


def _silence_parts(lane: _Lane, episodes: _Episodes, zone: ZoneInfo) -> list[str]:
    """Silent stretches of the status band: the figures carry the last status through them."""
    parts = []
    for silent, a, b in _silent_spans(lane, episodes.silences):
        until = "now" if silent.ended_at is None else _clock(silent.ended_at, zone)
        title = (
            f"silent from {_clock(silent.started_at, zone)} to {until}: no ping for "
            f"{episodes.silence / HOUR:g} h or more; counted as its last ping said"
        )
        parts.append(lane.band(a, b, "silent", title))
    return parts


def _outage_parts(lane: _Lane, outages: list[Outage], zone: ZoneInfo) -> list[str]:
    start, end = lane.shown
    parts = []
    for outage in outages:
        a = max(outage.started_at, start)
        b = min(outage.ended_at if outage.ended_at is not None else lane.as_of, end)
        if a < b:
            until = "now" if outage.ended_at is None else _clock(outage.ended_at, zone)
            since = (
                "before the week's start" if outage.began_before_window else _clock(outage.started_at, zone)
            )
            parts.append(
                f'<rect x="{lane.x(a):.1f}" y="{lane.y + 8}" width="{(b - a) / HOUR * HOUR_PX:.1f}" '
                f'height="18" class="outage" data-kind="outage"><title>outage from '
                f"{since} to {until}: {outage.business_downtime_minutes:g} business minutes "
                "in the week</title></rect>"
            )
    return parts


def _marker_parts(lane: _Lane, profile: StoreProfile) -> list[str]:
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
    if lane.start <= lane.as_of < lane.end:
        nx = lane.x(lane.as_of)
        parts.append(f'<line x1="{nx:.1f}" x2="{nx:.1f}" y1="{y - 3}" y2="{y + LANE_PX + 3}" class="now"/>')
    return parts


def _clock_change(start: int, end: int, profile: StoreProfile) -> int | None:
    """The instant in ``[start, end)`` where the store's zone changes its UTC offset, if any."""
    _, until = profile.calendar.zone.segment(start)
    return until if until < end else None
