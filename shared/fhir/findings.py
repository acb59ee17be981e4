"""What an Encounter's linked resources add to its visit: Observations and QuestionnaireResponses (by the
table in ``codes``), Immunizations (antigens) and Conditions (ICD-10 diagnoses, SKDR syndromes)."""

from __future__ import annotations

from typing import Any

from shared.fhir import codes
from shared.fhir.bundle import Entry, ParsedBundle
from shared.fhir.codes import FIELDS, Field
from shared.fhir.draft import Draft
from shared.fhir.outcome import entry_path, error, warning
from shared.fhir.values import ValueError_, item_value, observation_value

USABLE_STATUS = {"Observation": {"final", "amended", "corrected", "preliminary"},
                 "QuestionnaireResponse": {"completed", "amended"}, "Immunization": {"completed"}}
OBSERVATIONS: dict[tuple[str, str], tuple[Field, codes.Variant | None]] = {}
QUESTIONS: dict[str, dict[str, Field]] = {}
for _row in FIELDS:
    if _row.resource == "Observation" and _row.coding and _row.coding.system != codes.OBSERVATION_CATEGORY:
        OBSERVATIONS[(_row.coding.system, _row.coding.code)] = (_row, None)
        for _v in _row.variants:
            OBSERVATIONS[(_v.coding.system, _v.coding.code)] = (_row, _v)
    elif _row.resource == "QuestionnaireResponse" and _row.coding:
        QUESTIONS.setdefault(_row.coding.system, {})[_row.coding.code] = _row


def add_linked(parsed: ParsedBundle, entry: Entry, patient: int | None, v: Draft) -> None:
    r, base = entry.resource, entry_path(entry.index)
    subject = r.patient if entry.resource_type == "Immunization" else r.subject
    if subject is not None and subject.reference and patient is not None and parsed.resolve(subject.reference) != patient:
        element = "patient" if entry.resource_type == "Immunization" else "subject"
        v.issues.append(error("invalid", "refers to another Patient than its Encounter", f"{base}.{element}"))
        return
    status = getattr(r, "status", None)
    allowed = USABLE_STATUS.get(entry.resource_type)
    if allowed is not None and status not in allowed:
        v.issues.append(warning("informational", f"status {status} is not recorded", f"{base}.status"))
        return
    if entry.resource_type == "Observation":
        _observation(r, base, v)
    elif entry.resource_type == "QuestionnaireResponse":
        _questionnaire(r, base, v)
    elif entry.resource_type == "Immunization":
        _immunization(r, base, v)
    else:
        _condition(r, base, v)


def _observation(obs: Any, base: str, v: Draft) -> None:
    imaging = any(c.system == codes.OBSERVATION_CATEGORY and c.code == "imaging"
                  for concept in obs.category or [] for c in concept.coding or [])
    v.imaging |= imaging
    hit = next((OBSERVATIONS[(c.system, c.code)] for c in obs.code.coding or [] if (c.system, c.code) in OBSERVATIONS),
               None)
    if hit is None:
        if any((c.system, c.code) == (codes.PREGNANCY_STATUS.system, codes.PREGNANCY_STATUS.code)
               for c in obs.code.coding or []):
            concept = obs.valueCodeableConcept
            pregnant = any(c.code == codes.PREGNANT.code for c in (concept.coding or [] if concept else []))
            v.set(("pregnancy-status",), pregnant, f"{base}.valueCodeableConcept")
            return
        if not imaging:  # an ultrasound finding counts as the ANC contact's ultrasound
            v.issues.append(warning("not-supported", "this Observation code is not used by Jejaring", f"{base}.code"))
        return
    row, variant = hit
    try:
        value, source = observation_value(obs, row, base)
    except ValueError_ as exc:
        v.issues.append(exc.issue)
        return
    v.set(row.path, value, source)
    if variant is not None and variant.implies is not None:
        v.implied.setdefault(variant.implies[0], (variant.implies[1], f"{base}.code"))


def _questionnaire(qr: Any, base: str, v: Draft) -> None:
    rows = QUESTIONS.get((qr.questionnaire or "").split("|", 1)[0])
    if rows is None:
        v.issues.append(warning("not-supported", "this Questionnaire is not used by Jejaring", f"{base}.questionnaire"))
        return

    def walk(items: list[Any], where: str) -> None:
        for i, item in enumerate(items or []):
            here = f"{where}.item[{i}]"
            row = rows.get(item.linkId)
            if row is not None:
                try:
                    value, source = item_value(item, row, here)
                    v.set(row.path, value, source)
                except ValueError_ as exc:
                    v.issues.append(exc.issue)
            walk(item.item or [], here)

    walk(qr.item or [], base)


def _immunization(imm: Any, base: str, v: Draft) -> None:
    dose = None
    if imm.protocolApplied:
        applied = imm.protocolApplied[0]
        dose = applied.doseNumberPositiveInt
        if dose is None and (applied.doseNumberString or "").isdigit():
            dose = int(applied.doseNumberString)
    antigen = None
    for c in imm.vaccineCode.coding or []:
        if c.system == codes.CVX:
            antigen = codes.antigen_for(c.code, dose)
        elif c.system == codes.KFA:
            found = {a.antigen for a in codes.ANTIGENS if a.kfa and a.kfa.code == c.code and a.dose in (None, dose)}
            antigen = found.pop() if len(found) == 1 else None
        if antigen:
            break
    if antigen is None:
        v.issues.append(error("code-invalid", "vaccineCode (CVX or KFA) with its dose number is no antigen of the "
                                              "national schedule", f"{base}.vaccineCode"))
    else:
        v.append(("immunizations",), antigen, f"{base}.vaccineCode")


def _condition(cond: Any, base: str, v: Draft) -> None:
    status = cond.verificationStatus.coding[0].code if cond.verificationStatus and cond.verificationStatus.coding else None
    if status in ("refuted", "entered-in-error"):
        return
    for c in (cond.code.coding or []) if cond.code else []:
        if c.system == codes.ICD10:
            v.append(("diagnoses",), c.code, f"{base}.code")
            return
        if c.system == codes.SKDR:
            v.append(("syndromes",), c.code, f"{base}.code")
            return
    v.issues.append(warning("not-supported", f"the Condition has no {codes.ICD10} or {codes.SKDR} code", f"{base}.code"))
