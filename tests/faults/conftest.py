"""The fault and abuse suite's system and report.

One system for the whole suite: the embedded broker, PostgreSQL (so it can be stopped) and the five
services, seeded with two Puskesmas networks in two kecamatan and a token of every kind, valid,
revoked and expired. ``REPORT`` collects what the suite did and found; the table is printed at the
end of the run and written to ``var/fault-report.json`` of the suite's directory.

``JEJARING_FAULTS_LONG=1`` (``make test-faults``) runs the long variant: more kills, longer load,
more generated inputs.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from tests.faults.report import REPORT
from tests.integration.harness import Postgres, System

LONG = os.environ.get("JEJARING_FAULTS_LONG") == "1"
WIB = timezone(timedelta(hours=7))
FACILITIES = """facility_id,name,type,parent_id,village_code,capabilities
RS1801,RSUD Bob Bazar Kalianda,rs,,18.01.06.1007,doctor;emergency;hb_test;glucose_test;ultrasound
PKM180106,Puskesmas Kalianda,puskesmas,RS1801,18.01.06.1007,doctor;hb_test;glucose_test
PST1801062001,Pustu Jondong,pustu,PKM180106,18.01.06.2001,hb_test;glucose_test
PSY1801062001A,Posyandu Mawar Jondong,posyandu,PST1801062001,18.01.06.2001,
PKM180104,Puskesmas Natar,puskesmas,RS1801,18.01.04.2001,doctor;hb_test;glucose_test
PSY1801042001A,Posyandu Melati Hajimena,posyandu,PKM180104,18.01.04.2001,
"""
# Names with the characters real records have, and the strings an attacker tries in any text field.
NAMES = ["Siti Aminah", "Budi Santoso", "Ni Luh Putu Ayu", "Muhammad Ridwan", "Dewi Kartika", "Agus Setiawan",
         "Ratna Sari Dewi", "Yohanes Lede", "Fransiska Kewa", "I Made Wirawan", "Nur Halimah", "Wahyuni",
         "Robert'); DROP TABLE persons;--", "<script>alert('x')</script>", "' OR '1'='1", "${jndi:ldap://x}",
         "Anak Agung Gede Rai", "Maria Goretti Lewar", "Siti Nurjanah", "Dg. Ngai"]


def nik(sex: str, born: date, serial: int, kecamatan: str = "180106") -> str:
    """A structurally valid NIK of Lampung Selatan (day + 40 for women)."""
    day = born.day + (40 if sex == "F" else 0)
    return f"{kecamatan}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


@dataclass
class Person:
    nik: str
    name: str
    sex: str
    birth_date: date
    village: str
    facility: str
    token: str




def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001, ARG001
    if REPORT.inputs or REPORT.faults:
        terminalreporter.write_sep("=", "fault and abuse suite" + (" (long)" if LONG else ""))
        terminalreporter.write_line(REPORT.table())


class Load:
    """Steady simulated load: single visits over HTTP from a pool of persons, a few a second, in a
    thread. Every visit is retried until registration answers it (recorded or duplicate), so a
    visit whose answer a fault swallowed is still known to be accepted exactly once."""

    def __init__(self, system: System, persons: list[Person], rate: float) -> None:
        self.system = system
        self.persons = persons
        self.rate = rate
        self.pending: dict[str, dict] = {}  # sent, not yet answered 202
        self.accepted: dict[str, str] = {}  # visit_id -> period
        self.answers: Counter = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.random = random.Random(7)

    def visit(self) -> tuple[dict, Person]:
        person = self.random.choice(self.persons)
        at = datetime.now(WIB) - timedelta(minutes=self.random.randint(1, 30))
        body = {"visit_id": str(uuid.uuid4()), "facility_id": person.facility, "occurred_at": at.isoformat(),
                "service_point": "posyandu",
                "person": {"nik": person.nik, "name": person.name, "sex": person.sex,
                           "birth_date": person.birth_date.isoformat(), "village_code": person.village},
                "measurements": {"weight_kg": round(self.random.uniform(45, 80), 1), "height_cm": 155,
                                 "systolic_mmhg": self.random.choice([118, 135, 142, 165]), "diastolic_mmhg": 85,
                                 "glucose_mg_dl": self.random.choice([95, 140, 230]), "cough_weeks": self.random.choice([0, 3])}}
        return body, person

    def send(self, body: dict, token: str) -> None:
        try:
            response = httpx.post(self.system.url("registration") + "/v1/visits", json=body, timeout=10,
                                  headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError:
            self.answers["no answer"] += 1
            return
        self.answers[str(response.status_code)] += 1
        if response.status_code == 202 and response.json()["status"] in ("recorded", "duplicate"):
            with self._lock:
                self.pending.pop(body["visit_id"], None)
                self.accepted[body["visit_id"]] = body["occurred_at"][:7]

    def _run(self) -> None:
        while not self._stop.is_set():
            body, person = self.visit()
            with self._lock:
                self.pending[body["visit_id"]] = (body, person.token)
            self.send(body, person.token)
            time.sleep(1 / self.rate)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 180) -> None:
        """Stop sending new visits; retry every unanswered one until registration answers it."""
        self._stop.set()
        self._thread.join()
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline:
            for body, token in list(self.pending.values()):
                self.send(body, token)
            if self.pending:
                time.sleep(1)
        assert not self.pending, f"{len(self.pending)} visits never answered"


@dataclass
class FaultSystem:
    """The running system, its PostgreSQL, the seeded persons and tokens."""

    system: System
    postgres: Postgres
    persons: list[Person]
    tokens: dict[str, str]
    token_ids: dict[str, str]
    responses: list[bytes] = field(default_factory=list)  # bodies answered by non-registration services

    def get(self, service: str, path: str, token: str | None = None, **params) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.get(self.system.url(service) + path, params=params, headers=headers, timeout=15)
        if service != "registration":
            self.responses.append(response.content)
        return response


def _issued(out: str) -> tuple[str, str]:
    """The id and the token ``jejaring token issue`` printed."""
    lines = out.strip().splitlines()
    return lines[-2].removeprefix("id: "), lines[-1]


def _issue(system: System, *args: str) -> tuple[str, str]:
    return _issued(system.cli("token", "issue", *args))


@pytest.fixture(scope="session")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultSystem]:
    postgres = Postgres()
    url = postgres.start()
    var = tmp_path_factory.mktemp("faults")
    system = System(var=var, database_url=url)
    try:
        system.up()
        (var / "facilities.csv").write_text(FACILITIES)
        system.cli("facilities", "import", str(var / "facilities.csv"))
        tokens, ids = {}, {}
        wanted = {
            "kalianda": ("--facility", "PKM180106"), "natar": ("--facility", "PKM180104"),
            "pustu": ("--facility", "PST1801062001"), "district": ("--region", "18.01", "--role", "viewer"),
            "kecamatan_natar": ("--region", "18.01.04", "--role", "viewer"),
            "admin_kalianda": ("--region", "18.01.06", "--role", "admin"),
            "revoked_facility": ("--facility", "PKM180106"), "revoked_viewer": ("--region", "18.01", "--role", "viewer"),
            "revoked_admin": ("--region", "18.01.06", "--role", "admin"),
            "expired_facility": ("--facility", "PKM180106", "--ttl-days", "0.00002"),
            "expired_viewer": ("--region", "18.01", "--role", "viewer", "--ttl-days", "0.00002"),
        }
        for name, out in zip(wanted, system.cli_many(*(("token", "issue", *args) for args in wanted.values())),
                             strict=True):
            ids[name], tokens[name] = _issued(out)
        system.cli_many(*(("token", "revoke", ids[name]) for name in ("revoked_facility", "revoked_viewer", "revoked_admin")))
        deadline = time.monotonic() + 60
        while True:  # a Puskesmas viewer needs the dashboard to know the Puskesmas (consumed facilities)
            try:
                ids["puskesmas_kalianda"], tokens["puskesmas_kalianda"] = _issue(
                    system, "--region", "PKM180106", "--role", "viewer")
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        rng = random.Random(3)
        persons = []
        for i, name in enumerate(NAMES):
            sex = "F" if i % 2 == 0 else "M"
            born = date(1960 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28))
            natar = i % 4 == 3
            persons.append(Person(nik(sex, born, 100 + i, "180104" if natar else "180106"), name, sex, born,
                                  "18.01.04.2001" if natar else "18.01.06.2001",
                                  "PSY1801042001A" if natar else "PSY1801062001A",
                                  tokens["natar" if natar else "kalianda"]))
        yield FaultSystem(system, postgres, persons, tokens, ids)
    finally:
        system.down()
        postgres.stop()
        (var / "fault-report.json").write_text(json.dumps(dict(REPORT.rows()), indent=2))
