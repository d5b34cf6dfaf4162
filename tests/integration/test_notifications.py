"""Notifications against a real broker and worker: every outage and silence worth telling reaches an
HTTP receiver (Apprise ``json://``) and an SMTP server (``mailto://``), alone or in digests, the HTTP
one failing until the mail has had everything, so one failing channel is seen not to hold back
another."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from alerts.notifications import notification_id
from replay.synth import synthesize
from storemon.local import Deployment
from tests.integration.episode_topics import read_episode_topics
from tests.receivers import Received, json_receiver, smtp_receiver
from tests.reference import reference_notifications

pytestmark = pytest.mark.kafka
AFTER_MINUTES = 30.0


def test_every_channel_gets_each_notification_once_and_a_failing_one_holds_back_no_other(
    deployment: Deployment, tmp_path: Path
) -> None:
    source = synthesize(tmp_path / "data", stores=20, days=2.0, seed=12).path
    mail = Received()  # an SMTP server that takes everything
    mail_complete = asyncio.Event()
    http = Received(failing=lambda: not mail_complete.is_set())  # down until the mail has everything
    wanted: set[str] = set()

    async def scenario(json_url: str, mailto_url: str) -> list[tuple[int, int, dict[str, object]]]:
        deployment.settings.update(
            STOREMON_NOTIFY_URLS=f"{json_url} {mailto_url}",
            STOREMON_NOTIFY_AFTER_MINUTES=str(AFTER_MINUTES),
            STOREMON_NOTIFY_RETRY_MAX_SECONDS="1",  # so the test waits seconds, not minutes
            STOREMON_PUBLIC_URL="https://storemon.example.test",
        )
        worker = deployment.worker().start()
        try:
            await worker.wait_ready()
            await deployment.replay(source, speed=2 * 86400 / 12)  # as live traffic: a ping per message
            await deployment.wait_caught_up()  # every outage and silence record acknowledged
            records = await read_episode_topics(deployment)
            notices = [notice for _, _, notice in records]
            expected = reference_notifications(notices, AFTER_MINUTES)
            kinds = {f"{n['kind']}/{n['store_id']}/{n['started_at']}": n for n in notices}
            wanted.update(notification_id(kinds[key], what) for what, key in expected)
            for channel in (mail, http):
                for _ in range(600):
                    if set(channel.ids) >= wanted:
                        break
                    await asyncio.sleep(0.2)
                mail_complete.set()
            return records
        finally:
            worker.stop()

    with json_receiver(http) as json_url, smtp_receiver(mail) as mailto_url:
        records = asyncio.run(scenario(json_url, mailto_url))

    expected = reference_notifications([n for _, _, n in records], AFTER_MINUTES)
    assert {what for what, _ in expected} >= {"down", "up", "was-down", "was-silent"}
    blips = [
        n
        for _, _, n in records
        if n["kind"] == "outage" and 0 < float(str(n["business_downtime_minutes"])) < 30
    ]
    assert blips  # outages below the threshold exist, and the reference pages none of them
    assert http.refused > 0  # the HTTP receiver failed while the mail went through
    for channel in (mail, http):
        assert Counter(channel.ids) == Counter(wanted)  # every one, once, and nothing else
    for item in mail.accepted + http.accepted:  # each part of a digest links its store's page
        parts = str(item["text"]).replace("\r\n", "\n").strip().split("\n\n")
        titles = [str(item["title"])] if len(parts) == 1 else [part.split("\n")[0] for part in parts]
        for title, part in zip(titles, parts, strict=True):
            link = f"Store page: https://storemon.example.test/stores/{title.split()[1]}"
            assert link in part.splitlines()
