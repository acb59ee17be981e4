"""What leaves Jejaring as FHIR: referrals as ``ServiceRequest``, screening risks as ``RiskAssessment``.

Persons appear only as ``Patient/<person_id>`` (the pseudonymous id; no identifier, no name).
Status: ``active`` while made, received or attended, ``completed``, ``revoked`` when cancelled; the
lifecycle step itself is the ``referral-status`` extension (``made``, ``received``, ``attended``,
``completed``, ``cancelled``) and an overdue referral carries ``referral-overdue``. The *rujuk
balik* is the request's outcome: status ``completed`` and a ``note``, with the feedback's fields in
the ``rujuk-balik`` extension (no Task: one resource answers "where is my referral and what came
back").
"""

from __future__ import annotations

from typing import Any

from shared.fhir import codes

_STEP_NOTE = {"made": "dibuat", "received": "diterima", "attended": "dilayani", "completed": "selesai",
              "cancelled": "dibatalkan"}


def _org(facility_id: str | None) -> dict[str, str] | None:
    return {"reference": f"Organization/{facility_id}"} if facility_id else None


def _rujuk_balik(feedback: dict[str, Any]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"url": "diagnosis", "valueString": feedback["diagnosis"]}]
    if feedback.get("icd10"):
        parts.append({"url": "icd10", "valueCoding": {"system": codes.ICD10, "code": feedback["icd10"]}})
    parts.append({"url": "instructions", "valueString": feedback["instructions"]})
    parts.append({"url": "follow-up-date", "valueDate": feedback["follow_up_date"]})
    if feedback.get("follow_up_facility_id"):
        parts.append({"url": "follow-up-facility", "valueReference": _org(feedback["follow_up_facility_id"])})
    return {"url": codes.EXT_RUJUK_BALIK, "extension": parts}


def service_request(referral: dict[str, Any]) -> dict[str, Any]:
    """A referral as ``services.referral.store.view`` returns it -> a ServiceRequest."""
    status = referral["status"]
    extensions: list[dict[str, Any]] = [{"url": codes.EXT_REFERRAL_STATUS, "valueCode": status}]
    if referral.get("overdue"):
        extensions.append({"url": codes.EXT_REFERRAL_OVERDUE, "valueBoolean": True})
    if referral.get("feedback"):
        extensions.append(_rujuk_balik(referral["feedback"]))
    notes = [{"time": step["at"], "text": f"{_STEP_NOTE.get(step['status'], step['status'])}: {step['note']}"}
             for step in referral.get("history", []) if step.get("note")]
    feedback = referral.get("feedback")
    if feedback:
        notes.append({"text": f"Rujuk balik: {feedback['diagnosis']}. {feedback['instructions']} "
                              f"(kontrol {feedback['follow_up_date']})"})
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest", "id": referral["referral_id"],
        "meta": {"lastUpdated": referral["updated_at"]},
        "extension": extensions,
        "identifier": [{"system": codes.REFERRAL_ID, "value": referral["referral_id"]}],
        "status": codes.REFERRAL_STATUS[status], "intent": "order",
        "priority": codes.PRIORITY.get(referral.get("urgency"), "routine"),
        "code": {"coding": [codes.REFERRAL.as_dict()], "text": "Dirujuk ke"},
        "subject": {"reference": f"Patient/{referral['person_id']}"},
        "occurrenceDateTime": referral["due_at"], "authoredOn": referral["made_at"],
        "requester": _org(referral["origin_facility_id"]),
        "locationCode": [{"coding": [codes.LOCATION_OF_LEVEL[referral["destination_level"]].as_dict()]}]
        if referral.get("destination_level") in codes.LOCATION_OF_LEVEL else None,
        "reasonCode": [{"coding": [{"system": codes.RISK_CODE, "code": referral["risk_code"]}],
                        "text": referral.get("reason") or referral["risk_code"]}],
        "supportingInfo": [{"reference": f"RiskAssessment/{referral['risk_id']}"}] if referral.get("risk_id") else None,
        "performer": [_org(referral["destination_facility_id"])] if referral.get("destination_facility_id") else None,
        "note": notes or None,
    }
    return {k: v for k, v in resource.items() if v is not None}


def risk_assessment(risk: dict[str, Any]) -> dict[str, Any]:
    """A ``RiskDetected`` event (``model_dump(mode="json")``) -> a RiskAssessment."""
    code = {"coding": [{"system": codes.RISK_CODE, "code": risk["code"]}], "text": risk["code"]}
    evidence = "; ".join(f"{k}={v}" for k, v in sorted((risk.get("evidence") or {}).items()))
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment", "id": str(risk["risk_id"]),
        "extension": [{"url": codes.EXT_RISK, "extension": [
            {"url": "severity", "valueCode": risk["severity"]},
            {"url": "cluster", "valueInteger": risk["cluster"]},
            {"url": "stage", "valueCode": risk["stage"]},
            {"url": "recommended-level", "valueCode": risk["recommended_level"]},
            {"url": "village", "valueCode": codes.village_to_fhir(risk["village_code"])}]}],
        "status": "final", "code": code,
        "method": {"coding": [{"system": f"{codes.JEJARING}/CodeSystem/screening-ruleset",
                               "code": risk["ruleset_version"]}]},
        "subject": {"reference": f"Patient/{risk['person_id']}"},
        "encounter": {"reference": f"Encounter/{risk['visit_id']}"},
        "occurrenceDateTime": risk["occurred_at"] if isinstance(risk["occurred_at"], str) else risk["occurred_at"].isoformat(),
        "performer": _org(risk["facility_id"]),
        "prediction": [{"outcome": code, "qualitativeRisk": {"coding": [
            {"system": codes.RISK_PROBABILITY, "code": codes.RISK_OF_SEVERITY[risk["severity"]]}]}}],
        "mitigation": f"refer to {risk['recommended_level']}",
    }
    if evidence:
        resource["note"] = [{"text": f"evidence: {evidence}"}]
    return resource


def searchset(resources: list[dict[str, Any]], *, self_url: str, next_url: str | None = None) -> dict[str, Any]:
    """A search result Bundle (``type: searchset``) with self and next links; ``total`` on the last page."""
    body: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset",
                            "link": [{"relation": "self", "url": self_url}]}
    if resources:  # FHIR JSON has no empty arrays
        body["entry"] = [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
                         for r in resources]
    if next_url:
        body["link"].append({"relation": "next", "url": next_url})
    return body
