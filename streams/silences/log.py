"""The silence topic's records (``streams.episode_log`` has what they share with outages).

A value is the silence as it stands after a change, with the change (``opened`` when the store fell
silent, ``closed`` when it was heard again, ``updated``), the instant it was derived at and
``was_open``: whether it was published going on before (a silence found only once the ping that ends
it arrived was not), so a reader tells from one record alone whether its opening was announced. A
tombstone retracts the silence.
"""

from __future__ import annotations

from typing import Final

from streams.engine.episodes import Change
from streams.engine.instants import iso_text
from streams.engine.silences import Silence
from streams.episode_log import EpisodeKind, with_local_times

# The fields of a silence's UTC instants; readers add each one's ``<name>_local``.
SILENCE_INSTANTS: Final = ("started_at", "last_ping", "ended_at")

SILENCE = EpisodeKind("silence", SILENCE_INSTANTS, id_prefix="silence.")

SilenceRecord = dict[str, str | None]


def silence_fields(silence: Silence, timezone: str) -> SilenceRecord:
    """The silence's instants in UTC and the zone its business time was read in."""
    ended = silence.ended_at
    return {
        "store_id": silence.store_id,
        "started_at": iso_text(silence.started_at),
        "last_ping": iso_text(silence.last_ping),
        "ended_at": None if ended is None else iso_text(ended),
        "timezone": timezone,
    }


def silence_record(silence: Silence, timezone: str) -> SilenceRecord:
    """The silence's fields, its local times included."""
    record = silence_fields(silence, timezone)
    with_local_times(record, SILENCE_INSTANTS)
    return record


def silence_message(change: Change[Silence], timezone: str, as_of: int) -> tuple[bytes, bytes | None]:
    """Key and value (None for a retraction) of one change to a store's silences."""
    record: dict[str, str | bool | None] = {**silence_fields(change.episode, timezone)}
    record["was_open"] = change.was_open is not None
    return SILENCE.message(change.event, record, as_of, (record["last_ping"], record["ended_at"], timezone))
