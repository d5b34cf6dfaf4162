"""Stores down and stores silent in each UTC hour of the last week, for the fleet's chart.

Each listing (outages, silences) counts its stores per hour once per gathering
(``EpisodeListing.per_hour``); this puts the two side by side.
"""

from __future__ import annotations

from api.schemas import FleetHour, FleetHours
from api.services.outages import OutageListing
from api.services.silences import SilenceListing
from streams.engine import HOUR
from streams.engine.instants import iso_text


async def fleet_hours(
    outages: OutageListing, silences: SilenceListing, hours: int, max_stale: float
) -> FleetHours:
    """Stores down and stores silent per UTC hour, the last ``hours`` through the one holding ``now``."""
    down = await outages.per_hour(hours, max_stale)
    silent = await silences.per_hour(hours, max_stale)
    if down is None or silent is None:
        return FleetHours(as_of="", hours=[])
    (as_of, start, down_counts), (_, silent_start, silent_counts) = down, silent
    # Two gatherings, possibly an hour apart: each count goes to its own hour.
    silent_at = {silent_start + index * HOUR: count for index, count in enumerate(silent_counts)}
    return FleetHours(
        as_of=iso_text(as_of.instant),
        hours=[
            FleetHour(start=iso_text(hour), down=count, silent=silent_at.get(hour, 0))
            for hour, count in zip(range(start, start + hours * HOUR, HOUR), down_counts, strict=True)
        ],
    )
