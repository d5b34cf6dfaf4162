"""Episodes: stretches of a store's time that open and close, outages and silences alike, and what a
change to a store's pings does to those already published.

The worker publishes each episode keyed by its store and start; an episode that a late ping splits,
shortens or cancels is corrected or retracted, so a listener holding the latest record per key holds
exactly what the pings say.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Generic, NamedTuple, Protocol, TypeVar


class Episode(Protocol):
    @property
    def started_at(self) -> int: ...

    @property
    def is_open(self) -> bool: ...


E = TypeVar("E", bound=Episode)


class EpisodeEvent(Enum):
    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"
    RETRACTED = "retracted"  # a late ping showed it never happened (or it merged into another)


class Change(NamedTuple, Generic[E]):
    event: EpisodeEvent
    episode: E  # for a retraction, the episode as it was last published
    # The same episode as it was last published while open, if it was: what tells a reader of one
    # record when an outage first reached a threshold, or whether a silence's start was announced.
    was_open: E | None = None


def episode_changes(before: Mapping[int, E], after: Mapping[int, E]) -> list[Change[E]]:
    """What turns the published episodes ``before`` into ``after`` (each by start): retractions
    first, then by start."""
    changes = [
        Change(EpisodeEvent.RETRACTED, old) for start, old in sorted(before.items()) if start not in after
    ]
    for start, new in sorted(after.items()):
        old = before.get(start)
        if old == new:
            continue
        was_open = old is not None and old.is_open
        if new.is_open:
            event = EpisodeEvent.UPDATED if was_open else EpisodeEvent.OPENED
        else:
            event = EpisodeEvent.CLOSED if old is None or was_open else EpisodeEvent.UPDATED
        changes.append(Change(event, new, old if was_open else None))
    return changes


def message_changes(
    before: Mapping[int, E], after: Mapping[int, E], changed: bool, repeated: bool
) -> list[Change[E]]:
    """What a message did to the episodes near its pings: the difference when it changed the state,
    the episodes again when its pings were all repeats, else nothing.

    A message processed twice (after a crash) changes nothing the second time, yet the first time's
    records may not have reached the broker: sending them again (same content, same ids) is what
    makes their delivery at-least-once.
    """
    if changed:
        return episode_changes(before, after)
    if repeated:
        return [
            Change(EpisodeEvent.OPENED if episode.is_open else EpisodeEvent.CLOSED, episode)
            for _, episode in sorted(after.items())
        ]
    return []


def restated(episodes: Mapping[int, E], changes: list[Change[E]]) -> list[Change[E]]:
    """Episodes that ``changes`` leave alone but whose local times moved with a new zone, as updates."""
    changed = {change.episode.started_at for change in changes}
    return [
        Change(EpisodeEvent.UPDATED, episode, episode if episode.is_open else None)
        for start, episode in sorted(episodes.items())
        if start not in changed
    ]
