"""How a connection to a cluster is described to aiokafka and to Faust, and refused when incomplete."""

from __future__ import annotations

from pathlib import Path

import certifi
import faust
import pytest
from pydantic import SecretStr, ValidationError

from connectors.kafka import KafkaConnection, SaslMechanism, SecurityProtocol


def test_plaintext_is_servers_only() -> None:
    kafka = KafkaConnection(bootstrap="a:9092, b:9092")
    assert kafka.client_options() == {
        "bootstrap_servers": ["a:9092", "b:9092"],
        "security_protocol": "PLAINTEXT",
    }
    assert kafka.faust_settings() == {
        "broker": ["kafka://a:9092", "kafka://b:9092"],
        "broker_credentials": None,
    }
    assert kafka.ssl_context is None


def test_sasl_over_tls_carries_the_user_the_mechanism_and_a_context_trusting_the_ca() -> None:
    ca = Path(certifi.where())  # a real bundle of authorities, read here as the ones to trust
    kafka = KafkaConnection(
        bootstrap="a:9093",
        security_protocol=SecurityProtocol.SASL_SSL,
        sasl_mechanism=SaslMechanism.SCRAM_SHA_512,
        sasl_username="monitor",
        sasl_password=SecretStr("pw-1"),
        ssl_cafile=ca,
    )
    options = kafka.client_options()
    assert (options["security_protocol"], options["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("monitor", "pw-1")
    assert options["ssl_context"].get_ca_certs()  # the CA file's certificate is trusted
    credentials = kafka.faust_settings()["broker_credentials"]
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.protocol.value, credentials.mechanism.value) == ("SASL_SSL", "SCRAM-SHA-512")
    assert "pw-1" not in repr(kafka) and "pw-1" not in str(kafka)


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"security_protocol": "SASL_SSL"}, "needs a SASL username and password"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_username": "u"}, "needs a SASL username and password"),
        ({"ssl_cafile": "/etc/hostname"}, "does not use TLS"),
        ({"security_protocol": "SSL", "ssl_cafile": "/no/such/ca.pem"}, "is not a readable file"),
        ({"security_protocol": "SSL", "ssl_keyfile": "/etc/hostname"}, "needs its certificate file"),
        ({"security_protocol": "TLS"}, "PLAINTEXT"),
    ],
)
def test_an_incomplete_connection_is_refused_naming_what_is_missing(
    settings: dict[str, str], reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        KafkaConnection(bootstrap="a:9093", **settings)
