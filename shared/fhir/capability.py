"""The CapabilityStatements of ``GET /fhir/metadata``: exactly what registration and referral support."""

from __future__ import annotations

from typing import Any

from shared.fhir import codes
from shared.fhir.outcome import MAX_BUNDLE_BYTES, MAX_ENCOUNTERS

FHIR_VERSION = "4.0.1"  # R4 on the wire; validated with fhir.resources' R4B models (same shapes here)
DATE = "2026-12-01"
_SECURITY = {"cors": False, "description": "Authorization: Bearer <facility token> (jejaring token issue "
                                           "--facility ID); GET /fhir/metadata needs none",
             "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                      "code": "OAuth", "display": "OAuth"}], "text": "bearer token"}]}
IN_BUNDLE = {
    "Patient": "the visit's person: NIK (https://fhir.kemkes.go.id/id/nik) or a child's mother's NIK (.../nik-ibu), "
               "gender, birthDate, address with the administrativeCode extension (village)",
    "Encounter": "one visit: subject (a Patient in the Bundle), period.start, serviceProvider "
                 "(Organization/<facility_id> or Organization/<satusehat_org_id>), class, identifier",
    "Observation": "measurements by LOINC (and SATUSEHAT's own codes), pointing to their Encounter",
    "QuestionnaireResponse": "screening instruments (TB screening, PUMA, SRQ-20, Barthel ADL, SKILAS, KPSP, SDQ, "
                             "AMT, Mini-Cog, GDS-4, MNA-SF, pre-pregnancy screening, danger signs, obstetric history)",
    "Immunization": "antigens of the national schedule (CVX or KFA vaccine code and dose number)",
    "Condition": "ICD-10 diagnoses and SKDR syndromes",
    "EpisodeOfCare": "type ANC (SATUSEHAT): the Encounter is a standard antenatal contact",
    "Organization": "optional; a serviceProvider may point to it",
}


def _base(name: str, title: str, description: str) -> dict[str, Any]:
    return {"resourceType": "CapabilityStatement", "status": "active", "date": DATE, "publisher": "Jejaring",
            "kind": "instance", "name": name, "title": title, "description": description,
            "software": {"name": "Jejaring"}, "implementation": {"description": title},
            "fhirVersion": FHIR_VERSION, "format": ["json"]}


def registration() -> dict[str, Any]:
    """Registration: POST /fhir with a transaction, batch or collection Bundle of visits."""
    cap = _base("JejaringRegistration", "Jejaring registration: SATUSEHAT-shaped visit intake",
                f"POST [base] with a Bundle of type transaction, batch or collection (at most {MAX_BUNDLE_BYTES} "
                f"bytes, else 413; at most {MAX_ENCOUNTERS} Encounters). Each Encounter and the resources pointing "
                "to it become one visit of the JSON intake. transaction: all or nothing (400 with an "
                "OperationOutcome listing every problem); batch and collection: one answer per entry "
                "(201 Created, 200 OK for a duplicate, 4xx with an OperationOutcome).")
    cap["rest"] = [{
        "mode": "server", "security": _SECURITY,
        "documentation": "Resources are accepted only inside a Bundle posted to the base; none can be read back.",
        "interaction": [{"code": "transaction", "documentation": "all or nothing"},
                        {"code": "batch", "documentation": "each Encounter on its own; collection Bundles alike"}],
        "resource": [{"type": t, "documentation": text} for t, text in IN_BUNDLE.items()],
    }]
    return cap


def referral() -> dict[str, Any]:
    """Referral: ServiceRequest read and search, RiskAssessment search, scoped by the facility token."""
    cap = _base("JejaringReferral", "Jejaring referral: referrals and screening risks",
                "Referrals as ServiceRequest and screening risks as RiskAssessment, for the facilities of the "
                "token (its own and the Pustu/Posyandu under it). Subjects are pseudonymous Patient/<person_id> "
                "references; no NIK or name is ever answered.")
    cap["rest"] = [{"mode": "server", "security": _SECURITY, "resource": [
        {"type": "ServiceRequest",
         "documentation": f"code SNOMED {codes.REFERRAL.code}; status active (made, received, attended), completed, "
                          f"revoked (cancelled); the step in {codes.EXT_REFERRAL_STATUS}; rujuk balik in "
                          f"{codes.EXT_RUJUK_BALIK} and note",
         "interaction": [{"code": "read"}, {"code": "search-type"}],
         "searchParam": [{"name": "status", "type": "token", "documentation": "active | completed | revoked (comma: or)"},
                         {"name": "_lastUpdated", "type": "date", "documentation": "prefixes ge, gt, le, lt"},
                         {"name": "_count", "type": "number", "documentation": "1-500, default 100"}]},
        {"type": "RiskAssessment",
         "documentation": "risks screening found at the visits of the token's facilities",
         "interaction": [{"code": "search-type"}],
         "searchParam": [{"name": "_lastUpdated", "type": "date", "documentation": "occurrence; prefixes ge, gt, le, lt"},
                         {"name": "_count", "type": "number", "documentation": "1-500, default 100"}]},
    ]}]
    return cap
