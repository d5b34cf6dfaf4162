"""A brute-force reference of the report semantics, written independently of the engine.

It samples one instant per minute and asks zoneinfo for the wall clock, so it is exact whenever
pings, business hours, clock changes and as_of all fall on whole minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

MINUTE_S = 60


Closed = Sequence[tuple[date, date]]  # (first, last) closed local dates, both inclusive


def is_business(
    zone: ZoneInfo, rows: list[tuple[int, int, int]], instant_s: int, closed: Closed = ()
) -> bool:
    """Wall-clock rule; rows are (weekday, start, end) in seconds after local midnight; no instant of
    a closed local date is business time."""
    local = datetime.fromtimestamp(instant_s, UTC).astimezone(zone)
    if any(first <= local.date() <= last for first, last in closed):
        return False
    if not rows:
        return True
    weekday = local.weekday()
    clock = local.hour * 3600 + local.minute * 60 + local.second
    for day, start, end in rows:
        if end > start:
            if day == weekday and start <= clock < end:
                return True
        else:
            if day == weekday and clock >= start:
                return True
            if (day + 1) % 7 == weekday and clock < end:
                return True
    return False


def merge_pings(pings: list[tuple[int, bool]]) -> list[tuple[int, bool]]:
    """Pings at one instant count once, ``inactive`` winning a disagreement; sorted by time."""
    merged: dict[int, bool] = {}
    for at, active in pings:
        merged[at] = merged.get(at, True) and active
    return sorted(merged.items())


def status_at(merged: list[tuple[int, bool]], instant_s: int) -> bool:
    """Latest ping at or before the instant; before the first ping, the first ping's status."""
    status = merged[0][1]
    for at, active in merged:
        if at <= instant_s:
            status = active
    return status


def reference_row(
    zone_name: str,
    rows: list[tuple[int, int, int]],
    pings: list[tuple[int, bool]],
    as_of_s: int,
    closed: Closed = (),
) -> tuple[float, ...]:
    """(up hour min, up day h, up week h, down hour min, down day h, down week h), unrounded."""
    zone = ZoneInfo(zone_name)
    merged = merge_pings([(at, active) for at, active in pings if at <= as_of_s])
    # One sample per minute of the week; the day and hour windows are its last 1440 and 60 samples.
    samples = []
    for instant in range(as_of_s - 7 * 86400, as_of_s, MINUTE_S):
        business = is_business(zone, rows, instant, closed)
        samples.append((business and status_at(merged, instant), business and not status_at(merged, instant)))
    ups, downs = [], []
    for minutes, unit_minutes in ((60, 1), (1440, 60), (10080, 60)):
        window = samples[-minutes:]
        ups.append(sum(up for up, _ in window) / unit_minutes)
        downs.append(sum(down for _, down in window) / unit_minutes)
    return (*ups, *downs)


def reference_outages(
    zone_name: str,
    rows: list[tuple[int, int, int]],
    pings: list[tuple[int, bool]],
    as_of_s: int,
    closed: Closed = (),
) -> list[tuple[int, int | None, bool, int, int]]:
    """(started, ended or None, began before window, first business instant, business minutes) per
    outage in the week before ``as_of``, from one status sample per minute; an open outage is listed
    when it holds business time or ``as_of`` itself is business time."""
    zone = ZoneInfo(zone_name)
    merged = merge_pings([(at, active) for at, active in pings if at <= as_of_s])
    window_start = as_of_s - 7 * 86400
    found: list[tuple[int, int | None, bool, int, int]] = []
    run: list[int] | None = None  # [started, first business instant or -1, business minutes, began before]
    for t in range(window_start, as_of_s + MINUTE_S, MINUTE_S):
        inactive = not status_at(merged, t)
        if run is not None and not inactive:
            if run[1] >= 0:
                found.append((run[0], t, bool(run[3]), run[1], run[2]))
            run = None
        if inactive:
            if run is None:
                run = [t, -1, 0, t == window_start]
            business = is_business(zone, rows, t, closed)
            if business and run[1] < 0:
                run[1] = t
            if business and t < as_of_s:
                run[2] += 1
    if run is not None and run[1] >= 0:
        found.append((run[0], None, bool(run[3]), run[1], run[2]))
    return found


def reference_silences(
    zone_name: str,
    rows: list[tuple[int, int, int]],
    ping_times: list[int],
    silence_s: int,
    now_s: int,
    closed: Closed = (),
) -> list[tuple[int, int, int | None]]:
    """(fell silent, after the ping at, heard at or None) per silence up to ``now``: after each ping,
    the first business minute at or after it plus the silence time that comes before the next ping
    (or at or before ``now``)."""
    zone = ZoneInfo(zone_name)
    times = sorted({at for at in ping_times if at <= now_s})
    found: list[tuple[int, int, int | None]] = []
    for i, ping in enumerate(times):
        heard = times[i + 1] if i + 1 < len(times) else None
        end = now_s + 1 if heard is None else heard
        for t in range(ping + silence_s, end, MINUTE_S):
            if is_business(zone, rows, t, closed):
                found.append((t, ping, heard))
                break
    return found


def reference_notifications(notices: list[dict[str, Any]], after_minutes: float) -> set[tuple[str, str]]:
    """(what, episode key) of every notification a history of outage and silence notices calls for,
    judged over each episode's whole history: an outage pages "down" when any record shows it open
    with ``after_minutes`` or more; its closing pages "up" when it paged "down", else "was-down"
    when it closed with that many; silences page at falling silent and at being heard, or once as
    "was-silent" when never seen going on. A retraction forgets the episode's history."""
    paged: set[tuple[str, str]] = set()
    reached: set[str] = set()  # outages seen open at or past the threshold, silences seen going on
    for notice in notices:
        key = f"{notice['kind']}/{notice['store_id']}/{notice['started_at']}"
        event = notice["event"]
        if event == "retracted":
            reached.discard(key)
            continue
        if event == "updated" and notice["ended_at"] is not None:
            continue  # a correction of an episode already over
        silence = notice["kind"] == "silence"
        if notice["ended_at"] is None:
            if silence or notice["business_downtime_minutes"] >= after_minutes:
                reached.add(key)
                paged.add(("silent" if silence else "down", key))
        elif key in reached:
            paged.add(("heard" if silence else "up", key))
        elif silence or notice["business_downtime_minutes"] >= after_minutes:
            paged.add(("was-silent" if silence else "was-down", key))
    return paged


def reference_history(
    zone_name: str,
    rows: list[tuple[int, int, int]],
    pings: list[tuple[int, bool]],
    now_s: int,
    closed: Closed = (),
) -> list[tuple[date, int, int]]:
    """(local date, business minutes, up minutes) per date from the first ping's through ``now``'s,
    from one sample per minute up to ``now``, each sample counted on its own local date."""
    zone = ZoneInfo(zone_name)
    merged = merge_pings([(at, active) for at, active in pings if at <= now_s])
    first_date = datetime.fromtimestamp(merged[0][0], UTC).astimezone(zone).date()
    figures: dict[date, list[int]] = {}
    instant = merged[0][0] - 3 * 86400
    while True:
        day = datetime.fromtimestamp(instant, UTC).astimezone(zone).date()
        if day >= first_date:
            entry = figures.setdefault(day, [0, 0])
            if instant < now_s and is_business(zone, rows, instant, closed):
                entry[0] += 1
                entry[1] += status_at(merged, instant)
        if instant >= now_s:
            break
        instant += MINUTE_S
    return [(day, business, up) for day, (business, up) in sorted(figures.items())]
