"""Transaction all or nothing, batch per entry; the registration router over injected callables."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from services.registration import http_fhir as fhir_http
from shared.auth import FailureLimiter
from shared.fhir import inbound, outbound
from shared.fhir.intake_answer import plan, respond
from shared.fhir.outcome import MAX_BUNDLE_BYTES
from tests.unit.fhir.test_fhir_invalid import FACILITY, VISIT, index_of, resolve


@dataclass
class Outcome:
    visit_id: str | None
    status: str
    errors: list[dict] = field(default_factory=list)
    forbidden: bool = False


def two_visits(bundle_type: str, *, break_second: bool) -> dict:
    second = copy.deepcopy(VISIT) | {"visit_id": "1c6f7b3e-0000-4000-8000-000000000002"}
    bundle = outbound.bundle_of([copy.deepcopy(VISIT), second], bundle_type=bundle_type)
    if break_second:
        k = max(i for i, e in enumerate(bundle["entry"])
                if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "29463-7")
        bundle["entry"][k]["resource"]["valueQuantity"]["code"] = "[lb_av]"
    return bundle


def answer(bundle: dict, decide=lambda v: Outcome(v["visit_id"], "recorded")) -> tuple[int, dict, list]:
    mapping = inbound.map_bundle(json.dumps(bundle).encode(), resolve_organization=resolve)
    chosen = plan(mapping)
    recorded = [decide(v) for v in chosen.raws]
    return *respond(mapping, chosen, recorded), chosen.raws


def statuses(body: dict) -> list[str]:
    return [e["response"]["status"] for e in body["entry"]]


def test_batch_records_the_good_encounter_and_answers_each_entry() -> None:
    bundle = two_visits("batch", break_second=True)
    status, body, recorded = answer(bundle)
    assert status == 200 and body["type"] == "batch-response" and len(recorded) == 1
    Bundle.model_validate(body)
    half = len(bundle["entry"]) // 2
    assert statuses(body)[:half] == ["201 Created"] * half
    assert set(statuses(body)[half:]) == {"422 Unprocessable Entity"}
    bad = index_of({"entry": bundle["entry"][half:]}, "29463-7") + half
    issue = body["entry"][bad]["response"]["outcome"]["issue"][0]
    assert issue["expression"] == [f"Bundle.entry[{bad}].resource.valueQuantity.code"]
    assert body["entry"][1]["response"]["location"].startswith("Encounter/")


def test_transaction_with_a_bad_entry_records_nothing() -> None:
    status, body, recorded = answer(two_visits("transaction", break_second=True))
    assert status == 400 and recorded == [] and body["resourceType"] == "OperationOutcome"
    OperationOutcome.model_validate(body)
    assert [i["code"] for i in body["issue"]] == ["code-invalid"]


def test_transaction_rejected_by_registration_lists_the_problem_where_it_came_from() -> None:
    def reject_second(v: dict) -> Outcome:
        if v["person"]["nik"] and v["visit_id"] == recorded_ids[1]:
            return Outcome(v["visit_id"], "rejected", [{"loc": ["person", "village_code"], "msg": "unknown village_code"}])
        return Outcome(v["visit_id"], "recorded")
    bundle = two_visits("transaction", break_second=False)
    mapping = inbound.map_bundle(json.dumps(bundle).encode(), resolve_organization=resolve)
    recorded_ids = [v["visit_id"] for v in plan(mapping).raws]
    status, body, _ = answer(bundle, reject_second)
    half = len(bundle["entry"]) // 2
    assert status == 400 and [i["expression"] for i in body["issue"]] == [
        [f"Bundle.entry[{half}].resource.address[0].extension[0].extension[0].valueCode"]]


def test_transaction_success_and_resend_as_duplicate() -> None:
    bundle = two_visits("transaction", break_second=False)
    status, body, _ = answer(bundle)
    assert status == 200 and body["type"] == "transaction-response" and set(statuses(body)) == {"201 Created"}
    status, body, _ = answer(bundle, lambda v: Outcome(v["visit_id"], "duplicate"))
    assert set(statuses(body)) == {"200 OK"}


def test_forbidden_facility_answers_403_for_its_entries() -> None:
    status, body, _ = answer(two_visits("batch", break_second=False),
                             lambda v: Outcome(v["visit_id"], "rejected", [{"loc": ["facility_id"], "msg": "outside"}], True))
    assert set(statuses(body)) == {"403 Forbidden"}


class FakeRegistration:
    def __init__(self) -> None:
        self.calls: list[tuple[list[dict], str, bool]] = []

    async def authorised(self, header: str | None) -> str | None:
        return FACILITY if header == "Bearer good" else None

    async def record(self, raws: list[dict], facility: str, all_or_nothing: bool) -> list[Outcome]:
        self.calls.append((raws, facility, all_or_nothing))
        return [Outcome(r["visit_id"], "recorded") for r in raws]

    async def lookups(self):  # noqa: ANN201
        return resolve, None


def client() -> tuple[TestClient, FakeRegistration]:
    fake = FakeRegistration()
    app = FastAPI()
    app.state.fhir_intake = fhir_http.IntakeDeps(fake.authorised, fake.record, fake.lookups)
    app.state.limiter = FailureLimiter()
    app.include_router(fhir_http.router)
    return TestClient(app), fake


def test_router_metadata_token_size_and_bundle() -> None:
    http, fake = client()
    meta = http.get("/fhir/metadata")
    assert meta.status_code == 200 and meta.headers["content-type"].startswith("application/fhir+json")
    CapabilityStatement.model_validate(meta.json())
    body = json.dumps(two_visits("transaction", break_second=False))
    assert http.post("/fhir", content=body).status_code == 401
    assert http.post("/fhir", content=body, headers={"Authorization": "Bearer bad"}).json()["issue"][0]["code"] == "login"
    big = http.post("/fhir", content=b" " * (MAX_BUNDLE_BYTES + 1), headers={"Authorization": "Bearer good"})
    assert big.status_code == 413 and big.json()["issue"][0]["code"] == "too-costly"
    ok = http.post("/fhir", content=body, headers={"Authorization": "Bearer good"})
    assert ok.status_code == 200 and ok.json()["type"] == "transaction-response"
    assert len(fake.calls) == 1 and fake.calls[0][1:] == (FACILITY, True) and len(fake.calls[0][0]) == 2
    bad = http.post("/fhir", content=json.dumps({"resourceType": "Patient"}), headers={"Authorization": "Bearer good"})
    assert bad.status_code == 400 and bad.json()["resourceType"] == "OperationOutcome"


def test_facility_lookups_resolve_facility_ids_and_satusehat_ids() -> None:
    resolve_org, facility_type = fhir_http.facility_lookups([("PKM180106", "10000004", "puskesmas"),
                                                             ("PSY1", None, "posyandu")])
    assert [resolve_org(x) for x in ("PKM180106", "10000004", "PSY1", "nope")] == ["PKM180106", "PKM180106", "PSY1", None]
    assert facility_type("PSY1") == "posyandu" and facility_type("nope") is None
