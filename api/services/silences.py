"""The fleet's silences at an instant: those going on, or every one reaching into the week, paged.

Gathered from every worker (``GroupGathering.silences``) and kept per ``as_of`` like the outage
listing (``api.services.listings``), so paging through one reads one gathering.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter

from api.ports import Gathering, GroupMoment
from api.schemas import SilenceOut, SilencePage
from api.services.listings import EpisodeListing, digest
from streams.engine.instants import iso_text
from streams.gathering import PlacedSilence
from streams.silences.log import silence_record


class SilenceStatus(StrEnum):
    OPEN = "open"
    ALL = "all"


def _listing_order(placed: PlacedSilence) -> tuple[bool, int, str]:
    """Those going on first, then the longest silent, then by store."""
    silence = placed.silence
    return (not silence.is_open, silence.started_at, silence.store_id)


@dataclass(frozen=True)
class SilenceFilter:
    status: SilenceStatus = SilenceStatus.ALL
    store_id: str | None = None

    def admits(self, placed: PlacedSilence) -> bool:
        return (self.status is SilenceStatus.ALL or placed.silence.is_open) and (
            self.store_id is None or placed.store_id == self.store_id
        )

    @property
    def digest(self) -> str:
        return digest(self.status, self.store_id)


class SilenceListing(EpisodeListing[PlacedSilence]):
    def __init__(self, gathering: Gathering, now: GroupMoment) -> None:
        super().__init__(gathering.silences, _listing_order, attrgetter("silence"), now)

    async def page(
        self,
        status: SilenceStatus,
        store_id: str | None,
        as_of: int | None,
        limit: int,
        cursor: str | None = None,
        max_stale: float = 0.0,
    ) -> SilencePage:
        """One page of the silences at ``as_of`` (default: ``now``, or the ready gathering when it
        is at most ``max_stale`` seconds old)."""

        page = await self.page_of(SilenceFilter(status, store_id), as_of, limit, cursor, max_stale)
        if page is None:
            return SilencePage(as_of="", silences=[], next_cursor=None)
        return SilencePage(
            as_of=iso_text(page.at.instant),
            silences=[SilenceOut.model_validate(silence_record(*placed)) for placed in page.items],
            next_cursor=page.next_cursor,
        )
