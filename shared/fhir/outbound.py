"""An intake visit -> a SATUSEHAT-shaped Bundle (the inverse of ``inbound``).

Used by the round-trip tests and the documentation's example; a facility system can read it as
the shape Jejaring expects. It carries the Patient's NIK and name because it is what a facility
*sends*; nothing Jejaring answers is built here (see ``referral_out``).
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.fhir import codes
from shared.fhir.codes import BY_PATH, FIELDS, Field
from shared.fhir.values import write_item, write_observation_value

_NS = uuid.UUID("9a6f0c1d-2e3b-4c5d-8e7f-1a2b3c4d5e6f")


def _urn(visit_id: str, what: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, f'{visit_id}:{what}')}"


def _get(visit: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = visit
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return node


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": code}]}]


def _observation(row: Field, value: Any, visit: dict[str, Any], refs: dict[str, str]) -> dict[str, Any]:
    coding = row.coding
    for variant in row.variants:
        if variant.outbound and variant.implies and _get(visit, variant.implies[0]) == variant.implies[1]:
            coding = variant.coding
    category = row.category
    if row.path == ("pregnancy", "gestational_weeks") and _get(visit, ("pregnancy", "anc", "ultrasound")):
        coding, category = row.variants[-1].coding, "imaging"  # SATUSEHAT's USG estimate (11888-5)
    obs = {"resourceType": "Observation", "status": "final",
           "code": {"coding": [coding.as_dict(), *(c.as_dict() for c in row.also)]},
           "subject": {"reference": refs["patient"]}, "encounter": {"reference": refs["encounter"]},
           "effectiveDateTime": visit["occurred_at"], **write_observation_value(row, value)}
    if category:
        obs["category"] = _category(category)
    return obs


def _patient(person: dict[str, Any]) -> dict[str, Any]:
    identifiers = [{"use": "official", "system": system, "value": person[key]}
                   for key, system in (("nik", codes.NIK), ("mother_nik", codes.NIK_IBU)) if person.get(key)]
    patient: dict[str, Any] = {"resourceType": "Patient", "identifier": identifiers,
                               "gender": {"M": "male", "F": "female"}[person["sex"]], "birthDate": person["birth_date"],
                               "address": [{"use": "home", "extension": [{"url": codes.ADMINISTRATIVE_CODE, "extension": [
                                   {"url": "village", "valueCode": codes.village_to_fhir(person["village_code"])}]}]}]}
    if person.get("name"):
        patient["name"] = [{"use": "official", "text": person["name"]}]
    return patient


def _encounter(visit: dict[str, Any], org_id: str, refs: dict[str, str]) -> dict[str, Any]:
    point = visit["service_point"]
    enc: dict[str, Any] = {
        "resourceType": "Encounter", "status": "finished",
        "identifier": [{"system": codes.ENCOUNTER_IDS + org_id, "value": str(visit["visit_id"])}],
        "class": {"system": codes.ACT_CODE, "code": codes.CLASS_OF_SERVICE_POINT[point]},
        "type": [{"coding": [{"system": codes.SERVICE_POINT, "code": point}]}],
        "subject": {"reference": refs["patient"]}, "period": {"start": visit["occurred_at"]},
        "serviceProvider": {"reference": f"Organization/{org_id}"},
    }
    number = _get(visit, ("pregnancy", "anc_visit_number"))
    if number is not None:
        enc["identifier"].append({"system": codes.ANC_LABEL, "value": f"K{number}"})
    anc = _get(visit, ("pregnancy", "anc"))
    if anc:
        occupation = dict(BY_PATH[("pregnancy", "anc", "by")].answers)[anc["by"]]
        enc["participant"] = [{"type": [{"coding": [codes.ATTENDER.as_dict(), occupation.as_dict()]}]}]
        enc["episodeOfCare"] = [{"reference": refs["episode"]}]
    return enc


def visit_bundle(visit: dict[str, Any], *, bundle_type: str = "transaction", org_id: str | None = None) -> dict[str, Any]:
    """The Bundle of one intake visit (a dict in the JSON intake shape, e.g. ``model_dump(mode="json")``).

    ``org_id`` is the serviceProvider's Organization id (default: the visit's facility_id).
    """
    return bundle_of([visit], bundle_type=bundle_type, org_ids={visit["facility_id"]: org_id} if org_id else None)


def bundle_of(visits: list[dict[str, Any]], *, bundle_type: str = "transaction",
              org_ids: dict[str, str] | None = None) -> dict[str, Any]:
    """One Bundle with every visit's Patient, Encounter and the resources that point to it."""
    entries: list[dict[str, Any]] = []
    for visit in visits:
        entries += _visit_entries(visit, (org_ids or {}).get(visit["facility_id"], visit["facility_id"]))
    if bundle_type != "collection":
        for e in entries:
            e["request"] = {"method": "POST", "url": e["resource"]["resourceType"]}
    return {"resourceType": "Bundle", "type": bundle_type, "entry": entries}


def _visit_entries(visit: dict[str, Any], org_id: str) -> list[dict[str, Any]]:
    vid = str(visit["visit_id"])
    refs = {"patient": _urn(vid, "patient"), "encounter": _urn(vid, "encounter"), "episode": _urn(vid, "episode")}
    resources: list[tuple[str, dict[str, Any]]] = [(refs["patient"], _patient(visit["person"])),
                                                   (refs["encounter"], _encounter(visit, org_id, refs))]
    if _get(visit, ("pregnancy", "anc")):
        resources.append((refs["episode"], {
            "resourceType": "EpisodeOfCare", "status": "active", "type": [{"coding": [codes.ANC_EPISODE.as_dict()]}],
            "patient": {"reference": refs["patient"]}, "managingOrganization": {"reference": f"Organization/{org_id}"},
            "period": {"start": visit["occurred_at"]}}))
    if visit.get("pregnancy"):
        resources.append((_urn(vid, "pregnancy-status"), {
            "resourceType": "Observation", "status": "final", "category": _category("survey"),
            "code": {"coding": [codes.PREGNANCY_STATUS.as_dict()]}, "subject": {"reference": refs["patient"]},
            "encounter": {"reference": refs["encounter"]}, "effectiveDateTime": visit["occurred_at"],
            "valueCodeableConcept": {"coding": [codes.PREGNANT.as_dict()]}}))
    questionnaires: dict[str, list[dict[str, Any]]] = {}
    for row in FIELDS:
        value = _get(visit, row.path)
        if value is None:
            continue
        if row.resource == "Observation" and row.coding and row.coding.system != codes.OBSERVATION_CATEGORY:
            resources.append((_urn(vid, row.name), _observation(row, value, visit, refs)))
        elif row.resource == "QuestionnaireResponse":
            questionnaires.setdefault(row.coding.system, []).append(write_item(row, value))
    for canonical, items in questionnaires.items():
        resources.append((_urn(vid, canonical), {
            "resourceType": "QuestionnaireResponse", "questionnaire": canonical, "status": "completed",
            "subject": {"reference": refs["patient"]}, "encounter": {"reference": refs["encounter"]},
            "authored": visit["occurred_at"], "item": items}))
    for n, antigen in enumerate(visit.get("immunizations") or []):
        resources.append((_urn(vid, f"immunization:{n}"), _immunization(antigen, visit, refs)))
    for kind, system in (("diagnoses", codes.ICD10), ("syndromes", codes.SKDR)):
        for n, code in enumerate(visit.get(kind) or []):
            resources.append((_urn(vid, f"{kind}:{n}"), {
                "resourceType": "Condition",
                "category": [{"coding": [{"system": codes.CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
                "code": {"coding": [{"system": system, "code": code}]}, "subject": {"reference": refs["patient"]},
                "encounter": {"reference": refs["encounter"]}, "recordedDate": visit["occurred_at"]}))
    return [{"fullUrl": url, "resource": resource} for url, resource in resources]


def _immunization(antigen: str, visit: dict[str, Any], refs: dict[str, str]) -> dict[str, Any]:
    a = codes.ANTIGEN_BY_CODE[antigen]
    imm: dict[str, Any] = {
        "resourceType": "Immunization", "status": "completed",
        "vaccineCode": {"coding": [a.cvx.as_dict(), *([a.kfa.as_dict()] if a.kfa else [])], "text": antigen},
        "patient": {"reference": refs["patient"]}, "encounter": {"reference": refs["encounter"]},
        "occurrenceDateTime": visit["occurred_at"], "primarySource": True}
    if a.dose is not None:
        imm["protocolApplied"] = [{"doseNumberPositiveInt": a.dose}]
    return imm
