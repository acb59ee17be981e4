"""The FHIR intake's speed class: a 100-Encounter Bundle against the same 100 visits as JSON.

``bundle_vs_json(n)`` times, best of ``repeat`` on this process:
- ``validate``: the JSON batch parsed and validated as ``IntakeVisit`` against the Bundle parsed,
  validated with fhir.resources and mapped to the same visits (``shared.fhir.inbound.map_bundle``);
- ``recorded``: each path then recorded by registration's ``Registrar.record_many`` on a fresh
  SQLite database (fresh visit ids each round, one transaction), i.e. what the intake does minus HTTP.
``python bench/fhir_intake.py`` prints the dict; ``make bench`` can add it to its report.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.registration import models  # noqa: E402
from services.registration.settings import RegistrationSettings  # noqa: E402
from services.registration.usecases import imports  # noqa: E402
from services.registration.usecases.visits import Registrar  # noqa: E402
from shared.contracts.intake import IntakeVisit  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.fhir import inbound, outbound  # noqa: E402
from shared.regions import load_regions  # noqa: E402
from shared.unit import Unit  # noqa: E402

FACILITIES = """facility_id,name,type,parent_id,village_code,capabilities
PKM180106,Puskesmas Kalianda,puskesmas,,18.01.06.1007,doctor;hb_test
PSY1801062001A,Posyandu Mawar,posyandu,PKM180106,18.01.06.2001,
"""


def _visits(n: int, salt: str) -> list[dict[str, Any]]:
    """``n`` visits shaped like the contract's example (12 measurements, a pregnancy), distinct persons."""
    out = []
    for i in range(n):
        serial = f"{(i % 9000) + 1:04d}"
        out.append({
            "visit_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{salt}:{i}")), "facility_id": "PSY1801062001A",
            "occurred_at": "2026-11-20T09:15:00+07:00", "service_point": "posyandu",
            "person": {"nik": f"180106450892{serial}", "name": "Siti Aminah", "sex": "F", "birth_date": "1992-08-05",
                       "village_code": "18.01.06.2001"},
            "pregnancy": {"gestational_weeks": 14},
            "measurements": {"weight_kg": 52.0 + i % 7, "height_cm": 155.0, "measured_lying": False, "muac_cm": 22.5,
                             "hb_g_dl": 10.2, "systolic_mmhg": 150, "diastolic_mmhg": 95, "glucose_mg_dl": 210,
                             "glucose_fasting": False, "waist_cm": 92, "cough_weeks": 3, "oedema": False},
        })
    return out


def _resolve(org_id: str) -> str | None:
    return org_id if org_id in ("PKM180106", "PSY1801062001A") else None


def _json_path(body: bytes) -> list[dict[str, Any]]:
    raws = json.loads(body)["visits"]
    for raw in raws:
        IntakeVisit.model_validate(raw)
    return raws


def _fhir_path(body: bytes) -> list[dict[str, Any]]:
    mapping = inbound.map_bundle(body, resolve_organization=_resolve)
    visits = [v.visit for v in mapping.visits]
    if len(visits) != len(mapping.visits) or any(v is None for v in visits):
        raise AssertionError("the benchmark Bundle did not map")
    return visits


async def _recorded(n: int, repeat: int) -> dict[str, float]:
    best = {"json": float("inf"), "fhir": float("inf")}
    registrar = Registrar(RegistrationSettings(person_id_secret="bench-secret"), load_regions())
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/bench.db")
        async with db.engine.begin() as conn:
            await conn.run_sync(models.metadata.create_all)
        async with db.session() as session, session.begin():
            unit = Unit(session=session, message=None, source="/bench")
            await imports.import_facilities(unit, imports.parse_facilities_csv(FACILITIES, load_regions()))
        for r in range(repeat):
            for kind in ("json", "fhir"):
                visits = _visits(n, f"{kind}:{r}")
                body = (json.dumps({"visits": visits}) if kind == "json"
                        else json.dumps(outbound.bundle_of(visits, bundle_type="batch"))).encode()
                start = time.perf_counter()
                raws = _json_path(body) if kind == "json" else _fhir_path(body)
                async with db.session() as session, session.begin():
                    outcomes = await registrar.record_many(Unit(session=session, message=None, source="/bench"), raws,
                                                           token_facility="PKM180106")
                elapsed = time.perf_counter() - start
                if {o.status for o in outcomes} != {"recorded"}:
                    raise AssertionError(f"benchmark visits not recorded: {outcomes[0]}")
                best[kind] = min(best[kind], elapsed)
        await db.dispose()
    return best


def bundle_vs_json(n: int = 100, repeat: int = 5) -> dict[str, Any]:
    """Milliseconds for ``n`` visits as one Bundle vs as one JSON batch: validation only, and recorded."""
    visits = _visits(n, "validate")
    json_body = json.dumps({"visits": visits}).encode()
    bundle = outbound.bundle_of(visits, bundle_type="batch")
    fhir_body = json.dumps(bundle).encode()
    times = {"json": float("inf"), "fhir": float("inf")}
    for _ in range(repeat):
        for kind, fn, body in (("json", _json_path, json_body), ("fhir", _fhir_path, fhir_body)):
            start = time.perf_counter()
            fn(body)
            times[kind] = min(times[kind], time.perf_counter() - start)
    recorded = asyncio.run(_recorded(n, repeat))
    return {
        "visits": n, "bundle_entries": len(bundle["entry"]), "bundle_bytes": len(fhir_body), "json_bytes": len(json_body),
        "validate_json_ms": round(times["json"] * 1000, 2), "validate_fhir_ms": round(times["fhir"] * 1000, 2),
        "validate_ratio": round(times["fhir"] / times["json"], 1),
        "recorded_json_ms": round(recorded["json"] * 1000, 2), "recorded_fhir_ms": round(recorded["fhir"] * 1000, 2),
        "recorded_ratio": round(recorded["fhir"] / recorded["json"], 2),
    }


if __name__ == "__main__":
    print(json.dumps(bundle_vs_json(), indent=2))
