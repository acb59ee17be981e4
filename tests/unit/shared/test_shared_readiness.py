"""``/readyz`` says what is wrong in words, never with an internal error's text."""

from __future__ import annotations

import httpx

from services.screening.app import build_service
from services.screening.settings import ScreeningSettings
from shared.web import http_app


async def test_readiness_names_the_problem_without_the_exception(tmp_path) -> None:
    service = build_service(ScreeningSettings(database_url=f"sqlite:///{tmp_path / 'missing' / 'x' / 's.db'}",
                                              var_dir=tmp_path, kafka={"bootstrap_servers": "127.0.0.1:1"}))

    async def broken() -> None:
        raise OSError("could not connect to postgresql://user:secret@db/screening: 1801064508920003")

    service.db.ping = broken
    service.processors[0].failing_since = 1.0
    app = http_app(service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        answer = await client.get("/readyz")
    body = answer.json()
    assert answer.status_code == 503 and body["problems"]["database"] == "database unreachable"
    assert body["problems"]["broker"] == "broker unreachable"
    assert body["problems"]["consumer"].startswith("waiting for the database: ")
    assert "secret" not in answer.text and "1801064508920003" not in answer.text and "Error" not in answer.text
    await service.db.dispose()
