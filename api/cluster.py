"""Answers that span every worker: the global watermark and report rows gathered from all partitions.

Each worker holds some partitions of the tables. A report asks every worker (itself directly, the
others over HTTP) for the rows of the partitions it holds and checks that together they cover every
partition exactly once; during a rebalance that check fails and the gathering is retried.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from storemon.settings import Settings
from streams.app import StoreStreams
from streams.engine import UptimeRow

log = logging.getLogger(__name__)


class IncompleteCoverage(RuntimeError):
    pass


class Cluster:
    def __init__(self, streams: StoreStreams, settings: Settings) -> None:
        self.streams = streams
        self.settings = settings
        self.me = streams.config.canonical_url.rstrip("/")
        headers = {}
        if settings.api_token is not None:
            headers["Authorization"] = f"Bearer {settings.api_token.get_secret_value()}"
        self.client = httpx.AsyncClient(timeout=30.0, headers=headers)
        self._watermark: int | None = None

    async def close(self) -> None:
        await self.client.aclose()

    def cached_watermark(self) -> int | None:
        """The group's watermark as last refreshed, never older than this worker's own."""
        values = [value for value in (self._watermark, self.streams.watermark()) if value is not None]
        return max(values) if values else None

    async def refresh_watermark_forever(self, every: float = 1.0) -> None:
        """Keeps lookups off the network: the group watermark is gathered once a second, not per call."""
        while True:
            try:
                self._watermark = await self.watermark() if self.others() else None
            except httpx.HTTPError as error:
                log.warning("watermark refresh failed: %s", error)
            await asyncio.sleep(every)

    def others(self) -> list[str]:
        return [url for url in self.streams.peer_urls() if url != self.me]

    async def watermark(self) -> int | None:
        """Latest ping instant held by any worker."""
        found = [self.streams.watermark()]
        for body in await asyncio.gather(
            *(self._get(url, "/api/internal/watermark") for url in self.others())
        ):
            found.append(body["watermark_us"])
        values = [value for value in found if value is not None]
        return max(values) if values else None

    async def report_rows(self, as_of: int, attempts: int = 5) -> list[UptimeRow]:
        """Rows of every store in the group at ``as_of``, sorted by store id."""
        for attempt in range(attempts):
            try:
                return await self._gather(as_of)
            except (IncompleteCoverage, httpx.HTTPError) as error:
                if attempt == attempts - 1:
                    raise
                log.warning("report gathering retried: %s", error)
                await asyncio.sleep(1.0 + attempt)
        raise AssertionError("unreachable")

    async def _gather(self, as_of: int) -> list[UptimeRow]:
        partitions, rows = await self.streams.report_part(as_of)
        parts = [(partitions, rows)]
        bodies = await asyncio.gather(
            *(self._get(url, "/api/internal/report-part", {"as_of_us": as_of}) for url in self.others())
        )
        for body in bodies:
            parts.append((set(body["partitions"]), [UptimeRow(*row) for row in body["rows"]]))
        covered: list[int] = sorted(p for part, _ in parts for p in part)
        if covered != list(range(self.settings.partitions)):
            raise IncompleteCoverage(
                f"partitions held {covered} do not cover 0..{self.settings.partitions - 1}"
            )
        merged = [row for _, part_rows in parts for row in part_rows]
        merged.sort(key=lambda row: row.store_id)
        return merged

    async def _get(self, base: str, path: str, params: dict[str, int] | None = None) -> dict[str, Any]:
        response = await self.client.get(base + path, params=params)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body
