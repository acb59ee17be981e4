"""Automatic replay after broker loss: the topics first, then the outbox; a failed step stays pending."""

from __future__ import annotations

import pytest

from services.screening.app import build_service
from services.screening.settings import ScreeningSettings
from shared import service as service_mod
from shared.envelope import KafkaRecord


async def test_a_replay_whose_topics_cannot_be_created_yet_stays_pending(tmp_path, monkeypatch) -> None:
    service = build_service(ScreeningSettings(database_url=f"sqlite:///{tmp_path / 's.db'}", var_dir=tmp_path,
                                              kafka={"bootstrap_servers": "127.0.0.1:1"}))
    await service.migrate()
    async with service.db.session() as session, session.begin():
        await service.outbox.add(session, [(f"e{n}", KafkaRecord(topic="ilp.t.v1", key=b"k", value=b"v"))
                                           for n in range(3)])

    async def published(records) -> None:
        return None

    assert await service.outbox.relay_once(published, 10) == 3
    created: list[list[str]] = []
    broker_up = False

    async def ensure_topics(settings, topics) -> list[str]:
        if not broker_up:
            raise ConnectionError("broker still starting")
        created.append([name for name, _, _ in topics])
        return []

    monkeypatch.setattr(service_mod, "ensure_topics", ensure_topics)
    await service.replay_if_log_lost()
    assert created == [] and await service.outbox.backlog() == 0  # nothing lost: nothing to replay

    service._on_log_lost("ilp.t.v1", 0)
    with pytest.raises(ConnectionError):
        await service.replay_if_log_lost()
    assert await service.outbox.backlog() == 0

    broker_up = True
    await service.replay_if_log_lost()
    assert created == [[name for name, _, _ in service.topics()]]
    assert await service.outbox.backlog() == 3
    await service.replay_if_log_lost()
    assert len(created) == 1  # done once
    await service.db.dispose()
