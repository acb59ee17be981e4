"""Settings: DATABASE_URL normalisation and default, Kafka address alias, default ports."""

from __future__ import annotations

import pytest

from shared.settings import (
    DEFAULT_PORTS,
    EMBEDDED_BOOTSTRAP,
    KafkaSettings,
    ServiceSettings,
    normalise_database_url,
)

ENV_NAMES = (
    "DATABASE_URL", "JEJARING_DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "JEJARING_KAFKA_BOOTSTRAP_SERVERS",
    "JEJARING_PORT", "JEJARING_SERVICE", "JEJARING_VAR_DIR",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No inherited environment and no stray ``.env``: each test sets what it needs."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db:5432/screening", "postgresql+asyncpg://u:p@db:5432/screening"),
        ("postgresql://u:p@db/screening?sslmode=require", "postgresql+asyncpg://u:p@db/screening?sslmode=require"),
        ("postgresql+asyncpg://u@db/x", "postgresql+asyncpg://u@db/x"),
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
    ],
)
def test_normalise_database_url(url, expected):
    assert normalise_database_url(url) == expected


def test_database_url_env_is_read_without_prefix_and_normalised(clean_env):
    clean_env.setenv("DATABASE_URL", "postgres://jj:secret@pg:5432/referral")
    url = ServiceSettings(service="referral").resolved_database_url()
    assert url == "postgresql+asyncpg://jj:secret@pg:5432/referral"


def test_prefixed_database_url_env_also_works(clean_env):
    clean_env.setenv("JEJARING_DATABASE_URL", "postgresql://pg/dash")
    assert ServiceSettings(service="dashboard").resolved_database_url() == "postgresql+asyncpg://pg/dash"


def test_default_database_is_sqlite_under_var_dir_named_after_service(tmp_path):
    settings = ServiceSettings(service="screening", var_dir=tmp_path / "var")
    expected = tmp_path.resolve() / "var" / "screening.db"
    assert settings.resolved_database_url() == f"sqlite+aiosqlite:///{expected}"


def test_default_var_dir_is_relative_to_the_working_directory(tmp_path):
    assert ServiceSettings(service="referral").resolved_database_url() == (
        f"sqlite+aiosqlite:///{tmp_path.resolve() / 'var' / 'referral.db'}"
    )


def test_kafka_bootstrap_servers_env_alias(clean_env):
    clean_env.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    assert KafkaSettings().bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    settings = ServiceSettings(service="screening")
    assert settings.kafka.bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert not settings.kafka.embedded
    assert settings.kafka.client_options()["bootstrap_servers"] == "kafka-1:9092,kafka-2:9092"


def test_prefixed_kafka_env_also_works(clean_env):
    clean_env.setenv("JEJARING_KAFKA_BOOTSTRAP_SERVERS", "broker:19092")
    assert KafkaSettings().bootstrap_servers == "broker:19092"


def test_kafka_defaults_to_embedded_broker():
    kafka = KafkaSettings()
    assert kafka.bootstrap_servers == EMBEDDED_BOOTSTRAP and kafka.embedded


@pytest.mark.parametrize(
    ("service", "port"),
    [("dashboard", 8000), ("registration", 8001), ("screening", 8002), ("referral", 8003), ("surveillance", 8004)],
)
def test_default_port_per_service(service, port):
    assert DEFAULT_PORTS[service] == port
    assert ServiceSettings(service=service).port == port


def test_unknown_service_gets_fallback_port():
    assert ServiceSettings(service="worker").port == 8080


def test_explicit_port_wins(clean_env):
    assert ServiceSettings(service="screening", port=9100).port == 9100
    clean_env.setenv("JEJARING_PORT", "9200")
    assert ServiceSettings(service="screening").port == 9200
