"""The worker's silences: derived between pings as each message arrives, and announced by a timer
when a store stops pinging.

A silence between two pings is a function of those pings alone, so the agents derive it exactly as
they derive outages, whatever the arrival order. A silence still going on depends on ``now`` too, so
only the timer opens one (``SilenceWatch``), and only once the worker has caught up with its
partitions: behind a backlog a store's next pings may simply not be read yet. The next ping of a
store that fell silent closes its silence (or retracts it, when that ping predates it).
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.kafka import partition_of
from streams.engine import StoreProfile, StoreState
from streams.engine.episodes import Change, EpisodeEvent, episode_changes, message_changes, restated
from streams.engine.silences import Silence, falls_silent, next_silence, silences_near
from streams.metrics import StreamMetrics
from streams.progress import AfterRebalance
from streams.sender import EpisodeOut
from streams.silences.log import silence_message
from streams.silences.watch import SilenceWatch
from streams.state.tables import StoreTables


class Silences:
    def __init__(
        self,
        tables: StoreTables,
        send: EpisodeOut,
        silence: int,
        now: Callable[[], int | None],
        metrics: StreamMetrics,
        rebalanced: AfterRebalance,
    ) -> None:
        self.tables = tables
        self.send = send
        self.silence = silence
        self.now = now
        self.metrics = metrics
        self.rebalanced = rebalanced
        self.watch = SilenceWatch()
        # The silence going on of each store held here that has one, as published.
        self.announced: dict[bytes, Silence] = {}
        metrics.stores_silent.set_function(lambda: len(self.announced))

    def near(
        self, key: bytes, state: StoreState, profile: StoreProfile, low: int, high: int
    ) -> dict[int, Silence]:
        """Before a message's pings in ``[low, high]`` are applied: the silences they can change,
        the one going on included when a ping may end it."""
        found = self._between_pings(key, state, profile, low, high)
        announced = self.announced.get(key)
        if announced is not None and high > announced.last_ping:
            found[announced.started_at] = announced
        return found

    def applied(
        self,
        key: bytes,
        before: dict[int, Silence],
        state: StoreState,
        profile: StoreProfile,
        bounds: tuple[int, int],
        changed: bool,
        repeated: bool,
        backlog: Callable[[], bool],
    ) -> None:
        """After the message's pings are applied: publish what they did to the silences near them
        (``backlog``: whether many messages wait behind this one, asked only when there is any)."""
        latest = state.latest
        if latest is None:
            return
        after = self._between_pings(key, state, profile, *bounds)
        announced = self.announced.get(key)
        if announced is not None and announced.started_at in before:
            del self.announced[key]  # ended (or retracted) by a later ping
        changes = message_changes(before, after, changed, repeated)
        if changes:
            self._publish(key, changes, profile, latest, backlog())
        self.watch.note(key, latest + self.silence)

    def reprofiled(
        self, key: bytes, state: StoreState, previous: StoreProfile, profile: StoreProfile
    ) -> None:
        """New hours or zone (``state`` already refreshed): every silence of the store may have moved."""
        latest = state.latest
        if latest is None:
            return
        first = state.times[0]
        before = self._between_pings(key, state, previous, first, latest)
        after = self._between_pings(key, state, profile, first, latest)
        announced = self.announced.pop(key, None)
        if announced is not None:
            before[announced.started_at] = announced
            going_on = self._going_on(key, state, profile)
            if going_on is not None:
                after[going_on.started_at] = going_on
        else:
            self.watch.note(key, latest + self.silence)
        changes = episode_changes(before, after)
        if previous.effective_timezone != profile.effective_timezone:
            changes += restated(after, changes)
        self._publish(key, changes, profile, latest, backlog=False)

    def tick(self) -> None:
        """Announce every store held here that has fallen silent by ``now`` since last asked."""
        if self.rebalanced.due():
            self._watch_all()
        now = self.now()
        if now is None:
            return
        for key in self.watch.pop_due(now):
            if key in self.announced:  # silent already; its next ping watches it again
                continue
            state = self.tables.entry(key)[0]
            if state.latest is None:
                continue
            profile = self.tables.profile(key)
            going_on = self._going_on(key, state, profile, now)
            if going_on is not None:
                self._publish(key, [Change(EpisodeEvent.OPENED, going_on)], profile, now, backlog=False)

    def _going_on(
        self, key: bytes, state: StoreState, profile: StoreProfile, now: int | None = None
    ) -> Silence | None:
        """The store's silence going on at ``now`` (default: ``self.now()``), kept as announced; when
        there is none yet, the store is watched again at the next instant it could begin."""
        latest = state.times[-1]
        now = self.now() if now is None else now
        start = None if now is None else falls_silent(profile.calendar, latest, self.silence, now + 1)
        if start is None:
            due = next_silence(profile.calendar, latest, self.silence)
            if due is not None:
                self.watch.note(key, due)
            return None
        silence = Silence(key.decode("utf-8", "replace"), start, latest, None)
        self.announced[key] = silence
        return silence

    def _between_pings(
        self, key: bytes, state: StoreState, profile: StoreProfile, low: int, high: int
    ) -> dict[int, Silence]:
        """The silences between the store's pings that pings in ``[low, high]`` can change."""
        times = state.times
        if not times:
            return {}
        store_id = key.decode("utf-8", "replace")
        # ``now`` at the latest ping: only silences some ping has ended.
        return silences_near(store_id, times, profile.calendar, self.silence, low, high, times[-1])

    def _watch_all(self) -> None:
        """After a rebalance: watch every store held, from its latest ping. Silences going on are
        announced again (the same records: a receiver drops the repeats by id)."""
        self.watch.clear()
        self.announced.clear()
        for key, raw in self.tables.encoded_items():
            latest = StoreState.latest_of(raw)
            if latest is not None:
                self.watch.note(key, latest + self.silence)

    def _publish(
        self, key: bytes, changes: list[Change[Silence]], profile: StoreProfile, as_of: int, backlog: bool
    ) -> None:
        if not changes:
            return
        zone = profile.effective_timezone
        partition = partition_of(key, self.tables.partitions)
        for change in changes:
            record_key, value = silence_message(change, zone, as_of)
            self.send(key=record_key, value=value, partition=partition, backlog=backlog)
            self.metrics.silence_events.labels(change.event.value).inc()
