"""Fixtures that start the real system: Tansu, PostgreSQL (for the postgres runs), four processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.integration.harness import Postgres, System

FACILITIES = """facility_id,name,type,parent_id,village_code,capabilities
RS1801,RSUD Bob Bazar Kalianda,rs,,18.01.06.1007,doctor;emergency;hb_test;glucose_test;ultrasound
PKM180106,Puskesmas Kalianda,puskesmas,RS1801,18.01.06.1007,doctor;hb_test;glucose_test
PST1801062001,Pustu Jondong,pustu,PKM180106,18.01.06.2001,hb_test;glucose_test
PSY1801062001A,Posyandu Mawar Jondong,posyandu,PST1801062001,18.01.06.2001,
"""


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def system(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The whole system, once per backend, seeded with a small facility network and tokens."""
    postgres = None
    database_url = None
    if request.param == "postgres":
        postgres = Postgres()
        database_url = postgres.start()
    var = tmp_path_factory.mktemp(f"system-{request.param}")
    system = System(var=var, database_url=database_url)
    try:
        system.up()
        csv_path = Path(var) / "facilities.csv"
        csv_path.write_text(FACILITIES)
        system.cli("facilities", "import", str(csv_path))
        system.facility_token, system.pustu_token, system.viewer_token = (out.strip().splitlines()[-1] for out in system.cli_many(
            ("token", "issue", "--facility", "PKM180106"), ("token", "issue", "--facility", "PST1801062001"),
            ("token", "issue", "--region", "18.01", "--role", "viewer")))
        yield system
    finally:
        system.down()
        if postgres:
            postgres.stop()


def visit(**overrides) -> dict:
    """A valid intake visit of a hypertensive adult woman at a Posyandu in Desa Jondong."""
    body = {
        "visit_id": str(uuid.uuid4()),
        "facility_id": "PSY1801062001A",
        "occurred_at": (datetime.now(timezone(timedelta(hours=7))) - timedelta(minutes=5)).isoformat(),
        "service_point": "posyandu",
        "person": {"nik": "1801064508920003", "name": "Siti Aminah", "sex": "F", "birth_date": "1992-08-05",
                   "village_code": "18.01.06.2001"},
        "measurements": {"weight_kg": 60, "height_cm": 155, "systolic_mmhg": 150, "diastolic_mmhg": 95},
    }
    for key, value in overrides.items():
        body[key] = value
    return body
