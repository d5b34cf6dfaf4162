"""docker-compose.yml checked as far as possible without a container engine: the cluster, the wiring,
the settings. (The image itself: tests/test_image.py.)"""

from __future__ import annotations

import re
from typing import Any

import yaml

from storemon.settings import Settings
from tests.conftest import REPO

BROKERS = ("kafka-1", "kafka-2", "kafka-3")
WORKERS = ("worker-1", "worker-2")


def _services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert set(loaded["volumes"]) == {*BROKERS, *WORKERS}
    services: dict[str, Any] = loaded["services"]
    return services


def test_three_kraft_brokers_form_one_cluster_each_on_its_own_volume() -> None:
    services = _services()
    assert set(services) == {*BROKERS, *WORKERS, "replay"}
    envs = [services[name]["environment"] for name in BROKERS]
    voters = ",".join(f"{n}@kafka-{n}:9093" for n in (1, 2, 3))
    for number, (name, env) in enumerate(zip(BROKERS, envs, strict=True), start=1):
        assert services[name]["image"].startswith("apache/kafka:4.")
        assert env["KAFKA_NODE_ID"] == number and env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == voters
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert services[name]["volumes"] == [f"{name}:{env['KAFKA_LOG_DIRS']}"]
    assert len({env["CLUSTER_ID"] for env in envs}) == 1
    assert {env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] for env in envs} == {3}


def test_workers_and_replay_reach_every_broker_and_replicate_three_times() -> None:
    services = _services()
    brokers = ",".join(f"{name}:9092" for name in BROKERS)
    for name in (*WORKERS, "replay"):
        service = services[name]
        assert service["build"] == "."
        assert service["environment"]["STOREMON_BROKER"] == brokers
        assert service["environment"]["STOREMON_REPLICATION_FACTOR"] == "3"
        assert {broker: {"condition": "service_healthy"} for broker in BROKERS} == service["depends_on"]
    ports = set()
    for name in WORKERS:
        worker = services[name]
        assert worker["environment"]["STOREMON_ADVERTISED_URL"] == f"http://{name}:8000"
        assert worker["volumes"] == [f"{name}:/data"]  # the image's STOREMON_DATA_DIR
        assert worker["read_only"] is True and worker["tmpfs"] == ["/tmp"]
        [published] = worker["ports"]
        assert published.startswith("127.0.0.1:") and published.endswith(":8000")
        ports.add(published)
    assert len(ports) == len(WORKERS)


def test_every_storemon_variable_is_a_real_setting() -> None:
    fields = {f"STOREMON_{name.upper()}" for name in Settings.model_fields}
    for service in _services().values():
        for variable in service.get("environment", {}):
            if variable.startswith("STOREMON_"):
                assert variable in fields, variable
    assert set(re.findall(r"STOREMON_[A-Z_]+", (REPO / "Dockerfile").read_text())) <= fields
