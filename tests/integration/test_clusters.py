"""The product on clusters like the ones its users run: three brokers that lose one, and SASL_SSL.

Each test starts its own cluster from the same Kafka jars as the session's broker, on loopback.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import SecretStr

from connectors.kafka import KafkaConnection
from connectors.kafka.admin import describe_topics
from replay.synth import synthesize
from storemon.broker import ClientSecurity, LocalBroker
from storemon.local import Deployment, fetch_report
from storemon.settings import kafka_environment
from tests.helpers import OfflineCsv, replay_under_way

pytestmark = pytest.mark.kafka


async def in_sync_everywhere(kafka: KafkaConnection, names: list[str], node: int) -> bool:
    """Whether ``node`` is an in-sync replica of every partition of the topics."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        described = await admin.describe_topics(names)
        return all(node in partition["isr"] for topic in described for partition in topic["partitions"])
    finally:
        await admin.close()


def test_a_broker_killed_mid_replay_loses_nothing_and_rejoins(
    tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    source = synthesize(tmp_path / "data.zip", stores=300, days=8, seed=11).path
    expected = offline_csv(source)
    cluster = LocalBroker(tmp_path / "cluster", nodes=3, heap="384m", engine="kafka")
    cluster.start()
    deployment = Deployment(cluster.connection(), tmp_path)
    worker = deployment.worker()

    async def scenario() -> str:
        replay = await replay_under_way(deployment, worker, source)
        cluster.kill_node(0)  # the first bootstrap server, as a machine lost: its disk stays
        await replay
        await deployment.wait_caught_up(timeout=240)
        report = await fetch_report(worker.url)
        cluster.start_node(0)
        names = deployment.topics.keyed
        for _ in range(240):
            if await in_sync_everywhere(deployment.kafka, names, node=1):
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError("the restarted broker did not rejoin every partition's in-sync replicas")
        return report

    try:
        report = asyncio.run(scenario())
        layout = asyncio.run(describe_topics(deployment.kafka, deployment.topics.keyed))
    finally:
        worker.stop()
        cluster.stop()
    assert report == expected
    assert {(state.replication, state.config["min.insync.replicas"]) for state in layout.values()} == {
        (3, "2")
    }


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    broker = LocalBroker(
        tmp_path_factory.mktemp("secured"), engine="kafka", security=ClientSecurity({"monitor": "s3cret-pw"})
    )
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def test_replay_worker_and_report_are_exact_over_sasl_ssl(
    secured: LocalBroker, sample: Path, tmp_path: Path, offline_csv: OfflineCsv
) -> None:
    deployment = Deployment(secured.connection(), tmp_path)

    async def scenario() -> tuple[str, str]:
        worker = await deployment.serve(sample)
        try:
            async with httpx.AsyncClient(base_url=worker.url) as client:
                shown = "".join(
                    [(await client.get(path)).text for path in ("/api/worker/status", "/metrics")]
                )
            return await fetch_report(worker.url), shown + worker.log.read_text()
        finally:
            worker.stop()

    report, shown = asyncio.run(scenario())
    assert report == offline_csv(sample)
    assert "s3cret-pw" not in shown  # the password is in none of the worker's logs, status or metrics


def run_command(*args: str, kafka: KafkaConnection, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **kafka_environment(kafka), **settings}
    # The guard only keeps a hanging command from hanging the suite.
    return subprocess.run(
        [sys.executable, "-m", "storemon.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def other_authority(folder: Path) -> Path:
    """A certificate that did not sign the broker's."""
    store, pem = folder / "other.p12", folder / "other.pem"
    keytool = ["keytool", "-storetype", "PKCS12", "-keystore", str(store), "-storepass", "changeit"]
    subprocess.run(
        [*keytool, "-genkeypair", "-alias", "x", "-keyalg", "RSA", "-dname", "CN=other"], check=True
    )
    subprocess.run([*keytool, "-exportcert", "-rfc", "-alias", "x", "-file", str(pem)], check=True)
    return pem


@pytest.mark.parametrize("command", ["topics check", "worker --data-dir {tmp}/w", "replay {sample}"])
def test_a_wrong_password_an_untrusted_authority_or_nothing_listening_ends_a_command_with_one_line(
    secured: LocalBroker, tmp_path: Path, sample: Path, command: str
) -> None:
    good = secured.connection()
    cases = {
        "refused the credentials of 'monitor' (SCRAM-SHA-512)": good.model_copy(
            update={"sasl_password": SecretStr("wrong-pw")}
        ),
        "TLS certificate of Kafka at 127.0.0.1:": good.model_copy(
            update={"ssl_cafile": other_authority(tmp_path)}
        ),
        "cannot reach Kafka at 127.0.0.1:9 over PLAINTEXT": KafkaConnection(bootstrap="127.0.0.1:9"),
    }
    args = command.format(tmp=tmp_path, sample=sample).split()
    for cause, kafka in cases.items():
        # A starting worker waits for a cluster that does not answer (tested in test_faults), but not
        # for one that refuses its credentials or its trust: waiting would not change that.
        wait = "0" if "cannot reach" in cause else "600"
        done = run_command(*args, kafka=kafka, STOREMON_BROKER_WAIT_SECONDS=wait)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1, done.stderr
        assert len(lines) == 1 and cause in lines[0], done.stderr
        assert "wrong-pw" not in done.stdout + done.stderr and "s3cret-pw" not in done.stdout + done.stderr
