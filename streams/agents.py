"""The agents: pings and profiles from their topics into the tables, one event at a time.

Processing is at-least-once and the engine's state canonical, so a message processed twice (after a
crash, or a dataset replayed twice) leaves the same bytes behind. A message that breaks the wire
format is counted and moved past, never retried forever.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import faust

from connectors.kafka import partition_of
from streams.contract.messages import MessageError, check_store_key, decode_pings
from streams.contract.rejects import FROM_THE_FUTURE, TOO_LATE, Reject, encode_reject, from_the_future
from streams.engine import AddResult, StoreProfile, StoreState
from streams.engine.episodes import Change, episode_changes, message_changes, restated
from streams.engine.instants import EventTimeGuard, iso_text
from streams.engine.outages import Outage, may_change_outages, outages_near
from streams.history import HistoryKeeping
from streams.metrics import StreamMetrics
from streams.outages.log import outage_message
from streams.outages.open_count import OpenOutages
from streams.progress import Progress, Watermark
from streams.sender import EpisodeOut
from streams.silences.publishing import Silences
from streams.state.changelog import LogPosition
from streams.state.tables import StoreTables
from streams.topics import Stream, WorkerTopics

T = TypeVar("T")
Ping = tuple[int, bool]  # instant, active
# Most characters of a refused message's key or value kept with it in the rejects topic.
SHOWN = 1_000
AgentBody = Callable[[faust.StreamT[bytes]], Awaitable[None]]
RawAgent = faust.types.AgentT[bytes]
log = logging.getLogger(__name__)


_CHANGES = frozenset((AddResult.ADDED, AddResult.CHANGED))
# Messages already in a partition after the one processed that make a backlog: far more than live
# traffic leaves between two fetches, far fewer than a replay or a restart leaves.
BACKLOG = 100


@dataclass(frozen=True)
class OutagePublishing:
    """Where the outages a message changes go: the open-outages count and the outage topic."""

    open: OpenOutages
    send: EpisodeOut


class Ingest:
    """Registers the ``ingest-pings`` and ``ingest-profiles`` agents on the app; with ``outages``, they
    derive the outages each message changes and publish them."""

    def __init__(
        self,
        app: faust.App,
        topics: WorkerTopics,
        tables: StoreTables,
        progress: Progress,
        watermark: Watermark,
        metrics: StreamMetrics,
        outages: OutagePublishing | None,
        silences: Silences | None,
        guard: EventTimeGuard,
        history: HistoryKeeping | None,
    ) -> None:
        self.app = app
        self.history = history
        self.guard = guard
        self.topics = topics
        self.tables = tables
        self.progress = progress
        self.watermark = watermark
        self.metrics = metrics
        self.outages = outages
        self.silences = silences
        self.deriving = outages is not None
        self.pings = self._agent(app, topics.pings.channel, "ingest-pings", self._ingest_pings)
        self.profiles = self._agent(app, topics.profiles.channel, "ingest-profiles", self._ingest_profiles)

    def _agent(
        self, app: faust.App, topic: faust.TopicT, name: str, body: AgentBody
    ) -> faust.types.AgentT[bytes]:
        """An agent whose crash is recorded: Faust's supervisor restarts it, and until it has processed
        an event again the worker is not ready."""

        async def run(stream: faust.StreamT[bytes]) -> None:
            try:
                await body(stream)
            except Exception as error:
                log.error("agent %s crashed: %r", name, error)
                self.progress.crashed[name] = f"{type(error).__name__}: {error}"
                raise

        agent: RawAgent = app.agent(topic, name=name)(run)
        return agent

    def _behind(self, message: Any) -> bool:
        """Whether a backlog of messages waits in the message's partition (``BACKLOG``)."""
        highwater: int | None = self.app.consumer.highwater(message.tp)
        return highwater is not None and highwater - message.offset - 1 >= BACKLOG

    def _done(self, agent: str, message: Any) -> None:
        self.progress.crashed.pop(agent, None)
        self.progress.advance(message.topic, message.partition, message.offset)

    async def _forwarded(self, event: Any, stream: Stream, agent: str) -> bool:
        """Send a message that arrived outside its store's partition on to that partition; True if so.

        Producers may use any partitioner (librdkafka's default hashes with CRC32, for one), but a
        store's state lives in one partition: this is the repartition step of Kafka Streams and Faust's
        ``group_by``, paid only by messages that need it.
        """
        message = event.message
        if message.topic != stream.source or not event.key:
            return False
        partition = partition_of(event.key, self.tables.partitions)
        if partition == message.partition:
            return False
        await stream.repartition.send(key=event.key, value=event.value, partition=partition)
        self.metrics.messages_repartitioned.labels(message.topic).inc()
        self._done(agent, message)
        return True

    def _decode(self, event: Any, decode: Callable[[bytes | None], T]) -> T | None:
        """The event's decoded value; None (counted, kept in the rejects topic, and moved past) when it
        breaks the wire format."""
        try:
            check_store_key(event.key)
            return decode(event.value)
        except MessageError as error:
            message = event.message
            self.metrics.messages_rejected.labels(message.topic).inc()
            self.progress.outcomes["rejected_message"] += 1
            shown = [_shown(event.key), _shown(event.value)]
            self._dead_letter(
                Reject(message.topic, message.offset, "rejected_message", str(error), tuple(shown))
            )
            self.progress.advance(message.topic, message.partition, message.offset)
            return None

    def _dead_letter(self, reject: Reject) -> None:
        """Keep ``reject`` in the rejects topic; a commit waits for it like for any record sent."""
        self.topics.rejects.send_soon(key=b"worker", value=encode_reject(reject))

    def _from_the_future(self, event: Any, pings: list[Ping]) -> list[Ping]:
        """The pings of a message that the worker's clock allows; the others are refused (counted and
        kept in the rejects topic): they never reach the state, so they never move the watermark."""
        not_after = self.guard.not_after()
        refused = [ping for ping in pings if ping[0] > not_after]
        if refused:
            self._refuse(event, refused, FROM_THE_FUTURE, lambda instant: from_the_future(instant, not_after))
        return [ping for ping in pings if ping[0] <= not_after] if refused else pings

    def _too_late(
        self, event: Any, pings: list[Ping], state: StoreState, profile: StoreProfile
    ) -> list[Ping]:
        """The pings of a message that fall on no date of the store's history already frozen; the
        others are refused like those from the future."""
        if self.history is None:
            return pings
        refused = self.history.too_late(state, profile, pings)
        if not refused:
            return pings
        self._refuse(event, refused, TOO_LATE, lambda instant: f"{iso_text(instant)} falls on a frozen date")
        late = set(refused)
        return [ping for ping in pings if ping not in late]

    def _refuse(self, event: Any, refused: list[Ping], reason: str, detail: Callable[[int], str]) -> None:
        """Count ``refused`` pings and keep each in the rejects topic with ``reason`` and its detail."""
        message, store_id = event.message, event.key.decode("utf-8", "replace")
        for instant, active in refused:
            row = (store_id, iso_text(instant), "active" if active else "inactive")
            self._dead_letter(Reject(message.topic, message.offset, reason, detail(instant), row))
        self.metrics.pings_processed.labels(reason).inc(len(refused))
        self.progress.outcomes[reason] += len(refused)

    async def _ingest_pings(self, stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            if await self._forwarded(event, self.topics.pings, "ingest-pings"):
                continue
            decoded = self._decode(event, decode_pings)
            pings = None if decoded is None else self._from_the_future(event, decoded)
            if not pings:
                if decoded is not None:  # refused whole: moved past all the same
                    self._done("ingest-pings", event.message)
                continue
            message, key = event.message, event.key
            store_id = key.decode("utf-8", "replace")
            profile = self.tables.profile(key)
            state, position = self.tables.entry(key)
            low, high = min(instant for instant, _ in pings), max(instant for instant, _ in pings)
            deriving = self.deriving and may_change_outages(state, pings)
            before = outages_near(store_id, state, profile, low, high) if deriving else {}
            silences = self.silences
            silent_before = silences.near(key, state, profile, low, high) if silences is not None else {}
            changed, outcomes = self._applied(event, pings, state, profile)
            self.tables.put_state(key, state, position, changed, message.partition)
            repeated = outcomes.keys() == {AddResult.DUPLICATE.value}
            if deriving:
                after = outages_near(store_id, state, profile, low, high)
                self._publish(
                    key, message_changes(before, after, bool(changed), repeated), state, profile, message
                )
            if silences is not None:
                behind = partial(self._behind, message)
                silences.applied(
                    key, silent_before, state, profile, (low, high), bool(changed), repeated, behind
                )
            if state.latest is not None:
                self.watermark.saw(state.latest)
            for outcome, count in outcomes.items():
                self.metrics.pings_processed.labels(outcome).inc(count)
            self.progress.outcomes.update(outcomes)
            self._done("ingest-pings", message)

    def _applied(
        self, event: Any, pings: list[Ping], state: StoreState, profile: StoreProfile
    ) -> tuple[list[Ping], Counter[str]]:
        """Apply ``pings`` to ``state``: those that changed it, and how each turned out. With history
        kept, pings on frozen dates are refused, and the dates the message moves past the retention
        are frozen before the pings they need are pruned."""
        history, latest_before = self.history, state.latest
        pings = self._too_late(event, pings, state, profile)
        results = state.add_all(pings, profile, self.tables.retention, prune=history is None)
        # Counted by identity: an enum member hashes in Python, slowly for a week of pings.
        added = results.count(AddResult.ADDED)
        if added == len(results):
            changed, outcomes = pings, Counter({AddResult.ADDED.value: added} if added else {})
        else:
            counts = {result: results.count(result) for result in AddResult}
            outcomes = Counter({result.value: count for result, count in counts.items() if count})
            changed = [ping for ping, result in zip(pings, results, strict=True) if result in _CHANGES]
        if history is not None:
            self.metrics.dates_frozen.inc(history.freeze(event.key, state, profile, latest_before))
            state.prune(self.tables.retention)
        return changed, outcomes

    def _publish(
        self,
        key: bytes,
        changes: list[Change[Outage]],
        state: StoreState,
        profile: StoreProfile,
        message: Any,
    ) -> None:
        """Send each change to the outage topic, in the store's partition, so its changes stay in order.

        Commits wait until they are acknowledged, as for the tables' changelogs, so a change is never
        lost behind a committed ping.
        """
        outages = self.outages
        if not changes or state.latest is None or outages is None:
            return
        outages.open.note(key, state, profile)
        zone = profile.effective_timezone
        backlog = self._behind(message)
        for change in changes:
            record_key, value = outage_message(change, zone, state.latest)
            outages.send(key=record_key, value=value, partition=message.partition, backlog=backlog)
            self.metrics.outage_events.labels(change.event.value).inc()

    async def _ingest_profiles(self, stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            if await self._forwarded(event, self.topics.profiles, "ingest-profiles"):
                continue
            # A tombstone (no value) means the default profile.
            profile = self._decode(event, self.tables.decoded.keep)
            if profile is None:
                continue
            message, key = event.message, event.key
            state, position = self.tables.entry(key)
            # The profile it replaces matters only to a store whose totals it changes.
            changes = bool(state.times) and state.fingerprint != profile.fingerprint
            previous = self.tables.profile(key) if changes else None
            self.tables.put_profile(key, event.value)
            if previous is not None:
                self._reprofile(key, state, position, previous, profile, message)
            self._done("ingest-profiles", message)

    def _reprofile(
        self,
        key: bytes,
        state: StoreState,
        position: LogPosition,
        previous: StoreProfile,
        profile: StoreProfile,
        message: Any,
    ) -> None:
        """New hours or zone: recompute the running totals, what every outage cost in business time
        and when every silence began."""
        store_id, first, last = key.decode("utf-8", "replace"), state.times[0], state.times[-1]
        before = outages_near(store_id, state, previous, first, last) if self.deriving else {}
        state.refresh(profile)
        self.tables.put_state(key, state, position, (), message.partition)
        if not self.deriving:
            return
        if self.silences is not None:
            self.silences.reprofiled(key, state, previous, profile)
        after = outages_near(store_id, state, profile, first, last)
        changes = episode_changes(before, after)
        if previous.effective_timezone != profile.effective_timezone:
            changes += restated(after, changes)
        self._publish(key, changes, state, profile, message)


def _shown(raw: bytes | None) -> str:
    """A refused message's key or value as text to keep: its start, decoded whatever its bytes."""
    return "" if raw is None else raw[:SHOWN].decode("utf-8", "replace")
