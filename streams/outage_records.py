"""Outages as people and other programs read them: flat records with ISO 8601 instants, UTC and local.

The API, the outage topic and the offline ``--outages`` file all write these fields, so one outage reads
the same wherever it is seen.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import lru_cache
from typing import Final, TextIO
from zoneinfo import ZoneInfo

from streams.engine.instants import iso_text, to_datetime
from streams.engine.outages import Outage

OUTAGE_FIELDS: Final = (
    "store_id",
    "started_at",
    "ended_at",
    "began_before_window",
    "business_started_at",
    "business_downtime_minutes",
    "timezone",
    "started_at_local",
    "ended_at_local",
    "business_started_at_local",
)

OutageRecord = dict[str, str | float | bool | None]


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_text(instant: int, timezone: str) -> str:
    """The store's wall clock at ``instant`` with its UTC offset, telling a repeated hour's passes apart."""
    return to_datetime(instant).astimezone(_zone(timezone)).isoformat()


def outage_record(outage: Outage, timezone: str) -> OutageRecord:
    """The outage's fields; ``timezone`` is the zone its business time was read in."""
    ended = outage.ended_at
    return {
        "store_id": outage.store_id,
        "started_at": iso_text(outage.started_at),
        "ended_at": None if ended is None else iso_text(ended),
        "began_before_window": outage.began_before_window,
        "business_started_at": iso_text(outage.business_started_at),
        "business_downtime_minutes": outage.business_downtime_minutes,
        "timezone": timezone,
        "started_at_local": local_text(outage.started_at, timezone),
        "ended_at_local": None if ended is None else local_text(ended, timezone),
        "business_started_at_local": local_text(outage.business_started_at, timezone),
    }


def write_outages_csv(records: Iterable[OutageRecord], handle: TextIO) -> int:
    """Header and one line per outage (an open outage's ``ended_at`` empty); returns the count."""
    writer = csv.DictWriter(handle, OUTAGE_FIELDS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(
            {k: ("true" if v is True else "false" if v is False else v) for k, v in record.items()}
        )
        count += 1
    return count
