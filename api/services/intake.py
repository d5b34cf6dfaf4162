"""Live input: pings and profiles into the same topics the replay fills, published only once valid.

A request is validated whole with the replay's parsers; with any bad entry it is refused (422, every
entry's position and reason) and nothing is published, so a caller can fix and resend it as is.
Valid pings travel one message per store, keyed by its id; the answer comes once the broker has
acknowledged every message. If the broker fails part-way, the caller gets a 503 and resends: the
worker's state counts a ping once however often it arrives. A broker that does not acknowledge within
the timeout (``STOREMON_INGEST_TIMEOUT_SECONDS``) is the same 503: messages already handed to the
client may still arrive, which a resend makes harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from prometheus_client import CollectorRegistry, Counter

from api.errors import BrokerUnavailable, RejectedInput, TooLarge
from api.ports import Publisher
from replay.live import Parsed, ProfileError, profile_from_body
from streams.contract.messages import encode_pings, encode_profile
from streams.contract.rejects import Reject, encode_reject
from streams.engine.instants import EventTimeGuard
from streams.topics import Topics

log = logging.getLogger(__name__)


def _rejected(rejects: list[Reject]) -> list[dict[str, object]]:
    return [{"index": r.line, "reason": r.reason, "detail": r.detail} for r in rejects]


class Intake:
    def __init__(
        self,
        publisher: Publisher,
        topics: Topics,
        registry: CollectorRegistry,
        max_pings: int,
        guard: EventTimeGuard | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.publisher = publisher
        self.timeout = timeout  # seconds to wait for the broker's acknowledgement
        self.topics = topics
        self.max_pings = max_pings
        self.guard = guard or EventTimeGuard()
        self.pings_received = Counter(
            "storemon_intake_pings", "pings received over HTTP, by outcome", ["outcome"], registry=registry
        )
        self.refusals = Counter(
            "storemon_intake_refused",
            "ping entries refused over HTTP, by reason",
            ["reason"],
            registry=registry,
        )
        self.profiles_changed = Counter(
            "storemon_intake_profiles",
            "profile changes received over HTTP, by kind",
            ["kind"],
            registry=registry,
        )

    def now(self) -> int:
        return self.guard.clock()

    def not_after(self) -> int:
        """The latest instant a ping received now may carry: this clock plus the allowance."""
        return self.guard.not_after()

    async def pings(self, parsed: Parsed) -> dict[str, int]:
        """Publish the pings of a request in which every entry is valid; refuse it otherwise."""
        count = len(parsed.pings) + len(parsed.rejects)
        if count > self.max_pings:
            raise TooLarge(f"{count} pings in one request; at most {self.max_pings}")
        if parsed.rejects:
            for reject in parsed.rejects:
                self.refusals.labels(reject.reason).inc()
            self.pings_received.labels("refused").inc(len(parsed.rejects))
            self.pings_received.labels("not_published").inc(len(parsed.pings))
            await self._keep(parsed.rejects)
            raise RejectedInput(_rejected(parsed.rejects))
        if not parsed.pings:
            raise RejectedInput([{"index": 0, "reason": "empty", "detail": "no pings in the request"}])
        by_store: defaultdict[str, list[tuple[int, bool]]] = defaultdict(list)
        for store_id, instant, active in parsed.pings:
            by_store[store_id].append((instant, active))
        messages: list[tuple[str, bytes | None]] = [
            (store_id, encode_pings(pings)) for store_id, pings in by_store.items()
        ]
        await self._send(self.topics.pings, messages)
        self.pings_received.labels("published").inc(len(parsed.pings))
        return {"accepted": len(parsed.pings), "stores": len(by_store)}

    async def put_profile(
        self,
        store_id: str,
        timezone: str | None,
        hours: list[tuple[str, str, str]],
        closures: list[tuple[str, str, str]],
    ) -> None:
        """Publish a profile validated like the dataset's files; refuse it with every problem otherwise."""
        try:
            profile = profile_from_body(timezone, hours, closures)
        except ProfileError as error:
            raise RejectedInput(
                [
                    {"field": where, "reason": reason, "detail": detail}
                    for where, reason, detail in error.problems
                ]
            ) from None
        await self._send(self.topics.profiles, [(store_id, encode_profile(profile))])
        self.profiles_changed.labels("put").inc()

    async def delete_profile(self, store_id: str) -> None:
        """Publish the tombstone: the store falls back to the default profile (24x7, Chicago)."""
        await self._send(self.topics.profiles, [(store_id, None)])
        self.profiles_changed.labels("delete").inc()

    async def _keep(self, rejects: list[Reject]) -> None:
        """Refused entries go to the rejects topic with their reasons, as the replay's do. The caller
        gets them in the answer either way, so a broker that is down does not turn the 422 into a 503."""
        try:
            await self._send(self.topics.rejects, [("api", encode_reject(r)) for r in rejects])
        except BrokerUnavailable as error:
            log.warning("%d refused entries not kept in the rejects topic: %s", len(rejects), error)

    async def _send(self, topic: str, messages: list[tuple[str, bytes | None]]) -> None:
        try:
            await asyncio.wait_for(self.publisher.send_all(topic, messages), self.timeout)
        except TimeoutError:
            raise BrokerUnavailable(f"no acknowledgement within {self.timeout:g} s") from None
        except Exception as error:  # any client failure means: not durable, say so and let the caller retry
            raise BrokerUnavailable(error) from error
