"""What people are told about outages and silences: which changes page them, and the words.

An outage pages once it has ``after_minutes`` business minutes of downtime, counted the way the
product counts it: up to the store's latest ping while it goes on. The record that first shows the
outage at or past that threshold (``previous_business_downtime_minutes`` below it, or absent) sends
"down"; the closing of an outage that paged sends "back up"; an outage that closes past the
threshold without having paged (it crossed it between two pings, or became known late) sends one
"was down" covering both. Silences (which have a threshold of their own) page when a store falls
silent and when it is heard again, or once as "was silent" when the silence was found only as it
ended (the worker was behind, or replays history). Retractions and corrections of closed episodes
page nobody.

Each notification has an id derived from the episode and what it says, so the same notification
sent twice (at-least-once delivery) carries the same id and a receiver can drop the repeat. Several
due together go as one digest message, each part keeping its id.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import quote
from zoneinfo import ZoneInfo


class Severity(StrEnum):
    """How a channel may colour or prioritise a notification (Apprise's notify types)."""

    FAILURE = "failure"
    WARNING = "warning"
    SUCCESS = "success"


# What a notification says, and how a digest counts it.
SAID = {
    "down": "down",
    "up": "back up",
    "was-down": "were down",
    "silent": "silent",
    "heard": "heard again",
    "was-silent": "were silent",
}
# The line that ends each notification's text with its id.
ID_LINE = "Notification id: "
IDS = re.compile(rf"^{ID_LINE}([0-9a-f]+)\s*$", re.MULTILINE)
# Worst first: a digest takes the worst severity of what it carries.
SEVERITIES = (Severity.FAILURE, Severity.WARNING, Severity.SUCCESS)


class Message(NamedTuple):
    title: str
    body: str
    severity: Severity


@dataclass(frozen=True)
class Notification:
    id: str
    what: str  # a key of SAID
    title: str
    body: str
    severity: Severity


def digest(notifications: Sequence[Notification]) -> Message:
    """One message for ``notifications``: a single one as it is; several under a title that counts
    them by what they say, each in order with its title, text, link and id, at the worst severity
    among them."""
    if len(notifications) == 1:
        [only] = notifications
        return Message(only.title, only.body, only.severity)
    counts = Counter(n.what for n in notifications)
    title = f"{len(notifications)} store changes: " + ", ".join(
        f"{counts[what]} {said}" for what, said in SAID.items() if counts[what]
    )
    body = "\n\n".join(f"{n.title}\n{n.body}" for n in notifications)
    return Message(title, body, min((n.severity for n in notifications), key=SEVERITIES.index))


@dataclass(frozen=True)
class NotificationRules:
    after_minutes: float = 0.0  # business minutes of downtime before an outage pages
    public_url: str | None = None  # where the dashboard is reached, for a link to the store's page

    def notification(self, notice: Mapping[str, Any]) -> Notification | None:
        """What ``notice`` (an outage or silence notice as the feed reads it) tells people, if anything."""
        if notice["event"] not in ("opened", "updated", "closed"):
            return None
        if notice["kind"] == "silence":
            return self._silence(notice)
        return self._outage(notice)

    def _outage(self, notice: Mapping[str, Any]) -> Notification | None:
        lost = float(notice["business_downtime_minutes"])
        previous = notice.get("previous_business_downtime_minutes")
        paged_before = previous is not None and float(previous) >= self.after_minutes
        store, since = notice["store_id"], local(notice, "started_at")
        if notice["ended_at"] is None:
            if lost < self.after_minutes or paged_before:
                return None
            return self._said(
                notice,
                "down",
                f"Store {store} is down",
                f"Store {store} has been down since {since}: {minutes(lost)} of business time lost so far.",
                Severity.FAILURE,
            )
        if notice["event"] != "closed":
            return None  # a correction of an outage already over
        until = local(notice, "ended_at")
        if paged_before:
            return self._said(
                notice,
                "up",
                f"Store {store} is back up",
                f"Store {store} is back up since {until}, after an outage from {since}: "
                f"{minutes(lost)} of business time lost.",
                Severity.SUCCESS,
            )
        if lost < self.after_minutes:
            return None
        return self._said(
            notice,
            "was-down",
            f"Store {store} was down",
            f"Store {store} was down from {since} until {until}: {minutes(lost)} of business time lost.",
            Severity.FAILURE,
        )

    def _silence(self, notice: Mapping[str, Any]) -> Notification | None:
        store, last = notice["store_id"], local(notice, "last_ping")
        if notice["event"] == "opened":
            return self._said(
                notice,
                "silent",
                f"Store {store} is silent",
                f"Store {store} has sent no ping since {last}; it fell silent at "
                f"{local(notice, 'started_at')}, during its business hours.",
                Severity.WARNING,
            )
        if notice["event"] != "closed":
            return None
        heard = local(notice, "ended_at")
        if notice.get("was_open"):
            return self._said(
                notice,
                "heard",
                f"Store {store} is heard again",
                f"Store {store} pinged again at {heard}, after no ping since {last}.",
                Severity.SUCCESS,
            )
        return self._said(
            notice,
            "was-silent",
            f"Store {store} was silent",
            f"Store {store} sent no ping from {last} until {heard}; it was silent from "
            f"{local(notice, 'started_at')}, during its business hours.",
            Severity.WARNING,
        )

    def _said(
        self, notice: Mapping[str, Any], what: str, title: str, text: str, severity: Severity
    ) -> Notification:
        ident = notification_id(notice, what)
        lines = [text]
        if self.public_url:
            lines.append(f"Store page: {self.public_url.rstrip('/')}/stores/{quote(notice['store_id'])}")
        lines.append(f"{ID_LINE}{ident}")
        return Notification(ident, what, title, "\n".join(lines), severity)


def notification_id(notice: Mapping[str, Any], what: str) -> str:
    """Stable for one episode and one thing said about it, whichever record said it."""
    text = "\x1f".join((notice["kind"], notice["store_id"], notice["started_at"], what))
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def notification_ids(text: str) -> list[str]:
    """The ids a message's text carries (one, or each of a digest's parts): what a receiver drops
    repeats by."""
    return IDS.findall(text)


def local(notice: Mapping[str, Any], field: str) -> str:
    """An instant of the notice on the store's wall clock, the way people read it: ``Mon 23 Jan 2023
    16:30 CST``; the zone's abbreviation tells a repeated hour's passes apart."""
    moment = datetime.fromisoformat(notice[field]).astimezone(ZoneInfo(notice["timezone"]))
    return f"{moment:%a %d %b %Y %H:%M} {moment.tzname()}"


def minutes(amount: float) -> str:
    whole = round(amount)
    if abs(amount - whole) < 0.005:
        return f"{whole} minute" + ("" if whole == 1 else "s")
    return f"{amount:.2f} minutes"
