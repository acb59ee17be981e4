"""A SATUSEHAT-shaped Bundle -> intake visit dicts, exactly in the JSON intake's shape.

Each ``Encounter`` with the resources that point to it (Observation, Condition, Immunization,
QuestionnaireResponse) and the ones it points to (its Patient, its EpisodeOfCare) becomes one visit
dict, validated as ``IntakeVisit``; every problem is an issue with its FHIRPath. ``sources`` remember
where each intake field came from, so registration's own field errors land on the right element.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from shared.contracts.intake import IntakeVisit
from shared.fhir import codes
from shared.fhir.bundle import Entry, ParsedBundle, parse
from shared.fhir.codes import BY_PATH
from shared.fhir.draft import Draft
from shared.fhir.findings import add_linked
from shared.fhir.outcome import Issue, entry_path, error, errors_as_issues, warning
from shared.fhir.patient import person

Resolver = Callable[[str], str | None]
VISIT_NS = uuid.UUID("3d0c5f1e-8b7a-4e3c-9f21-6a4d2b1c0e57")
LINKED = ("Observation", "Condition", "Immunization", "QuestionnaireResponse")
_LABEL = re.compile(r"^K([0-9]{1,2})[A-Z]?$")



def visit_id_for(facility_id: str, encounter_key: str) -> str:
    """The visit id of an Encounter: UUIDv5 of the facility and the Encounter's identifier or id."""
    return str(uuid.uuid5(VISIT_NS, f"{facility_id}|{encounter_key}"))


@dataclass
class MappedVisit:
    """One Encounter's visit: the intake dict (None when any issue blocks it) and its entries."""

    index: int
    full_url: str | None
    visit: dict[str, Any] | None
    issues: list[Issue]
    entries: set[int]
    sources: dict[tuple[str, ...], str] = field(default_factory=dict)

    @property
    def expression(self) -> str:
        return entry_path(self.index)


@dataclass
class Mapping:
    """The mapped Bundle: its visits and the issues of entries no visit uses."""

    bundle: ParsedBundle
    visits: list[MappedVisit]
    unused: dict[int, list[Issue]]

    @property
    def problems(self) -> list[Issue]:
        return self.bundle.problems

    def blocking(self) -> list[Issue]:
        """Every error of the Bundle (what makes a transaction fail)."""
        found = [i for v in self.visits for i in v.issues] + [i for issues in self.unused.values() for i in issues]
        return [i for i in dict.fromkeys(found) if i.blocking]


def map_bundle(body: bytes | str | dict, *, resolve_organization: Resolver,
               facility_type: Resolver | None = None) -> Mapping:
    """Map a request Bundle; ``resolve_organization(id)`` gives the facility_id of ``Organization/<id>``
    (a facility_id or a satusehat_org_id) or None; ``facility_type(facility_id)`` its type, if known."""
    parsed = parse(body)
    if parsed.problems:
        return Mapping(parsed, [], {})
    attached: dict[int, list[Entry]] = {}
    unused: dict[int, list[Issue]] = {}
    used: set[int] = set()
    for entry in parsed.entries:
        if entry.resource_type == "Encounter" or entry.resource_type in ("Patient", "EpisodeOfCare", "Organization"):
            continue
        if entry.resource_type not in LINKED:
            unused[entry.index] = entry.issues or [
                warning("not-supported", f"{entry.resource_type or 'the resource'} is not used by Jejaring",
                        entry_path(entry.index))]
            continue
        raw = entry.raw.get("encounter") if isinstance(entry.raw, dict) else None
        ref = raw.get("reference") if isinstance(raw, dict) else None
        target = parsed.resolve(ref)
        if target is None or parsed.entries[target].resource_type != "Encounter":
            text = f"{entry.resource_type} must refer to its Encounter" if not ref else \
                f"encounter {ref} is not an Encounter in the Bundle"
            unused[entry.index] = entry.issues + [error("required" if not ref else "not-found", text,
                                                        entry_path(entry.index, "encounter"))]
            continue
        attached.setdefault(target, []).append(entry)
    visits = []
    for entry in parsed.entries:
        if entry.resource_type == "Encounter":
            mapped = _map_visit(parsed, entry, attached.get(entry.index, []), resolve_organization, facility_type)
            used |= mapped.entries
            visits.append(mapped)
    for entry in parsed.entries:
        if entry.index not in used and entry.index not in unused and entry.resource_type != "Encounter":
            unused[entry.index] = entry.issues or [
                warning("not-supported", f"{entry.resource_type} is not referred to by any Encounter",
                        entry_path(entry.index))]
    return Mapping(parsed, visits, unused)


def _map_visit(parsed: ParsedBundle, entry: Entry, linked: list[Entry], resolve: Resolver,
               facility_type: Resolver | None) -> MappedVisit:
    v = Draft()
    mapped = MappedVisit(entry.index, entry.full_url, None, v.issues, {entry.index} | {e.index for e in linked})
    v.issues += entry.issues
    for other in linked:
        v.issues += other.issues
    enc = entry.resource
    if enc is not None:
        patient = _encounter(parsed, entry.index, enc, v, mapped, resolve, facility_type)
        for other in linked:
            if other.resource is not None:
                add_linked(parsed, other, patient, v)
        _pregnancy(parsed, entry.index, enc, v, mapped)
    mapped.sources = v.sources
    if any(i.blocking for i in v.issues):
        return mapped
    visit = v.as_dict()
    try:
        IntakeVisit.model_validate(visit)
    except ValidationError as exc:
        errors = [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors(include_url=False, include_input=False)]
        v.issues += errors_as_issues(errors, v.sources, entry_path(entry.index))
        return mapped
    mapped.visit = visit
    return mapped


def _encounter(parsed: ParsedBundle, index: int, enc: Any, v: Draft, mapped: MappedVisit, resolve: Resolver,
               facility_type: Resolver | None) -> int | None:
    """Visit fields of the Encounter; returns the Patient's entry index."""
    base = entry_path(index)
    if enc.status in ("planned", "cancelled", "entered-in-error"):
        v.issues.append(error("business-rule", f"an Encounter with status {enc.status} is no visit", f"{base}.status"))
    start = enc.period.start if enc.period else None
    if start is None:
        v.issues.append(error("required", "the visit's time is Encounter.period.start", f"{base}.period.start"))
    elif not isinstance(start, datetime) or start.tzinfo is None:
        v.issues.append(error("value", "period.start needs a time with UTC offset", f"{base}.period.start"))
    else:
        v.set(("occurred_at",), start.isoformat(), f"{base}.period.start")
    facility = _facility(parsed, index, enc, v, mapped, resolve)
    key = _encounter_key(enc)
    if key is None:
        v.issues.append(error("required", "an Encounter needs an identifier (or id) to derive the visit id",
                              f"{base}.identifier"))
    elif facility is not None:
        v.set(("visit_id",), visit_id_for(facility, key), f"{base}.identifier")
    v.set(("service_point",), _service_point(enc, facility, facility_type), f"{base}.class")
    for i, ident in enumerate(enc.identifier or []):
        if ident.system == codes.ANC_LABEL:
            match = _LABEL.match(ident.value or "")
            if match is None:
                v.issues.append(error("value", "an ANC visit label looks like K1A, K1M, K2 ... K6",
                                      f"{base}.identifier[{i}].value"))
            else:
                v.set(("pregnancy", "anc_visit_number"), int(match.group(1)), f"{base}.identifier[{i}].value")
    return _patient(parsed, index, enc, v, mapped)


def _encounter_key(enc: Any) -> str | None:
    for ident in enc.identifier or []:
        if ident.value and ident.system != codes.ANC_LABEL:
            return f"{ident.system or ''}|{ident.value}"
    return f"Encounter/{enc.id}" if enc.id else None


def _facility(parsed: ParsedBundle, index: int, enc: Any, v: Draft, mapped: MappedVisit,
              resolve: Resolver) -> str | None:
    where = entry_path(index, "serviceProvider")
    ref = enc.serviceProvider.reference if enc.serviceProvider else None
    if not ref:
        v.issues.append(error("required", "an Encounter needs serviceProvider: Organization/<facility_id> or "
                                          "Organization/<satusehat_org_id>", where))
        return None
    org_id = ref.split("/", 1)[1] if ref.startswith("Organization/") else None
    target = parsed.resolve(ref)
    if target is not None and parsed.entries[target].resource_type == "Organization":
        mapped.entries.add(target)
        org_id = getattr(parsed.entries[target].resource, "id", None) or org_id
    facility = resolve(org_id) if org_id else None
    if facility is None:
        v.issues.append(error("not-found", f"serviceProvider {ref} is no registered facility "
                                           "(facility_id or satusehat_org_id)", where))
        return None
    v.set(("facility_id",), facility, where)
    return facility


def _service_point(enc: Any, facility: str | None, facility_type: Resolver | None) -> str:
    points = set(codes.CLASS_OF_SERVICE_POINT)
    for concept in enc.type or []:
        for c in concept.coding or []:
            if c.system == codes.SERVICE_POINT and c.code in points:
                return c.code
    klass = enc.class_fhir.code if enc.class_fhir else None
    if klass == "HH":
        return "home_visit"
    if klass == "FLD":
        return "posyandu"
    kind = facility_type(facility) if facility and facility_type else None
    return kind if kind in points else "puskesmas"


def _patient(parsed: ParsedBundle, index: int, enc: Any, v: Draft, mapped: MappedVisit) -> int | None:
    where = entry_path(index, "subject")
    ref = enc.subject.reference if enc.subject else None
    target = parsed.resolve(ref)
    if not ref:
        v.issues.append(error("required", "an Encounter needs subject: a Patient in the Bundle", where))
        return None
    if target is None or parsed.entries[target].resource_type != "Patient":
        v.issues.append(error("not-found", f"subject {ref} is not a Patient in the Bundle", where))
        return None
    mapped.entries.add(target)
    entry = parsed.entries[target]
    v.issues.extend(entry.issues)
    if entry.resource is not None:
        person(target, entry.resource, v)
    return target


def _pregnancy(parsed: ParsedBundle, index: int, enc: Any, v: Draft, mapped: MappedVisit) -> None:
    base = entry_path(index)
    status = v.values.pop(("pregnancy-status",), None)
    status_source = v.sources.pop(("pregnancy-status",), None)
    anc_episode = False
    for i, ref in enumerate(enc.episodeOfCare or []):
        target = parsed.resolve(ref.reference)
        if target is None or parsed.entries[target].resource_type != "EpisodeOfCare":
            v.issues.append(warning("not-found", "episodeOfCare is not in the Bundle; an ANC contact is taken from "
                                                 "the ANC visit label", f"{base}.episodeOfCare[{i}]"))
            continue
        mapped.entries.add(target)
        episode = parsed.entries[target]
        v.issues.extend(episode.issues)
        anc_episode |= episode.resource is not None and any(
            c.system == codes.ANC_EPISODE.system and c.code == codes.ANC_EPISODE.code
            for t in episode.resource.type or [] for c in t.coding or [])
    anc = anc_episode or ("pregnancy", "anc_visit_number") in v.values
    has_pregnancy = any(p[0] == "pregnancy" for p in v.values)
    weeks = ("pregnancy", "gestational_weeks") in v.values
    if status is False and weeks:
        v.issues.append(error("conflict", "pregnancy status is not pregnant but a gestational age is given",
                              status_source))
    if (status or anc_episode or has_pregnancy) and not weeks:
        v.issues.append(error("required", "a pregnancy needs its gestational age (Observation LOINC 18185-9)",
                              status_source or base))
        return
    if not anc:
        return
    by = _occupation(enc, base)
    if by is None:
        v.issues.append(warning("incomplete", "an ANC contact needs the attending health worker's occupation "
                                              "(SNOMED) in Encounter.participant.type; not counted as one",
                                f"{base}.participant"))
        return
    v.set(("pregnancy", "anc"), {"by": by[0], "ultrasound": v.imaging}, by[1])


def _occupation(enc: Any, base: str) -> tuple[str, str] | None:
    row = BY_PATH[("pregnancy", "anc", "by")]
    for i, participant in enumerate(enc.participant or []):
        for concept in participant.type or []:
            for c in concept.coding or []:
                for value, answer in row.answers:
                    if (c.system, c.code) == (answer.system, answer.code):
                        return value, f"{base}.participant[{i}].type"
    return None
