"""shared.operations.status: the table and the JSON of ``jejaring status`` from collected statuses."""

from __future__ import annotations

import json

from shared.operations.status import as_json, render, service_url


def statuses() -> list[dict]:
    return [
        {"service": "registration", "url": "http://127.0.0.1:8001", "ready": "ready", "problems": {},
         "outbox": {"backlog": 3, "oldest_unsent_age_seconds": 125.0},
         "consumer": {"group": "registration", "lag": 7, "partitions": [
             {"topic": "ilp.intake.visit.v1", "partition": 0, "committed": 10, "end": 12, "lag": 2},
             {"topic": "ilp.intake.visit.v1", "partition": 1, "committed": None, "end": 5, "lag": 5}]},
         "dlq": [{"topic": "ilp.intake.visit.v1.registration.dlq", "depth": 4}],
         "last_applied": [{"topic": "ilp.intake.visit.v1", "at": "2026-12-01T12:00:00+00:00", "age_seconds": 30.0}],
         "errors": {}},
        {"service": "screening", "url": "http://127.0.0.1:8002", "ready": "down",
         "problems": {"http": "no answer at http://127.0.0.1:8002 (ConnectError)"},
         "outbox": None, "consumer": None, "dlq": None,
         "last_applied": [{"topic": "ilp.visit.recorded.v1", "at": None, "age_seconds": None}],
         "errors": {"database": "database unreachable (OperationalError: …)", "broker": "broker unreachable (…)"}},
    ]


def test_the_table_has_one_line_per_service_then_the_details_and_the_problems() -> None:
    lines = render(statuses()).splitlines()
    assert lines[0] == "SERVICES"
    assert lines[1].split() == ["service", "ready", "lag", "outbox", "oldest", "unsent", "dlq", "last", "applied"]
    assert lines[2].split() == ["registration", "ready", "7", "3", "2", "min", "4", "30", "s", "ago"]
    assert lines[3].split() == ["screening", "down", "?", "?", "?", "?", "-"]
    text = "\n".join(lines)
    assert "registration  ilp.intake.visit.v1    7  0:2 1:5" in text
    assert "ilp.intake.visit.v1.registration.dlq      4" in text
    assert "screening: http: no answer at http://127.0.0.1:8002 (ConnectError)" in text
    assert "screening: database: database unreachable" in text and "screening: broker: broker unreachable" in text


def test_json_is_the_statuses_as_collected() -> None:
    assert json.loads(as_json(statuses())) == {"services": statuses()}


def test_service_urls_come_from_the_environment_or_the_default_ports() -> None:
    assert service_url("referral", {}) == "http://127.0.0.1:8003"
    assert service_url("referral", {"JEJARING_REFERRAL_URL": "http://referral:8003/"}) == "http://referral:8003"
