"""What notifications say and when: the threshold, closings that page only after openings did, and
the words people read, checked against a reference that judges each outage's whole history."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from alerts.notifications import (
    Notification,
    NotificationRules,
    Severity,
    digest,
    notification_id,
    notification_ids,
)
from streams.episode_log import with_local_times
from streams.outages.log import OUTAGE
from streams.silences.log import SILENCE
from tests.reference import reference_notifications

START = "2023-01-23T21:30:00+00:00"  # 15:30 in Chicago
END = "2023-01-23T22:32:00+00:00"


def outage(
    event: str, lost: float, previous: float | None, ended_at: str | None = None, store: str = "s1"
) -> dict[str, Any]:
    record = {
        "kind": "outage",
        "event": event,
        "event_id": "x",
        "store_id": store,
        "started_at": START,
        "ended_at": ended_at,
        "business_started_at": START,
        "business_downtime_minutes": lost,
        "previous_business_downtime_minutes": previous,
        "timezone": "America/Chicago",
    }
    return with_local_times(record, OUTAGE.instants)


def silence(event: str, ended_at: str | None = None, was_open: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "silence",
        "event": event,
        "event_id": "y",
        "store_id": "s1",
        "started_at": "2023-01-24T15:00:00+00:00",
        "last_ping": "2023-01-24T13:00:00+00:00",
        "ended_at": ended_at,
        "timezone": "Asia/Tokyo",
        "was_open": was_open,
    }
    return with_local_times(record, SILENCE.instants)


def said(rules: NotificationRules, *notices: dict[str, Any]) -> list[str]:
    found = [rules.notification(notice) for notice in notices]
    return [n.title for n in found if n is not None]


def test_a_blip_shorter_than_the_threshold_pages_nobody() -> None:
    rules = NotificationRules(after_minutes=3)
    blip = outage("closed", 2.0, previous=0.0, ended_at="2023-01-23T21:32:00+00:00")
    assert said(rules, outage("opened", 0.0, None), blip) == []


def test_an_outage_pages_once_when_it_reaches_the_threshold_and_again_when_it_closes() -> None:
    rules = NotificationRules(after_minutes=30)
    history = [
        outage("opened", 0.0, None),
        outage("updated", 20.0, 0.0),
        outage("updated", 45.0, 20.0),  # crosses 30: pages
        outage("updated", 62.0, 45.0),
        outage("closed", 62.0, 62.0, ended_at=END),
    ]
    assert said(rules, *history) == ["Store s1 is down", "Store s1 is back up"]


def test_the_default_threshold_pages_at_the_opening() -> None:
    rules = NotificationRules()
    assert said(rules, outage("opened", 0.0, None), outage("updated", 60.0, 0.0)) == ["Store s1 is down"]


def test_an_outage_that_crossed_the_threshold_between_two_pings_pages_once_when_it_closes() -> None:
    rules = NotificationRules(after_minutes=30)
    history = [outage("opened", 0.0, None), outage("closed", 62.0, 0.0, ended_at=END)]
    found = [rules.notification(notice) for notice in history]
    assert found[0] is None
    assert found[1] is not None and found[1].title == "Store s1 was down"
    assert found[1].severity is Severity.FAILURE


def test_retractions_and_corrections_of_closed_outages_page_nobody() -> None:
    rules = NotificationRules()
    retracted = {"kind": "outage", "event": "retracted", "store_id": "s1", "started_at": START}
    assert said(rules, retracted, outage("updated", 50.0, None, ended_at=END)) == []


def test_messages_name_the_store_its_local_times_the_minutes_lost_and_link_its_page() -> None:
    rules = NotificationRules(public_url="https://storemon.example.test/")
    found = rules.notification(outage("closed", 62.0, 0.0, ended_at=END, store="a/b c"))
    assert found == Notification(
        found.id if found else "",
        "up",
        "Store a/b c is back up",
        "Store a/b c is back up since Mon 23 Jan 2023 16:32 CST, after an outage from Mon 23 Jan 2023 "
        "15:30 CST: 62 minutes of business time lost.\n"
        "Store page: https://storemon.example.test/stores/a/b%20c\n"
        f"Notification id: {found.id if found else ''}",
        Severity.SUCCESS,
    )
    down = rules.notification(outage("opened", 0.5, None))
    assert down is not None and "0.50 minutes of business time lost so far" in down.body


def test_silences_page_when_a_store_falls_silent_and_is_heard_again_or_once_when_found_late() -> None:
    rules = NotificationRules(after_minutes=1000)  # the outage threshold does not apply
    fell, heard = (
        rules.notification(silence("opened")),
        rules.notification(silence("closed", "2023-01-24T16:10:00+00:00")),
    )
    assert fell is not None and heard is not None
    assert fell.title == "Store s1 is silent" and fell.severity is Severity.WARNING
    assert fell.body.startswith(
        "Store s1 has sent no ping since Tue 24 Jan 2023 22:00 JST; it fell silent at Wed 25 Jan 2023 "
        "00:00 JST"
    )
    assert heard.body.startswith("Store s1 pinged again at Wed 25 Jan 2023 01:10 JST")
    found_late = rules.notification(silence("closed", "2023-01-24T16:10:00+00:00", was_open=False))
    assert found_late is not None and found_late.title == "Store s1 was silent"
    assert found_late.body.startswith(
        "Store s1 sent no ping from Tue 24 Jan 2023 22:00 JST until Wed 25 Jan 2023 01:10 JST"
    )
    assert rules.notification(silence("updated")) is None


def test_a_digest_counts_what_its_parts_say_and_takes_the_worst_severity() -> None:
    rules = NotificationRules()
    parts = [
        rules.notification(outage("closed", 62.0, 10.0, ended_at=END)),
        rules.notification(silence("opened")),
        rules.notification(outage("opened", 3.0, None, store="s2")),
        rules.notification(outage("opened", 3.0, None, store="s3")),
    ]
    message = digest([p for p in parts if p is not None])
    assert message.title == "4 store changes: 2 down, 1 back up, 1 silent"
    assert message.severity is Severity.FAILURE
    assert message.body.split("\n\n")[1].startswith("Store s1 is silent\nStore s1 has sent no ping since")
    ids = [p.id for p in parts if p is not None]
    assert [line for line in message.body.splitlines() if line.startswith("Notification id: ")] == [
        f"Notification id: {ident}" for ident in ids
    ]
    # What a receiver drops repeats by, however its transport ends lines (mail: CRLF).
    assert notification_ids(message.body) == notification_ids(message.body.replace("\n", "\r\n")) == ids
    single = parts[1]
    assert single is not None and digest([single]) == (single.title, single.body, Severity.WARNING)


def test_ids_are_stable_per_episode_and_message_and_differ_between_them() -> None:
    opened, updated = outage("opened", 40.0, None), outage("updated", 50.0, 40.0)
    assert notification_id(opened, "down") == notification_id(updated, "down")
    assert len({notification_id(opened, what) for what in ("down", "up", "was-down")}) == 3
    assert notification_id(opened, "down") != notification_id(
        outage("opened", 40.0, None, store="s2"), "down"
    )
    assert notification_id(silence("opened"), "silent") != notification_id(opened, "silent")


@st.composite
def outage_histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], float]:
    """The records a worker publishes for one outage: opened, updates as later pings lengthen it
    (each carrying the downtime published before), maybe a closing; the threshold to judge them by."""
    steps = draw(st.lists(st.integers(0, 90), max_size=6))
    lost, records = 0.0, [outage("opened", 0.0, None)]
    for step in steps:
        records.append(outage("updated", lost + step, lost))
        lost += step
    if draw(st.booleans()):
        records.append(outage("closed", lost + draw(st.integers(0, 90)), lost, ended_at=END))
    return records, float(draw(st.integers(0, 200)))


@given(outage_histories())
def test_each_record_alone_pages_what_the_whole_history_calls_for(
    history: tuple[list[dict[str, Any]], float],
) -> None:
    records, after = history
    rules = NotificationRules(after_minutes=after)
    found = [n for n in map(rules.notification, records) if n is not None]
    expected = reference_notifications(records, after)
    assert sorted(n.id for n in found) == sorted(notification_id(records[0], what) for what, _ in expected)
