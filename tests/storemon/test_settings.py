"""Settings into a Kafka connection and back, the topics command without a cluster, clear refusals."""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest

from storemon.cli import main
from storemon.settings import Settings, kafka_environment


def test_the_kafka_settings_make_one_connection_that_another_process_gets_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    given = {
        "STOREMON_BROKER": "k1:9093,k2:9093",
        "STOREMON_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "STOREMON_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
        "STOREMON_KAFKA_SASL_USERNAME": "monitor",
        "STOREMON_KAFKA_SASL_PASSWORD": "pw-2",
        "STOREMON_KAFKA_SSL_CAFILE": certifi.where(),
    }
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    kafka = settings.kafka
    assert kafka.servers == ["k1:9093", "k2:9093"] and kafka.secret() == "pw-2"
    assert kafka_environment(kafka) == given
    assert "pw-2" not in repr(settings) and "pw-2" not in repr(kafka)


def test_incomplete_kafka_settings_stop_a_command_with_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STOREMON_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    assert main(["topics", "plan", "--replication-factor", "3"]) == 2
    assert capsys.readouterr().err.strip() == "storemon topics: SASL_SSL needs a SASL username and password"


def test_the_plan_needs_no_cluster_when_the_replication_factor_is_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = [
        "topics",
        "plan",
        "--replication-factor",
        "3",
        "--partitions",
        "6",
        "--app-id",
        "shop",
        "--topic-prefix",
        "s",
    ]
    assert main([*argv, "--broker", "127.0.0.1:9"]) == 0  # nothing listens there: never asked
    plan = capsys.readouterr().out
    assert "kafka-topics.sh --bootstrap-server <broker> --create --topic shop-store-states-changelog" in plan
    assert "--topic s-pings --partitions 6 --replication-factor 3 --config cleanup.policy=delete" in plan
    assert plan.count("--create") == 11
