"""docker-compose.yml checked as far as possible without a Docker engine: structure, wiring, settings."""

from __future__ import annotations

import re
from typing import Any

import yaml

from storemon.settings import Settings
from tests.conftest import REPO


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def test_services_and_kraft_broker_with_a_persistent_volume() -> None:
    compose = _compose()
    assert set(compose["services"]) == {"kafka", "worker", "replay"}
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    volume, mount = kafka["volumes"][0].split(":")
    assert volume in compose["volumes"]
    assert mount == kafka["environment"]["KAFKA_LOG_DIRS"]


def test_worker_and_replay_reach_the_broker_and_publish_only_on_loopback() -> None:
    services = _compose()["services"]
    advertised = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"].removeprefix("PLAINTEXT://")
    for name in ("worker", "replay"):
        assert services[name]["environment"]["STOREMON_BROKER"] == advertised
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert services[name]["build"] == "."
    worker = services["worker"]
    assert worker["ports"] == [f"127.0.0.1:{worker['environment']['STOREMON_API_PORT']}:8000"]
    assert worker["environment"]["STOREMON_ADVERTISED_URL"] == "http://worker:8000"
    assert (REPO / "Dockerfile").read_text().count("storemon") >= 2


def test_every_storemon_variable_is_a_real_setting() -> None:
    fields = {f"STOREMON_{name.upper()}" for name in Settings.model_fields}
    for service in _compose()["services"].values():
        for variable in service.get("environment", {}):
            if variable.startswith("STOREMON_"):
                assert variable in fields, variable
    dockerfile_vars = set(re.findall(r"STOREMON_[A-Z_]+", (REPO / "Dockerfile").read_text()))
    assert dockerfile_vars <= fields
