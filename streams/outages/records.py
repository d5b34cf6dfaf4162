"""Outages as people and other programs read them: flat records with ISO 8601 instants, UTC and local.

The API, the outage topic and the offline ``--outages`` file all write these fields, so one outage reads
the same wherever it is seen.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Final, TextIO

from streams.engine.instants import iso_text, to_datetime
from streams.engine.outages import Outage
from streams.episode_log import local_text

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


# The fields of an outage's UTC instants; each has a ``<name>_local`` on the store's wall clock.
OUTAGE_INSTANTS: Final = ("started_at", "ended_at", "business_started_at")


def outage_fields(outage: Outage, timezone: str) -> OutageRecord:
    """The outage's instants in UTC and the zone its business time was read in: what the outage topic
    carries. Readers add the local times (``with_local_times``), so the worker does not compute them
    for records that may never be read."""
    ended = outage.ended_at
    started = iso_text(outage.started_at)
    business_started = outage.business_started_at
    return {
        "store_id": outage.store_id,
        "started_at": started,
        "ended_at": None if ended is None else iso_text(ended),
        "began_before_window": outage.began_before_window,
        "business_started_at": started
        if business_started == outage.started_at
        else iso_text(business_started),
        "business_downtime_minutes": outage.business_downtime_minutes,
        "timezone": timezone,
    }


def outage_record(outage: Outage, timezone: str) -> OutageRecord:
    """The outage's fields, its local times included."""
    record = outage_fields(outage, timezone)
    instants = (outage.started_at, outage.ended_at, outage.business_started_at)
    for name, instant in zip(OUTAGE_INSTANTS, instants, strict=True):
        record[f"{name}_local"] = None if instant is None else local_text(to_datetime(instant), timezone)
    return record


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
