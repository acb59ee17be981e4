"""``jejaring rebuild dashboard`` re-reading the topics itself gives exactly the live path's numbers.

Two dashboards, each with its own broker and database (SQLite, and PostgreSQL when marked), get the
same records: one only through its live consumer, the other rebuilt by the command while more
records (new visits and redeliveries) keep arriving. Their ``/v1/pws`` answers must be equal —
with duplicates of every kind in the history (the same record twice, the same visit under a new
CloudEvent id, a person measured twice in a month, a provisional id linked) — and stay equal after
a rebuild killed half-way and resumed, and (PostgreSQL) a rebuild by two processes.
"""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from shared.contracts.events import PersonLinked
from shared.envelope import KafkaRecord
from tests.browser.dashboard_kit import (
    DISTRICT,
    JONDONG,
    MAJA,
    NATAR_VILLAGE,
    PUSKESMAS,
    TENGKUJUH,
    WIB,
    DashboardSystem,
    adult_visit,
    child_screened,
    network,
    referral,
    targets,
)
from tests.dates import in_month, previous_month
from tests.integration.harness import ROOT, Postgres

NOW = in_month(datetime.now(WIB), timedelta(minutes=5))
THIS = NOW.strftime("%Y-%m")
LAST_AT = previous_month(NOW)
LAST = LAST_AT.strftime("%Y-%m")
VILLAGES = (JONDONG, TENGKUJUH, MAJA, NATAR_VILLAGE)
ENV = {"JEJARING_CHANGE_POLL_SECONDS": "0.5", "JEJARING_REWIND_CHECK_SECONDS": "0.5"}


def history(rng: random.Random, persons: int, tag: str) -> list:
    """Visits of ``persons`` adults (some measured twice this month, some last month too), children,
    referrals, and a provisional child id linked to its own."""
    events: list = []
    for i in range(persons):
        person = f"{tag}_{i}"
        village = rng.choice(VILLAGES)
        events.append(adult_visit(village, NOW - timedelta(hours=rng.randint(1, 48)), person=person,
                                  systolic=rng.randint(110, 175), diastolic=rng.randint(70, 100)))
        if i % 5 == 0:  # measured again this month: the latest measurement counts
            events.append(adult_visit(village, NOW - timedelta(minutes=rng.randint(1, 50)), person=person,
                                      systolic=rng.randint(110, 175), diastolic=80))
        if i % 7 == 0:
            events.append(adult_visit(village, LAST_AT, person=person, systolic=150, diastolic=95))
    for i in range(persons // 10):
        stunted = rng.random() < 0.3
        events.append(child_screened(rng.choice(VILLAGES), NOW - timedelta(hours=3), lhfa=-2.6 if stunted else 0.2,
                                     stunted=stunted, person=f"{tag}_prov_{i}" if i % 4 == 0 else None))
    for i in range(persons // 20):
        events += referral(rng.choice(VILLAGES), NOW - timedelta(hours=5), status=rng.choice([None, "completed", "overdue"]))
    events += [PersonLinked(person_id=f"{tag}_own_{i}", previous_person_id=f"{tag}_prov_{i}", linked_at=NOW)
               for i in range(0, persons // 10, 4)]
    return events


def redelivered(records: list[KafkaRecord], rng: random.Random, n: int) -> list[KafkaRecord]:
    """``n`` records sent again: half as they were, half re-encoded under a new CloudEvent id
    (a replayed producer: only the natural key tells it is the same event)."""
    chosen = rng.sample(records, n)
    again = []
    for k, record in enumerate(chosen):
        if k % 2 == 0:
            again.append(record)
        else:
            headers = tuple((name, str(uuid.uuid4()).encode() if name == "ce_id" else value)
                            for name, value in record.headers)
            again.append(KafkaRecord(topic=record.topic, key=record.key, value=record.value, headers=headers))
    return again


class Pair:
    """Two dashboards fed the same records: ``live`` only consumes, ``rebuilt`` is rebuilt."""

    def __init__(self, live: DashboardSystem, rebuilt: DashboardSystem) -> None:
        self.live, self.rebuilt = live, rebuilt

    def send(self, records: list[KafkaRecord]) -> None:
        self.live.send(records)
        self.rebuilt.send(records)


def snapshot(dash: DashboardSystem) -> str | None:
    answers = [dash.get("/v1/pws", dash.district, region=region, period=period)
               for region, period in ((DISTRICT, THIS), (DISTRICT, LAST), (PUSKESMAS, THIS))]
    if any(a.status_code != 200 for a in answers):
        return None
    return json.dumps([{"total": {k: v for k, v in d["total"].items() if k != "last_event_at"},
                        "rows": [{k: v for k, v in r.items() if k != "last_event_at"} for r in d["rows"]]}
                       for d in (a.json() for a in answers)], sort_keys=True)


def settled(dash: DashboardSystem, timeout: float = 90.0) -> str:
    """The dashboard's numbers once they stopped changing (the same answer 2 s apart)."""
    deadline = time.monotonic() + timeout
    last = snapshot(dash)
    while True:
        time.sleep(2.0)
        now = snapshot(dash)
        if now is not None and now == last:
            return now
        assert time.monotonic() < deadline, "the dashboard's numbers never settled"
        last = now


def rebuild_process(dash: DashboardSystem, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "services.cli", "rebuild", "dashboard", *args],
                            env={**dash.system.command_env(), "JEJARING_PROGRESS": "plain"}, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    postgres = [Postgres(), Postgres()] if request.param == "postgres" else []
    urls = [pg.start() for pg in postgres] or [None, None]
    systems = [DashboardSystem(tmp_path_factory.mktemp(f"rebuild-{name}-{request.param}"), database_url=url, env=ENV)
               for name, url in zip(("live", "rebuilt"), urls)]
    try:
        for dash in systems:
            dash.start()
            dash.publish([*network(), *targets(NOW.year), *targets(LAST_AT.year)])
            dash.district = dash.token(DISTRICT)
        yield Pair(*systems)
    finally:
        for dash in systems:
            dash.stop()
        for pg in postgres:
            pg.stop()


def test_rebuild_by_the_command_gives_the_live_numbers(pair: Pair) -> None:
    rng = random.Random(20261201)
    first = pair.live.records(history(rng, 600, "a"))
    pair.send(first + redelivered(first, rng, 300))
    before = settled(pair.live)
    assert settled(pair.rebuilt) == before  # the same records, the same live path

    later = pair.live.records(history(rng, 300, "b"))
    during = later + redelivered(first, rng, 200)
    rng.shuffle(during)
    command = rebuild_process(pair.rebuilt)
    for start in range(0, len(during), 100):  # new events and redeliveries while the rebuild runs
        pair.send(during[start:start + 100])
        time.sleep(0.05)
    out, err = command.communicate(timeout=180)
    assert command.returncode == 0, err
    assert "rebuild generation 1" in out and "0 skipped" in out, out
    expected = settled(pair.live)
    assert expected != before
    assert settled(pair.rebuilt) == expected

    # Killed half-way, then resumed: still exactly the live numbers.
    command = rebuild_process(pair.rebuilt, "--batch", "100")
    time.sleep(4.0)
    command.send_signal(signal.SIGKILL)
    command.communicate(timeout=30)
    resumed = rebuild_process(pair.rebuilt, "--resume")
    out, err = resumed.communicate(timeout=180)
    if resumed.returncode != 0:  # killed before it recorded its partitions: start again
        assert "no rebuild to resume" in err, err
        out, err = rebuild_process(pair.rebuilt).communicate(timeout=180)
    assert "rebuild generation" in out, (out, err)
    assert settled(pair.rebuilt) == expected

    if pair.rebuilt.system.database_url:  # PostgreSQL: the partitions re-read by two processes
        out, err = rebuild_process(pair.rebuilt, "--processes", "2", "--batch", "500").communicate(timeout=180)
        reread = int(re.search(r"([\d,]+) events of", out).group(1).replace(",", ""))
        assert "0 skipped" in out and reread >= len(first) + 300 + len(during), (out, err)
        assert settled(pair.rebuilt) == expected
    else:
        command = rebuild_process(pair.rebuilt, "--processes", "2")
        assert command.wait(timeout=60) == 1 and "needs PostgreSQL" in command.stderr.read()
