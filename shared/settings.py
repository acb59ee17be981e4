"""Settings with pydantic-settings: environment (prefix ``JEJARING_``) or a ``.env`` file.

Settings objects are built by the app factory, never at import time; tests build their own.
``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` are read without the prefix, as the contract says.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("registration", "screening", "referral", "surveillance", "dashboard")
DEFAULT_PORTS = {"dashboard": 8000, "registration": 8001, "screening": 8002, "referral": 8003, "surveillance": 8004}
EMBEDDED_BOOTSTRAP = "127.0.0.1:9092"


class KafkaSettings(BaseSettings):
    """How to reach the broker: the embedded Tansu by default, any real Kafka by environment."""

    model_config = SettingsConfigDict(env_prefix="JEJARING_KAFKA_", env_file=".env", extra="ignore")

    bootstrap_servers: str = Field(
        default=EMBEDDED_BOOTSTRAP,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "JEJARING_KAFKA_BOOTSTRAP_SERVERS"),
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    # Tansu cannot do InitProducerId; Apache Kafka can (see docs/architecture.md).
    enable_idempotence: bool = False
    default_partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    max_request_size: int = 4 * 1024 * 1024

    def client_options(self) -> dict:
        """Keyword arguments shared by aiokafka producers, consumers and admin clients."""
        options: dict = {"bootstrap_servers": self.bootstrap_servers, "security_protocol": self.security_protocol}
        if self.sasl_mechanism:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password.get_secret_value() if self.sasl_password else None
        if self.security_protocol in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(
                cafile=str(self.ssl_cafile) if self.ssl_cafile else None,
                certfile=str(self.ssl_certfile) if self.ssl_certfile else None,
                keyfile=str(self.ssl_keyfile) if self.ssl_keyfile else None,
            )
        return options

    @property
    def embedded(self) -> bool:
        """True when the embedded broker is meant (the default address)."""
        return self.bootstrap_servers == EMBEDDED_BOOTSTRAP


class ServiceSettings(BaseSettings):
    """What every service needs. Each service subclasses it with its own fields."""

    model_config = SettingsConfigDict(env_prefix="JEJARING_", env_file=".env", extra="ignore")

    service: str = "service"
    environment: Literal["local", "test", "production"] = "local"
    host: str = "127.0.0.1"
    port: int | None = None
    var_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "JEJARING_DATABASE_URL")
    )
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL"] = "NORMAL"
    # SQLite statements on the event loop itself (see shared/db.py); off: aiosqlite's worker thread.
    sqlite_inline: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    outbox_batch_size: int = Field(default=2000, ge=1)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_retention_hours: float = Field(default=24 * 7, gt=0)
    consumer_max_records: int = Field(default=1000, ge=1)
    consumer_batch_timeout_ms: int = Field(default=20, ge=0)
    # How long the broker may hold an empty fetch open. Measured on Tansu (docs/performance.md):
    # a record produced while a fetch waits arrives ~16 ms later with 100 ms and ~115 ms with
    # 500 ms (it re-checks the log within the wait, not at once); every empty fetch costs broker
    # and client CPU, so 25 ms burned 2.5x the idle CPU of 100 ms.
    consumer_fetch_max_wait_ms: int = Field(default=100, ge=1)
    # The consumer group's session (aiokafka's defaults): a member silent this long is dropped and its
    # partitions go to the others, a killed process's among them. Tansu holds every JoinGroup for half
    # the session, so a service's start waits that long for its partitions.
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1)
    consumer_heartbeat_interval_ms: int = Field(default=3_000, ge=1)
    handler_max_attempts: int = Field(default=3, ge=1)
    retry_base_seconds: float = Field(default=0.2, gt=0)
    retry_max_seconds: float = Field(default=10.0, gt=0)
    inbox_retention_hours: float = Field(default=24 * 30, gt=0)
    # Lifetime of a newly issued token (facility, viewer, admin); ``--ttl-days`` on issue overrides it.
    token_ttl_days: float = Field(default=365, gt=0)
    # CPython's generation-0 collection threshold for service processes (default 700).
    gc_threshold: int = Field(default=20_000, ge=100)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)

    @model_validator(mode="after")
    def _defaults(self) -> "ServiceSettings":
        if self.port is None:
            self.port = DEFAULT_PORTS.get(self.service, 8080)
        return self

    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL: ``DATABASE_URL`` or a SQLite file under ``var/``."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        path = (self.var_dir / f"{self.service}.db").resolve()
        return f"sqlite+aiosqlite:///{path}"


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://``/``postgresql://``/``sqlite://`` URLs and pick the async drivers."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


def service_env(service: str, base: Mapping[str, str]) -> dict[str, str]:
    """The environment one service (or a command acting on its database) runs with.

    ``JEJARING_<SERVICE>_DATABASE_URL`` wins; else a PostgreSQL ``DATABASE_URL`` gets the database
    name suffixed with ``_<service>`` (one database per service, ``jejaring_registration`` …); else
    the service uses its SQLite file under ``var/``. ``jejaring up`` starts each service with it, and
    every command resolves a service's database the same way, in a shell or an admin Job.
    """
    env = dict(base)
    own = base.get(f"JEJARING_{service.upper()}_DATABASE_URL")
    url = base.get("DATABASE_URL")
    if own:
        env["DATABASE_URL"] = own
    elif url and url.startswith(("postgres", "postgresql")):
        head, _, tail = url.rpartition("/")
        name, sep, query = tail.partition("?")
        env["DATABASE_URL"] = f"{head}/{name}_{service}{sep}{query}"
    else:
        env.pop("DATABASE_URL", None)
    return env
