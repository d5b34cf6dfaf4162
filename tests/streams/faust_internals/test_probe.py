"""Waiting for a cluster that does not answer: each try logged, then one line saying how long it waited."""

from __future__ import annotations

import asyncio
import logging

import pytest

from connectors.kafka import KafkaConnection
from streams.faust_internals.probe import KafkaUnreachable, wait_for_kafka

NOTHING_LISTENING = KafkaConnection(bootstrap="127.0.0.1:9")


def test_a_cluster_that_never_answers_is_tried_again_until_the_wait_is_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(KafkaUnreachable) as raised:
        asyncio.run(wait_for_kafka(NOTHING_LISTENING, wait=0.5, pause=0.1))
    assert str(raised.value).startswith("cannot reach Kafka at 127.0.0.1:9 over PLAINTEXT")
    assert str(raised.value).endswith("(waited 0.5 s: STOREMON_BROKER_WAIT_SECONDS)")
    assert len([r for r in caplog.records if "trying again" in r.getMessage()]) >= 2


def test_without_a_wait_the_first_failure_is_the_answer(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), pytest.raises(KafkaUnreachable) as raised:
        asyncio.run(wait_for_kafka(NOTHING_LISTENING, wait=0))
    assert "waited" not in str(raised.value) and not caplog.records
