"""How to reach a Kafka cluster: its bootstrap servers, and the TLS and SASL settings it asks for.

One ``KafkaConnection`` is made from the settings (or the command line) and handed to every client the
product makes (``clients``), so all of them connect the same way. The password is a ``SecretStr``:
it shows as ``**********`` wherever the connection is printed, logged or raised with.
"""

from __future__ import annotations

import ssl
from enum import StrEnum
from pathlib import Path
from typing import Any

import faust
from aiokafka.helpers import create_ssl_context
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator


class SecurityProtocol(StrEnum):
    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"

    @property
    def tls(self) -> bool:
        return self in (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL)

    @property
    def sasl(self) -> bool:
        return self in (SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL)


class SaslMechanism(StrEnum):
    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


class KafkaConnection(BaseModel):
    """Bootstrap servers and security settings; an incomplete set is refused, naming what is missing."""

    model_config = ConfigDict(frozen=True)

    bootstrap: str
    security_protocol: SecurityProtocol = SecurityProtocol.PLAINTEXT
    sasl_mechanism: SaslMechanism = SaslMechanism.PLAIN
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    @model_validator(mode="after")
    def _complete(self) -> KafkaConnection:
        protocol = self.security_protocol
        if protocol.sasl and (not self.sasl_username or self.sasl_password is None):
            raise ValueError(f"{protocol} needs a SASL username and password")
        if self.ssl_keyfile is not None and self.ssl_certfile is None:
            raise ValueError("an SSL key file needs its certificate file")
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path: Path | None = getattr(self, name)
            if path is not None and not protocol.tls:
                raise ValueError(f"{name} is set but {protocol} does not use TLS")
            if path is not None and not path.is_file():
                raise ValueError(f"{name} {path} is not a readable file")
        return self

    @property
    def servers(self) -> list[str]:
        return [server.strip() for server in self.bootstrap.split(",") if server.strip()]

    @property
    def ssl_context(self) -> ssl.SSLContext | None:
        """A TLS context for a client: the CA file's certificates trusted (the system's without one),
        the client certificate presented when one is given."""
        if not self.security_protocol.tls:
            return None
        context: ssl.SSLContext = create_ssl_context(
            cafile=None if self.ssl_cafile is None else str(self.ssl_cafile),
            certfile=None if self.ssl_certfile is None else str(self.ssl_certfile),
            keyfile=None if self.ssl_keyfile is None else str(self.ssl_keyfile),
        )
        return context

    def client_options(self) -> dict[str, Any]:
        """What every aiokafka client (producer, consumer, admin) is made with."""
        return {"bootstrap_servers": self.servers, **self.security_options()}

    def security_options(self) -> dict[str, Any]:
        """How a connection to any one server is secured, as aiokafka names the options."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol.value}
        if self.security_protocol.tls:
            options["ssl_context"] = self.ssl_context
        if self.security_protocol.sasl:
            options["sasl_mechanism"] = self.sasl_mechanism.value
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.secret()
        return options

    def faust_settings(self) -> dict[str, Any]:
        """The Faust app's ``broker`` and ``broker_credentials`` settings."""
        credentials: faust.types.auth.CredentialsT | None = None
        if self.security_protocol.sasl:
            credentials = faust.SASLCredentials(
                username=self.sasl_username,
                password=self.secret(),
                ssl_context=self.ssl_context,
                mechanism=self.sasl_mechanism.value,
            )
        elif self.security_protocol.tls:
            credentials = faust.SSLCredentials(self.ssl_context)
        return {"broker": [f"kafka://{server}" for server in self.servers], "broker_credentials": credentials}

    def secret(self) -> str | None:
        return None if self.sasl_password is None else self.sasl_password.get_secret_value()
