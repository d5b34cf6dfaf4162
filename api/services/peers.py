"""The other workers of the group: who holds a store, the group's watermark, and HTTP to them.

Each worker holds some partitions of the tables. What a store's answer needs is asked of the worker
holding it (``at_owner``), and the group's watermark, the latest ping any worker holds, is gathered
from every worker once a second rather than per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

from api.errors import OutsideHorizon, PartitionsMoving, PeerUnreachable, UnknownStore
from api.ports import LocalWorker, Moment
from api.services.listings import digest
from api.services.repeating import repeating
from streams.engine import DEFAULT_RETENTION, WEEK
from streams.engine.instants import ClockMode, iso_text, present

# How far a peer's instant may lie beyond this worker's view of ``now`` (the watermark refreshed every
# second; a replay at full speed moves it days per second). It bounds what one request can cost: the
# engine's work grows with the time between a store's last ping and the instant asked about.
PEER_SLACK = WEEK


def _latest(*instants: int | None) -> int | None:
    known = [instant for instant in instants if instant is not None]
    return max(known) if known else None


class Peers:
    def __init__(
        self,
        worker: LocalWorker,
        token: str | None = None,
        retention: int = DEFAULT_RETENTION,
        clock: ClockMode = ClockMode.EVENT,
    ) -> None:
        self.worker = worker
        self.retention = retention
        self.clock = clock
        self.me = worker.canonical_url
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        self.client = httpx.AsyncClient(timeout=30.0, headers=headers)
        self._watermark: int | None = None

    async def close(self) -> None:
        await self.client.aclose()

    def others(self) -> list[str]:
        return [url for url in self.worker.peer_urls() if url != self.me]

    async def get(self, base: str, path: str, params: dict[str, int] | None = None) -> dict[str, Any]:
        """A peer's JSON answer; ``PeerUnreachable`` when it cannot be had."""
        return await self._ask("GET", base, path, params)

    async def post(self, base: str, path: str, params: dict[str, int], body: Any) -> dict[str, Any]:
        """A peer's JSON answer to a question too long for a URL, sent as JSON."""
        return await self._ask("POST", base, path, params, body)

    async def _ask(
        self, method: str, base: str, path: str, params: dict[str, int] | None, body: Any = None
    ) -> dict[str, Any]:
        try:
            response = await self.client.request(method, base + path, params=params, json=body)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise PeerUnreachable(base, error) from None
        answer: dict[str, Any] = response.json()
        return answer

    async def at_owner(
        self, store_id: str, suffix: str, params: dict[str, int], here: Callable[[], bytes]
    ) -> bytes:
        """``here()`` when this worker holds the store, else the holder's internal route for it."""
        owner = self.worker.owner_url(store_id)
        if owner is None:
            raise PartitionsMoving()
        if owner == self.me:
            return here()
        try:
            response = await self.client.get(f"{owner}/api/internal/stores/{store_id}{suffix}", params=params)
        except httpx.HTTPError as error:
            raise PeerUnreachable(owner, error) from None
        if response.status_code == httpx.codes.NOT_FOUND:
            raise UnknownStore()
        if response.is_error:
            raise PeerUnreachable(owner, f"answered {response.status_code}")
        return response.content

    async def _watermarks(self) -> dict[str, dict[str, Any]]:
        """Every worker's watermark and state version, by its URL."""
        mine = {"watermark_us": self.worker.watermark(), "version": self.worker.version()}
        others = self.others()
        bodies = await asyncio.gather(*(self.get(url, "/api/internal/watermark") for url in others))
        return {self.me: mine, **dict(zip(others, bodies, strict=True))}

    async def watermark(self) -> int | None:
        """Latest ping instant held by any worker."""
        return _latest(*(body["watermark_us"] for body in (await self._watermarks()).values()))

    async def moment(self) -> Moment | None:
        """``now`` and the version of the group's state: every worker's, in the order of their URLs."""
        bodies = await self._watermarks()
        instant = present(self.clock, _latest(*(body["watermark_us"] for body in bodies.values())))
        if instant is None:
            return None
        return Moment(instant, digest(*(f"{url}={bodies[url].get('version')}" for url in sorted(bodies))))

    def cached_watermark(self) -> int | None:
        """The group's watermark as last refreshed, never older than this worker's own."""
        return _latest(self._watermark, self.worker.watermark())

    async def now(self) -> int | None:
        """``now`` of every answer asked without an instant: the group's watermark, or the wall clock
        (``ClockMode``); None while the group holds no ping."""
        return present(self.clock, await self.watermark())

    def cached_now(self) -> int | None:
        """``now`` from the group's watermark as last refreshed."""
        return present(self.clock, self.cached_watermark())

    def refreshing(self, every: float = 1.0) -> AbstractAsyncContextManager[None]:
        """Keeps lookups off the network: the group watermark is gathered once a second, not per call."""
        return repeating(every, self._refresh_watermark, "watermark refresh")

    async def _refresh_watermark(self) -> None:
        self._watermark = await self.watermark() if self.others() else None

    def check_instant(self, as_of: int) -> None:
        """Refuse an instant a peer could not have asked about: before the pings the group keeps, or
        too far after ``now`` as known here."""
        known = self.cached_watermark()
        now = present(self.clock, known)
        if known is None or now is None:
            return
        earliest, latest = known - self.retention, now + PEER_SLACK
        if not earliest <= as_of <= latest:
            raise OutsideHorizon(
                f"as_of {iso_text(as_of)} lies outside {iso_text(earliest)} .. {iso_text(latest)} known here"
            )
