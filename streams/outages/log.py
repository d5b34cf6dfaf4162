"""The outage topic's records (``streams.episode_log`` has what they share with silences).

A value is the outage as it stands after a change (``streams.outages.records.outage_fields``: its
instants in UTC and its zone) with the change that made it (``opened``, ``updated``, ``closed``) and
the instant it is measured to, and ``previous_business_downtime_minutes``: its business downtime when
it was last published open (null when it was not), so a reader tells from one record alone when the
outage first reached a number of minutes. A tombstone retracts the outage.
"""

from __future__ import annotations

from streams.engine.episodes import Change
from streams.engine.outages import Outage
from streams.episode_log import EpisodeKind
from streams.outages.records import OUTAGE_INSTANTS, outage_fields

OUTAGE = EpisodeKind("outage", OUTAGE_INSTANTS)


def outage_message(change: Change[Outage], timezone: str, as_of: int) -> tuple[bytes, bytes | None]:
    """Key and value (None for a retraction) of one change to a store's outages."""
    outage = change.episode
    record = outage_fields(outage, timezone)
    record["previous_business_downtime_minutes"] = (
        None if change.was_open is None else change.was_open.business_downtime_minutes
    )
    updated = (record["ended_at"], outage.business_downtime, timezone)
    return OUTAGE.message(change.event, record, as_of, updated)
