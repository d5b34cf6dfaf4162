"""UTC-offset timelines of IANA time zones, found once per zone and reused by every store in it."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from streams.engine.units import DAY, HOUR, SECOND

DEFAULT_TIMEZONE = "America/Chicago"

# Offsets are resolved in chunks of 32 days, so a cold process (a restarted worker, the report
# process) resolves about the weeks it reads rather than a year. A chunk is sampled hourly (no zone
# changes its offset twice within an hour) and each change is then pinned to the second by bisection.
_CHUNK = 32 * DAY


def is_known_timezone(name: str) -> bool:
    """True when ``name`` is an IANA zone that zoneinfo can load."""
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. a name too long for a path
        return False
    return True


class ZoneTimeline:
    """Piecewise-constant UTC offset of one zone, with the instants where it changes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._zone = ZoneInfo(name)
        # chunk index -> (offset at the chunk start, transition instants, offsets after them)
        self._chunks: dict[int, tuple[int, list[int], list[int]]] = {}

    def _offset_at(self, instant: int) -> int:
        moment = datetime.fromtimestamp(instant // SECOND, UTC).astimezone(self._zone)
        delta = moment.utcoffset()
        assert delta is not None
        return delta.days * 86_400 * SECOND + delta.seconds * SECOND + delta.microseconds

    def _chunk(self, index: int) -> tuple[int, list[int], list[int]]:
        found = self._chunks.get(index)
        if found is not None:
            return found
        begin = index * _CHUNK
        first = previous = self._offset_at(begin)
        transitions: list[int] = []
        offsets: list[int] = []
        probe = begin
        while probe < begin + _CHUNK:
            following = min(probe + HOUR, begin + _CHUNK - SECOND)
            current = self._offset_at(following)
            if current != previous:
                low, high = probe // SECOND, following // SECOND
                while high - low > 1:
                    middle = (low + high) // 2
                    if self._offset_at(middle * SECOND) == previous:
                        low = middle
                    else:
                        high = middle
                transitions.append(high * SECOND)
                offsets.append(current)
                previous = current
            if following == begin + _CHUNK - SECOND:
                break
            probe = following
        found = (first, transitions, offsets)
        self._chunks[index] = found
        return found

    def segment(self, instant: int) -> tuple[int, int]:
        """The offset in force at ``instant`` and the first later instant where it may change."""
        index = instant // _CHUNK
        first, transitions, offsets = self._chunk(index)
        i = bisect_right(transitions, instant)
        offset = offsets[i - 1] if i else first
        until = transitions[i] if i < len(transitions) else (index + 1) * _CHUNK
        return offset, until


@cache
def zone_timeline(name: str) -> ZoneTimeline:
    """The shared timeline of ``name``; callers resolve unknown names to the default first."""
    return ZoneTimeline(name)
