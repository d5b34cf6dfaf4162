"""Configuration from the environment (``STOREMON_*``) or a ``.env`` file, with safe defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alerts.channels import channel_urls
from alerts.webhooks import WebhookFormat
from connectors.kafka import KafkaConnection, SaslMechanism, SecurityProtocol
from streams.engine import DEFAULT_RETENTION, HOUR, MINUTE, SECOND
from streams.engine.history import DEFAULT_HISTORY_DAYS
from streams.engine.instants import MAX_FUTURE, ClockMode, EventTimeGuard
from streams.engine.silences import DEFAULT_SILENCE
from streams.topics import Topics

# The connection's settings besides the servers: STOREMON_KAFKA_<NAME> is its <name>.
KAFKA_SETTINGS = (
    "security_protocol",
    "sasl_mechanism",
    "sasl_username",
    "sasl_password",
    "ssl_cafile",
    "ssl_certfile",
    "ssl_keyfile",
)


class Settings(BaseSettings):
    """Every knob of the worker, the API and the replay; the README's configuration table lists them."""

    model_config = SettingsConfigDict(env_prefix="STOREMON_", env_file=".env", extra="ignore")

    broker: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, host:port[,host:port]")
    kafka_security_protocol: SecurityProtocol = Field(
        SecurityProtocol.PLAINTEXT, description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        SaslMechanism.PLAIN, description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"
    )
    kafka_sasl_username: str | None = Field(None, description="the SASL user")
    kafka_sasl_password: SecretStr | None = Field(None, description="the SASL user's password")
    kafka_ssl_cafile: Path | None = Field(
        None, description="PEM file of the certificates to trust (default: the system's)"
    )
    kafka_ssl_certfile: Path | None = Field(None, description="PEM client certificate, for mutual TLS")
    kafka_ssl_keyfile: Path | None = Field(None, description="PEM key of the client certificate")
    max_future_seconds: float = Field(
        MAX_FUTURE / SECOND,
        ge=0,
        description="how far after the receiving clock a ping may be stamped; later ones are refused",
    )
    clock: ClockMode = Field(
        ClockMode.EVENT,
        description="now of lookups, the fleet, silence and default reports: event (latest ping) or wall",
    )
    silence_minutes: float = Field(
        DEFAULT_SILENCE / MINUTE,
        gt=0,
        description="minutes without a ping after which a store open for business is silent",
    )
    replication_factor: int | None = Field(
        None, ge=1, description="replicas of every topic (default: 3, or every broker when fewer)"
    )
    app_id: str = Field(
        "storemon", description="the worker's Kafka consumer group (and table changelog prefix)"
    )
    topic_prefix: str = Field("storemon", description="prefix of the pings, profiles and rejects topics")
    partitions: int = Field(
        8, ge=1, description="partitions of the pings and profiles topics and of the tables"
    )
    data_dir: Path = Field(Path(".storemon"), description="RocksDB tables and finished reports")
    api_host: str = Field("127.0.0.1", description="address the HTTP API binds to")
    api_port: int = Field(8000, ge=1, le=65_535, description="port of the HTTP API")
    advertised_url: str | None = Field(
        None, description="URL other workers reach this one at (default: http://api_host:api_port)"
    )
    api_token: SecretStr | None = Field(
        None, description="when set, /api routes need 'Authorization: Bearer <token>'"
    )
    public_status: bool = Field(
        False, description="stores' public status pages (/status/<id>) answered without the API token"
    )
    log_level: str = Field("INFO", description="log level of the worker's JSON logs")
    retention_hours: int = Field(
        DEFAULT_RETENTION // HOUR, ge=7 * 24, description="hours of pings kept per store"
    )
    history_days: int = Field(
        DEFAULT_HISTORY_DAYS, ge=0, description="dates of daily history kept per store (0: none kept)"
    )

    standby_replicas: int = Field(
        0,
        ge=0,
        description="standby copies of each table partition kept warm on other workers, for faster failover",
    )
    ingest_max_pings: int = Field(
        10_000, ge=1, description="most pings one POST /api/pings request may carry (more: 413)"
    )
    outages: bool = Field(
        True,
        description="derive outages and silences as pings arrive and publish them (off: uptime state only)",
    )
    events_heartbeat_seconds: float = Field(
        15.0, gt=0, description="seconds of silence on /api/events before a heartbeat comment"
    )
    webhook_url: str | None = Field(
        None, description="when set, every outage opening and closing is POSTed here, at least once"
    )
    webhook_secret: SecretStr | None = Field(
        None, description="signs each webhook: X-Storemon-Signature: t=<unix>,v1=<HMAC-SHA256 of t.body>"
    )
    webhook_retry_max_seconds: float = Field(
        60.0, gt=0, description="longest wait between two attempts at a webhook (doubling from 0.5 s)"
    )
    webhook_format: WebhookFormat = Field(
        WebhookFormat.JSON, description="json (the outage notice) or slack ({'text': ...})"
    )
    notify_urls: str = Field(
        "",
        description="Apprise URLs (space- or comma-separated), each a channel told of outages and silences",
    )
    notify_after_minutes: float = Field(
        0.0, ge=0, description="business minutes of downtime before an outage is notified (its closing too)"
    )
    notify_retry_max_seconds: float = Field(
        60.0, gt=0, description="longest wait between two attempts at a channel (doubling from 0.5 s)"
    )
    public_url: str | None = Field(
        None, description="the dashboard's address as people reach it, for links in notifications"
    )
    report_retention_hours: float = Field(
        168, gt=0, description="hours a finished report is kept before it is deleted everywhere"
    )
    report_processes: int = Field(
        2,
        ge=1,
        description="processes a report or listing is computed in, each reading a share of the partitions",
    )
    broker_wait_seconds: float = Field(
        60.0, ge=0, description="how long a starting worker waits for Kafka to answer before it gives up"
    )
    ingest_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=120,
        description="how long live input waits for the broker's acknowledgement before answering 503",
    )
    listing_refresh_seconds: float = Field(
        10.0,
        gt=0,
        description="seconds between background gatherings of the fleet and its outages at the watermark",
    )

    @field_validator(
        "api_token",
        "webhook_url",
        "webhook_secret",
        "public_url",
        "kafka_sasl_username",
        "kafka_sasl_password",
        "kafka_ssl_cafile",
        "kafka_ssl_certfile",
        "kafka_ssl_keyfile",
        mode="before",
    )
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("notify_urls")
    @classmethod
    def _channels_usable(cls, value: str) -> str:
        channel_urls(value)
        return value

    @property
    def notify_channels(self) -> list[str]:
        return channel_urls(self.notify_urls)

    @model_validator(mode="after")
    def _connection_complete(self) -> Settings:
        try:
            self.kafka  # noqa: B018 (built to be checked)
        except ValidationError as error:
            raise ValueError(
                "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
            ) from None
        return self

    @property
    def kafka(self) -> KafkaConnection:
        """How every Kafka client of the product reaches the cluster."""
        return KafkaConnection(
            bootstrap=self.broker, **{name: getattr(self, f"kafka_{name}") for name in KAFKA_SETTINGS}
        )

    @property
    def guard(self) -> EventTimeGuard:
        """What every door refuses as ``from_the_future``."""
        return EventTimeGuard(allowance=int(self.max_future_seconds * SECOND))

    @property
    def canonical_url(self) -> str:
        return (self.advertised_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def silence(self) -> int:
        return round(self.silence_minutes * MINUTE)

    @property
    def retention(self) -> int:
        return self.retention_hours * HOUR

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.topic_prefix)


def kafka_environment(kafka: KafkaConnection) -> dict[str, str]:
    """The ``STOREMON_*`` variables that give another process the same connection."""
    found = {"STOREMON_BROKER": kafka.bootstrap}
    for name in KAFKA_SETTINGS:
        value = getattr(kafka, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None:
            found[f"STOREMON_KAFKA_{name.upper()}"] = str(value)
    return found
