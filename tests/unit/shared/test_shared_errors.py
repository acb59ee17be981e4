"""Error texts that leave a process (dead letters, logs, answers) name the problem, not the values."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert
from sqlalchemy.exc import IntegrityError

from shared.db import Database
from shared.errors import safe_reason
from shared.logging import configure_logging
from shared.unit import Reject

NIK = "1801064508920003"


async def test_a_database_error_keeps_its_kind_but_not_the_statement_s_values(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    metadata = MetaData()
    people = Table("people", metadata, Column("nik", String(16), primary_key=True), Column("name", String(50)))
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(people).values(nik=NIK, name="Siti Aminah"))
    with pytest.raises(IntegrityError) as caught:
        async with db.engine.begin() as conn:
            await conn.execute(insert(people).values(nik=NIK, name="Siti Aminah"))
    assert NIK not in str(caught.value) and "Siti" not in str(caught.value)  # hide_parameters on every engine
    reason = safe_reason(caught.value)
    assert reason.startswith("IntegrityError: UNIQUE constraint failed") and NIK not in reason
    await db.dispose()


@pytest.mark.parametrize("text", [
    f'duplicate key value violates unique constraint "uq_persons_nik"\nDETAIL:  Key (nik)=({NIK}) already exists.',
    f"KeyError: '{NIK}'",
    f"invalid value 'Siti Aminah' for {NIK}",
    "Key (nik, name)=(1801064508920003, Siti) already exists.",
])
def test_values_are_scrubbed_from_any_exception(text: str) -> None:
    reason = safe_reason(ValueError(text))
    assert NIK not in reason and "Siti" not in reason and reason.startswith("ValueError")


def test_the_project_s_own_reasons_pass_unchanged() -> None:
    assert safe_reason(Reject("unexpected event type 'x'")) == "unexpected event type 'x'"


def test_every_log_line_masks_nik_shaped_digits(capsys) -> None:
    configure_logging("test", json=True)
    logging.getLogger("t").warning("looked up %s", NIK, extra={"detail": f"nik={NIK}", "visit": "1234"})
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert NIK not in json.dumps(line) and line["detail"] == "nik=" + "#" * 16 and line["visit"] == "1234"


def test_topics_kept_longer_than_the_inbox_remembers_are_named() -> None:
    from shared.messaging.kafka import retention_problems

    month = 30 * 24 * 3_600_000
    retentions = {"a.v1": 7 * 24 * 3_600_000, "b.v1": -1, "c.v1": None, "d.v1": month + 1, "e.v1": month}
    assert retention_problems(retentions, month) == ["b.v1 keeps events forever", "d.v1 keeps events 720 h"]
