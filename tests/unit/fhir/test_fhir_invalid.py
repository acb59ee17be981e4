"""Every kind of invalid Bundle answers a precise OperationOutcome issue with the FHIRPath of the problem."""

from __future__ import annotations

import copy
import json

import pytest

from services.registration.consumers import decode_bundle
from shared.fhir import inbound, outbound
from shared.fhir.intake_answer import plan
from shared.fhir.outcome import MAX_BUNDLE_BYTES

FACILITY = "PSY1801062001A"
VISIT = {"visit_id": "0b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11", "facility_id": FACILITY,
         "occurred_at": "2026-11-20T09:15:00+07:00", "service_point": "posyandu",
         "person": {"nik": "1801064508920003", "name": "Siti Aminah", "sex": "F", "birth_date": "1992-08-05",
                    "village_code": "18.01.06.2001"},
         "measurements": {"weight_kg": 52.0, "systolic_mmhg": 150, "diastolic_mmhg": 95}}


def resolve(org_id: str) -> str | None:
    return org_id if org_id == FACILITY else None


def base() -> dict:
    return outbound.visit_bundle(copy.deepcopy(VISIT))


def index_of(bundle: dict, code: str) -> int:
    return next(i for i, e in enumerate(bundle["entry"])
                if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == code)


def issues(bundle: dict | bytes) -> list[tuple[str, str, str | None]]:
    mapping = inbound.map_bundle(bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode(),
                                 resolve_organization=resolve)
    found = mapping.problems or mapping.blocking()
    return [(i.severity, i.code, i.expression) for i in found]


def test_the_unchanged_bundle_is_valid() -> None:
    assert issues(base()) == []


def test_wrong_resource_type_of_the_body() -> None:
    assert issues({"resourceType": "Patient", "gender": "female"}) == [("error", "invalid", "Bundle.resourceType")]


def test_unknown_resource_type_of_an_entry() -> None:
    bundle = base()
    bundle["entry"][2]["resource"]["resourceType"] = "Observasi"
    assert issues(bundle) == [("error", "invalid", "Bundle.entry[2].resource.resourceType")]


def test_bundle_type_that_is_not_accepted() -> None:
    bundle = {**base(), "type": "searchset"}
    assert issues(bundle) == [("error", "not-supported", "Bundle.type")]


def test_missing_subject() -> None:
    bundle = base()
    del bundle["entry"][1]["resource"]["subject"]
    assert issues(bundle) == [("error", "required", "Bundle.entry[1].resource.subject")]


def test_unknown_unit_of_a_loinc_measurement() -> None:
    bundle = base()
    k = index_of(bundle, "29463-7")
    bundle["entry"][k]["resource"]["valueQuantity"].update(unit="lb", code="[lb_av]")
    assert issues(bundle) == [("error", "code-invalid", f"Bundle.entry[{k}].resource.valueQuantity.code")]


def test_nik_in_the_wrong_identifier_system() -> None:
    bundle = base()
    bundle["entry"][0]["resource"]["identifier"][0]["system"] = "https://fhir.kemkes.go.id/id/ihs-number"
    assert issues(bundle) == [("error", "value", "Bundle.entry[0].resource.identifier[0].system")]


def test_encounter_without_a_facility() -> None:
    bundle = base()
    del bundle["entry"][1]["resource"]["serviceProvider"]
    assert issues(bundle) == [("error", "required", "Bundle.entry[1].resource.serviceProvider")]
    bundle["entry"][1]["resource"]["serviceProvider"] = {"reference": "Organization/99999999"}
    assert issues(bundle) == [("error", "not-found", "Bundle.entry[1].resource.serviceProvider")]


def test_reference_to_a_resource_not_in_the_bundle() -> None:
    bundle = base()
    k = index_of(bundle, "8480-6")
    bundle["entry"][k]["resource"]["encounter"] = {"reference": "Encounter/not-in-this-bundle"}
    assert issues(bundle) == [("error", "not-found", f"Bundle.entry[{k}].resource.encounter")]
    bundle = base()
    bundle["entry"][1]["resource"]["subject"] = {"reference": "Patient/P02478375538"}
    assert issues(bundle) == [("error", "not-found", "Bundle.entry[1].resource.subject")]


def test_a_resource_that_is_not_valid_fhir() -> None:
    bundle = base()
    k = index_of(bundle, "29463-7")
    bundle["entry"][k]["resource"]["valueQuantity"]["value"] = "fifty-two"
    bundle["entry"][k]["resource"]["effectiveDateTime"] = "20-11-2026"
    assert issues(bundle) == [("error", "value", f"Bundle.entry[{k}].resource.effectiveDateTime"),
                              ("error", "value", f"Bundle.entry[{k}].resource.valueQuantity.value")]


def test_a_value_out_of_the_intake_range_points_to_its_element() -> None:
    bundle = base()
    k = index_of(bundle, "29463-7")
    bundle["entry"][k]["resource"]["valueQuantity"]["value"] = 520
    assert issues(bundle) == [("error", "invalid", f"Bundle.entry[{k}].resource.valueQuantity.value")]


def test_a_body_over_the_size_limit() -> None:
    bundle = base()
    bundle["entry"][0]["resource"]["text"] = {"status": "generated", "div": "<div>" + "x" * MAX_BUNDLE_BYTES + "</div>"}
    body = json.dumps(bundle).encode()
    mapping = inbound.map_bundle(body, resolve_organization=resolve)
    assert mapping.bundle.status == 413 and [(i.code, i.expression) for i in mapping.problems] == [("too-costly", None)]


def test_a_body_that_is_not_json() -> None:
    mapping = inbound.map_bundle(b"<Bundle/>", resolve_organization=resolve)
    assert mapping.bundle.status == 400 and mapping.problems[0].code == "structure"


@pytest.mark.parametrize("breaks", ["subject", "unit", "nik", "facility", "reference"])
def test_kafka_dead_letters_with_the_same_reason_as_http(breaks: str) -> None:
    bundle = base()
    k = index_of(bundle, "29463-7")
    if breaks == "subject":
        del bundle["entry"][1]["resource"]["subject"]
    elif breaks == "unit":
        bundle["entry"][k]["resource"]["valueQuantity"]["code"] = "[lb_av]"
    elif breaks == "nik":
        bundle["entry"][0]["resource"]["identifier"][0]["system"] = "https://fhir.kemkes.go.id/id/ihs-number"
    elif breaks == "facility":
        del bundle["entry"][1]["resource"]["serviceProvider"]
    else:
        bundle["entry"][k]["resource"]["encounter"] = {"reference": "Encounter/elsewhere"}
    body = json.dumps(bundle).encode()
    http = plan(inbound.map_bundle(body, resolve_organization=resolve)).answer
    message = decode_bundle(body, resolve_organization=resolve)
    assert http is not None and http[0] == 400 and message.visits == []
    assert json.loads(message.reason) == http[1]
