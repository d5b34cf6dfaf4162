"""A store's public status: what its owner and customers may see, and nothing else.

Read-only and small enough for a phone: the store's standing now, its hours as text in its own
timezone, its closures, its uptime over the last day and week, and its last 30 local dates. With
``STOREMON_PUBLIC_STATUS=true`` it is served without the API token (``api.routes.public``), so it
holds no ping, no other store and nothing of the worker.
"""

from __future__ import annotations

from calendar import day_name

from api.ports import StoreAnswers
from api.schemas import HoursEntry, ProfileOut, PublicStatus, StoreHistory, StoreUptime

PUBLIC_DAYS = 30


def hours_text(hours: list[HoursEntry]) -> list[str]:
    """One line per day with hours ("Monday: 09:00-17:00, 18:00-22:00"), or that it is always open."""
    if not hours:
        return ["Open every day, all day"]
    by_day: dict[int, list[str]] = {}
    for entry in hours:
        day = int(entry.day)
        by_day.setdefault(day, []).append(
            f"{entry.start_time_local[:5]}\N{EN DASH}{entry.end_time_local[:5]}"
        )
    return [
        f"{day_name[day]}: {', '.join(sorted(by_day[day])) if day in by_day else 'closed'}"
        for day in range(7)
    ]


def _share(up: float, down: float) -> float | None:
    return round(up / (up + down) * 100, 2) if up + down > 0 else None


async def public_status(stores: StoreAnswers, store_id: str) -> PublicStatus:
    """The store's public status at ``now``, from whichever worker holds it."""
    uptime = StoreUptime.model_validate_json(await stores.lookup(store_id))
    profile = ProfileOut.model_validate_json(await stores.profile(store_id))
    history = StoreHistory.model_validate_json(await stores.history(store_id, PUBLIC_DAYS))
    return PublicStatus(
        store_id=store_id,
        as_of=uptime.as_of,
        standing=uptime.standing,
        timezone=profile.effective_timezone,
        hours=hours_text(profile.hours),
        closures=profile.closures,
        uptime_percent_last_day=_share(uptime.uptime_last_day, uptime.downtime_last_day),
        uptime_percent_last_week=_share(uptime.uptime_last_week, uptime.downtime_last_week),
        days=history.days,
    )
