"""ServiceRequest and RiskAssessment out: shapes, status mapping, token scope, and no NIK or name anywhere."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.riskassessment import RiskAssessment
from fhir.resources.R4B.servicerequest import ServiceRequest

from services.referral import http_fhir as fhir_http
from shared.auth import FailureLimiter
from shared.fhir import capability, codes, inbound, referral_out
from shared.fhir.intake_answer import plan, respond
from tests.unit.fhir.test_fhir_invalid import VISIT, base, resolve


def referral(rid: str, status: str, updated: str, **kw) -> dict:
    body = {"referral_id": rid, "person_id": "p_6b1f0c2a9d", "risk_id": f"{rid[:-1]}9", "risk_code": "anemia_pregnancy",
            "village_code": "18.01.06.2001", "origin_facility_id": "PSY1801062001A", "destination_facility_id": "PKM180106",
            "destination_level": "puskesmas", "urgency": "high", "reason": "Hb < 11 g/dL in pregnancy", "status": status,
            "made_at": "2026-11-20T09:15:00+07:00", "due_at": "2026-11-23T09:15:00+07:00", "overdue": False,
            "overdue_cleared": False, "detections": 1, "feedback": None, "updated_at": updated,
            "history": [{"status": "made", "at": "2026-11-20T09:15:00+07:00", "facility_id": "PSY1801062001A"}]}
    return body | kw


FEEDBACK = {"diagnosis": "Anemia defisiensi besi", "icd10": "O99.0", "instructions": "Tablet Fe 2x1, kontrol 4 minggu",
            "follow_up_date": "2026-12-20", "follow_up_facility_id": "PSY1801062001A"}
REFERRALS = [
    referral("00000000-0000-4000-8000-000000000001", "made", "2026-11-20T02:15:01+00:00"),
    referral("00000000-0000-4000-8000-000000000002", "received", "2026-11-21T02:15:01+00:00", overdue=True),
    referral("00000000-0000-4000-8000-000000000003", "completed", "2026-11-22T02:15:01+00:00", feedback=FEEDBACK,
             history=[{"status": "made", "at": "2026-11-20T09:15:00+07:00", "facility_id": "PSY1801062001A"},
                      {"status": "completed", "at": "2026-11-22T09:15:01+07:00", "facility_id": "PKM180106",
                       "note": "rujuk balik dikirim"}]),
    referral("00000000-0000-4000-8000-000000000004", "cancelled", "2026-11-23T02:15:01+00:00"),
]
RISK = {"risk_id": "7c2e0000-0000-4000-8000-000000000002", "visit_id": "0b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11",
        "person_id": "p_6b1f0c2a9d", "facility_id": "PSY1801062001A", "village_code": "18.01.06.2001",
        "occurred_at": "2026-11-20T09:15:00+07:00", "stage": "pregnancy", "code": "anemia_pregnancy", "cluster": 2,
        "severity": "high", "evidence": {"hb_g_dl": 9.1}, "recommended_level": "puskesmas", "ruleset_version": "2026.12"}


def test_status_mapping_and_the_lifecycle_step() -> None:
    out = {r["status"]: referral_out.service_request(r) for r in REFERRALS}
    assert {k: v["status"] for k, v in out.items()} == {"made": "active", "received": "active", "completed": "completed",
                                                        "cancelled": "revoked"}
    for step, resource in out.items():
        ServiceRequest.model_validate(resource)
        assert resource["extension"][0] == {"url": codes.EXT_REFERRAL_STATUS, "valueCode": step}
        assert resource["code"]["coding"][0]["code"] == "3457005" and resource["subject"] == {"reference": "Patient/p_6b1f0c2a9d"}
        assert resource["requester"] == {"reference": "Organization/PSY1801062001A"}
        assert resource["performer"] == [{"reference": "Organization/PKM180106"}]
        assert resource["occurrenceDateTime"] == "2026-11-23T09:15:00+07:00"
    assert {"url": codes.EXT_REFERRAL_OVERDUE, "valueBoolean": True} in out["received"]["extension"]
    rujuk = next(e for e in out["completed"]["extension"] if e["url"] == codes.EXT_RUJUK_BALIK)
    assert {"url": "follow-up-date", "valueDate": "2026-12-20"} in rujuk["extension"]
    assert out["completed"]["note"][-1]["text"].startswith("Rujuk balik: Anemia defisiensi besi")


def test_risk_assessment_shape() -> None:
    resource = referral_out.risk_assessment(RISK)
    RiskAssessment.model_validate(resource)
    assert resource["subject"] == {"reference": "Patient/p_6b1f0c2a9d"}
    assert resource["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"


class FakeReferral:
    async def authorised(self, header: str | None) -> str | None:
        return {"Bearer pkm": "PKM180106", "Bearer other": "PKM999"}.get(header or "")

    async def list_referrals(self, facility, *, status, since, limit, after):  # noqa: ANN001, ANN201
        items = [r for r in REFERRALS if facility == "PKM180106" and (status is None or r["status"] == status)]
        if after:
            items = [r for r in items if f"{r['updated_at']}|{r['referral_id']}" > after]
        return items[:limit], (f"{items[limit - 1]['updated_at']}|{items[limit - 1]['referral_id']}"
                               if len(items) > limit else None)

    async def get_referral(self, rid: str) -> dict | None:
        return next((r for r in REFERRALS if r["referral_id"] == rid), None)

    async def scope(self, facility: str) -> set[str]:  # the Puskesmas acts for the Pustu and Posyandu under it
        return {"PKM180106": {"PKM180106", "PST1801062001", "PSY1801062001A"}}.get(facility, {facility})

    async def list_risks(self, scope, *, since, limit, after):  # noqa: ANN001, ANN201
        return [RISK], None


def client() -> TestClient:
    fake = FakeReferral()
    app = FastAPI()
    app.state.fhir_referral = fhir_http.ReferralDeps(fake.authorised, fake.list_referrals, fake.get_referral,
                                                     fake.scope, fake.list_risks)
    app.state.limiter = FailureLimiter()
    app.include_router(fhir_http.router)
    return TestClient(app)


def ids(body: dict) -> list[str]:
    return [e["resource"]["id"][-1] for e in body.get("entry", [])]


def test_search_by_status_and_last_updated_read_and_scope() -> None:
    http, auth = client(), {"Authorization": "Bearer pkm"}
    assert http.get("/fhir/ServiceRequest").status_code == 401
    everything = http.get("/fhir/ServiceRequest", headers=auth).json()
    Bundle.model_validate(everything)
    assert ids(everything) == ["1", "2", "3", "4"]
    assert ids(http.get("/fhir/ServiceRequest?status=active", headers=auth).json()) == ["1", "2"]
    assert ids(http.get("/fhir/ServiceRequest?status=completed,revoked", headers=auth).json()) == ["3", "4"]
    assert ids(http.get("/fhir/ServiceRequest?_lastUpdated=gt2026-11-21T02:15:01%2B00:00", headers=auth).json()) == ["3", "4"]
    assert ids(http.get("/fhir/ServiceRequest?_lastUpdated=lt2026-11-22T00:00:00Z&status=active", headers=auth).json()) == ["1", "2"]
    assert http.get("/fhir/ServiceRequest?status=draft", headers=auth).status_code == 400
    page = http.get("/fhir/ServiceRequest?status=active&_count=1", headers=auth).json()
    assert ids(page) == ["1"] and page["link"][1]["relation"] == "next"
    nxt = page["link"][1]["url"].split("/fhir/", 1)[1]
    assert ids(http.get("/fhir/" + nxt, headers=auth).json()) == ["2"]
    one = http.get(f"/fhir/ServiceRequest/{REFERRALS[2]['referral_id']}", headers=auth)
    assert one.status_code == 200 and one.json()["status"] == "completed"
    other = http.get(f"/fhir/ServiceRequest/{REFERRALS[2]['referral_id']}", headers={"Authorization": "Bearer other"})
    assert other.status_code == 404
    assert ids(http.get("/fhir/ServiceRequest", headers={"Authorization": "Bearer other"}).json()) == []
    risks = http.get("/fhir/RiskAssessment", headers=auth).json()
    assert [e["resource"]["resourceType"] for e in risks["entry"]] == ["RiskAssessment"]
    CapabilityStatement.model_validate(http.get("/fhir/metadata").json())


NIK = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")


def test_no_nik_or_name_in_anything_answered() -> None:
    bad_unit = base()
    bad_unit["entry"][2]["resource"]["valueQuantity"] = {"value": 52, "code": "[lb_av]", "system": "http://unitsofmeasure.org"}
    bad_nik = base()
    bad_nik["entry"][0]["resource"]["identifier"][0]["value"] = "18010645089200031"
    wrong_system = base()
    wrong_system["entry"][0]["resource"]["identifier"][0]["system"] = "https://fhir.kemkes.go.id/id/ihs-number"
    answers = [referral_out.service_request(r) for r in REFERRALS] + [referral_out.risk_assessment(RISK),
                                                                      capability.registration(), capability.referral()]
    for bundle in (base(), bad_unit, bad_nik, wrong_system, {**base(), "type": "batch"}, {**bad_nik, "type": "batch"}):
        mapping = inbound.map_bundle(json.dumps(bundle).encode(), resolve_organization=resolve)
        chosen = plan(mapping)
        answers.append(respond(mapping, chosen, [type("O", (), {"visit_id": v["visit_id"], "status": "recorded",
                                                                "errors": [], "forbidden": False})() for v in chosen.raws])[1])
    text = json.dumps(answers)
    assert NIK.search(text) is None and VISIT["person"]["name"] not in text and "1801064508920003" not in text
