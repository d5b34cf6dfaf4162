"""A first contact with the cluster that says, in one line, why it failed.

aiokafka's clients raise one error whatever keeps them from bootstrapping ("Unable to bootstrap") and
only log the cause. A command that cannot reach the cluster must say which it is: wrong credentials, a
certificate not trusted, nothing listening, the wrong protocol. So each bootstrap server is contacted
the way aiokafka's clients contact it (``aiokafka.conn.create_conn``), and its failure is named.
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError, KafkaError, SaslAuthenticationFailed

from connectors.kafka import KafkaConnection

log = logging.getLogger(__name__)
# A command that cannot reach the cluster ends well within 30 s.
PROBE_TIMEOUT = 20.0


class KafkaUnreachable(RuntimeError):
    """The cluster could not be reached; the message names the cause and never a secret. A ``lasting``
    cause (credentials, trust) would fail again however long one waited."""

    def __init__(self, message: str, lasting: bool = False) -> None:
        super().__init__(message)
        self.lasting = lasting


async def probe(kafka: KafkaConnection, timeout: float = PROBE_TIMEOUT) -> None:
    """Return once one bootstrap server accepts a connection secured as ``kafka`` says."""
    failures: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for server in kafka.servers:
        left = deadline - loop.time()
        failure = await _contact(kafka, server, left) if left > 0 else f"{server}: not tried in time"
        if failure is None:
            return
        failures.append(failure)
    raise KafkaUnreachable(
        f"cannot reach Kafka at {kafka.bootstrap} over {kafka.security_protocol}: {'; '.join(failures)}"
    )


async def wait_for_kafka(kafka: KafkaConnection, wait: float, pause: float = 2.0) -> None:
    """Return once the cluster answers, trying again for up to ``wait`` seconds while it does not.

    A worker started with (or before) its brokers waits for them instead of dying; each failed try is
    logged with its cause. A lasting cause (credentials, trust) ends the wait at once.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        try:
            await probe(kafka)
            return
        except KafkaUnreachable as error:
            left = deadline - loop.time()
            if error.lasting or wait <= 0:
                raise
            if left <= 0:
                raise KafkaUnreachable(f"{error} (waited {wait:g} s: STOREMON_BROKER_WAIT_SECONDS)") from None
            log.warning("%s; trying again for up to %.0f s more", error, left)
            await asyncio.sleep(min(pause, left))


class KafkaWatch:
    """Whether the cluster answers now, asked every few seconds by the worker: while it does not, the
    worker is not ready (``/readyz``), so a load balancer sends its traffic to one that can publish."""

    def __init__(self, kafka: KafkaConnection, timeout: float = 3.0) -> None:
        self.kafka = kafka
        self.timeout = timeout
        self.unreachable: str | None = None  # the cause, while the cluster does not answer

    async def check(self) -> None:
        try:
            await probe(self.kafka, self.timeout)
        except KafkaUnreachable as error:
            if self.unreachable is None:
                log.warning("Kafka unreachable, not ready until it answers: %s", error)
            self.unreachable = str(error)
            return
        if self.unreachable is not None:
            log.info("Kafka answers again")
        self.unreachable = None


async def _contact(kafka: KafkaConnection, server: str, timeout: float) -> str | None:
    """Why ``server`` cannot be used (None: it can); raises ``KafkaUnreachable`` for a cause that the
    other servers of the cluster would share (credentials, trust)."""
    host, _, port = server.rpartition(":")
    try:
        connection = await asyncio.wait_for(
            create_conn(host, int(port), request_timeout_ms=int(timeout * 1000), **kafka.security_options()),
            timeout,
        )
    except SaslAuthenticationFailed:
        raise KafkaUnreachable(
            f"Kafka at {server} refused the credentials of {kafka.sasl_username!r} ({kafka.sasl_mechanism}): "
            "check STOREMON_KAFKA_SASL_USERNAME and STOREMON_KAFKA_SASL_PASSWORD",
            lasting=True,
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise KafkaUnreachable(
            f"the TLS certificate of Kafka at {server} is not trusted ({error.verify_message}): set "
            "STOREMON_KAFKA_SSL_CAFILE to the certificate of the authority that signed it",
            lasting=True,
        ) from None
    except ssl.SSLError as error:
        return f"{server}: TLS failed ({error.reason or error})"
    except TimeoutError:
        return f"{server}: no answer within {timeout:.0f} s"
    except KafkaConnectionError:
        expected = kafka.security_protocol
        return f"{server} closed the connection (does it expect another protocol than {expected}?)"
    except OSError as error:
        return f"{server}: {error.strerror or error}"
    except KafkaError as error:
        return f"{server}: {type(error).__name__}"
    connection.close()
    return None
