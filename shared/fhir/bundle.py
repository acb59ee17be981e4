"""Reading a request Bundle with ``fhir.resources`` (R4B models, wire-compatible with R4 here).

The Bundle's envelope is validated without its resources, then every entry's resource on its own,
so one invalid resource is an issue of that entry only (a ``batch`` records the others) and every
problem of a ``transaction`` is listed. References inside the Bundle resolve by ``fullUrl`` or by
``Type/id`` of an entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from fhir_core.types import UriType
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from shared.fhir.outcome import (
    MAX_BUNDLE_BYTES,
    MAX_ENCOUNTERS,
    Issue,
    entry_path,
    error,
    from_loc,
)

BUNDLE_TYPES = ("transaction", "batch", "collection")
_URIS = TypeAdapter(list[UriType | None])
_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z]{0,63}$")  # echoed in an issue only when it looks like a type name


class BundleMessage(BaseModel):
    """A request Bundle as the intake takes it (``POST /fhir``, ``ilp.intake.fhir.v1``): described
    for the AsyncAPI document; validated by ``fhir.resources``, not by this model."""

    resourceType: Literal["Bundle"]  # noqa: N815 - FHIR's element name
    type: Literal["transaction", "batch", "collection"]
    entry: list[dict[str, Any]] = Field(description="Patient, Encounter, Observation, EpisodeOfCare, Immunization, "
                                                    "Condition, QuestionnaireResponse resources (docs/fhir.md)")


@dataclass
class Entry:
    """One request entry: its position, fullUrl, validated resource (None if invalid) and issues."""

    index: int
    full_url: str | None
    resource_type: str | None
    resource: Any = None
    raw: Any = None
    issues: list[Issue] = field(default_factory=list)


@dataclass
class ParsedBundle:
    """A Bundle whose envelope is valid (``problems`` empty) and whose entries are validated one by one."""

    type: str | None
    entries: list[Entry]
    problems: list[Issue]
    status: int = 400  # the HTTP status when ``problems`` is not empty
    by_reference: dict[str, int] = field(default_factory=dict)

    def resolve(self, reference: str | None) -> int | None:
        """The entry index a reference points to inside this Bundle, or None."""
        if not reference:
            return None
        hit = self.by_reference.get(reference)
        if hit is None and "/" in reference and not reference.startswith("urn:"):
            hit = self.by_reference.get("/".join(reference.rstrip("/").split("/")[-2:]))
        return hit


def _issues_of(exc: ValidationError, base: str) -> list[Issue]:
    issues = []
    for e in exc.errors(include_url=False, include_input=False):
        code = "required" if e["type"] == "missing" else "structure" if e["type"] == "extra_forbidden" else "value"
        if e["type"] == "fhir-validation-wrong-resource-type":
            code = "invalid"
        msg = " ".join(e["msg"].split())
        issues.append(error(code, msg, from_loc(base, e["loc"])))
    return issues


def model_class(resource_type: Any) -> type[FHIRAbstractModel] | None:
    """The R4B model of a resource type name, or None when it is no FHIR resource."""
    if not isinstance(resource_type, str) or not resource_type[:1].isupper():
        return None
    try:
        cls = get_fhir_model_class(resource_type)
    except (ValueError, KeyError):
        return None
    return cls if cls.has_resource_base() else None


def load(body: bytes | str | dict) -> tuple[Any, list[Issue], int]:
    """The decoded JSON of a body, or the issues and HTTP status of why it cannot be read."""
    if isinstance(body, (bytes, bytearray, str)):
        if len(body) > MAX_BUNDLE_BYTES:
            return None, [error("too-costly", f"the body has {len(body)} bytes; the limit is {MAX_BUNDLE_BYTES}")], 413
        try:
            return json.loads(body), [], 200
        except (ValueError, UnicodeDecodeError):
            return None, [error("structure", "the body is not JSON")], 400
    return body, [], 200


def parse(body: bytes | str | dict) -> ParsedBundle:
    """Validate a request Bundle: the envelope whole, then each entry's resource."""
    data, problems, status = load(body)
    if problems:
        return ParsedBundle(None, [], problems, status)
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        got = data.get("resourceType") if isinstance(data, dict) else None
        text = f"expected a Bundle, got resourceType {got!r}" if model_class(got) else "expected a Bundle"
        return ParsedBundle(None, [], [error("invalid", text, "Bundle.resourceType" if isinstance(data, dict) else None)])
    raw_entries = data.get("entry", [])
    if not isinstance(raw_entries, list):
        return ParsedBundle(None, [], [error("structure", "entry must be a list", "Bundle.entry")])
    try:
        bundle = _envelope(data, raw_entries)
    except ValidationError as exc:
        return ParsedBundle(None, [], _issues_of(exc, "Bundle"))
    if bundle.type not in BUNDLE_TYPES:
        return ParsedBundle(bundle.type, [], [error("not-supported", f"Bundle.type must be one of {', '.join(BUNDLE_TYPES)}",
                                                    "Bundle.type")])
    seen = Validated()
    entries = [_entry(i, e.get("fullUrl"), e.get("resource"), seen) for i, e in enumerate(raw_entries)]
    encounters = sum(1 for e in entries if e.resource_type == "Encounter")
    if encounters > MAX_ENCOUNTERS:
        return ParsedBundle(bundle.type, [], [error("too-costly", f"{encounters} Encounters; at most {MAX_ENCOUNTERS} "
                                                    "in one Bundle", "Bundle.entry")])
    parsed = ParsedBundle(bundle.type, entries, [])
    for entry in entries:
        if entry.full_url:
            parsed.by_reference.setdefault(entry.full_url, entry.index)
        rid = getattr(entry.resource, "id", None)
        if entry.resource_type and rid:
            parsed.by_reference.setdefault(f"{entry.resource_type}/{rid}", entry.index)
        if entry.full_url and not entry.full_url.startswith("urn:") and entry.full_url.count("/") >= 1:
            parsed.by_reference.setdefault("/".join(entry.full_url.rstrip("/").split("/")[-2:]), entry.index)
    return parsed


def _envelope(data: dict[str, Any], raw_entries: list[Any]) -> Any:
    """The Bundle validated without its resources.

    Entries differ only in ``fullUrl`` as a rule (``request`` repeats per resource type), so each
    distinct entry skeleton is validated once and the fullUrls together with the library's ``uri``
    type; when anything is invalid the whole envelope is validated again, entry by entry, for exact
    error locations. Same verdict, a fraction of the time for large Bundles.
    """
    model = get_fhir_model_class("Bundle")
    if all(isinstance(e, dict) for e in raw_entries):
        distinct: dict[str, dict[str, Any]] = {}
        for e in raw_entries:
            skeleton = {k: v for k, v in e.items() if k not in ("resource", "fullUrl")}
            distinct.setdefault(json.dumps(skeleton, sort_keys=True, default=str), skeleton)
        try:
            bundle = model.model_validate({**data, "entry": list(distinct.values())})
            _URIS.validate_python([e.get("fullUrl") for e in raw_entries])
            return bundle
        except ValidationError:
            pass
    return model.model_validate({**data, "entry": [{k: v for k, v in e.items() if k != "resource"}
                                                   if isinstance(e, dict) else e for e in raw_entries]})


class Validated:
    """The elements of one Bundle already validated, to hand the library again instead of their JSON.

    The resources of a Bundle repeat their elements: every Observation of a kind has the same
    ``code`` and ``category``, every resource of a visit the same ``subject`` and ``encounter``.
    ``fhir.resources`` validates a nested element again each time (most of the cost of a Bundle);
    given an element's already validated model instead of its dict, it takes it as it is (its own
    rule for a value that is already a model). So a top-level element of a resource whose JSON equals
    one validated before in the same Bundle is replaced by that model; verdicts and error locations
    stay the library's (an invalid element is never remembered).
    """

    def __init__(self) -> None:
        self._models: dict[tuple[str, str, str], Any] = {}

    @staticmethod
    def _key(rtype: str, name: str, value: Any) -> tuple[str, str, str] | None:
        if isinstance(value, dict) or (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
            return rtype, name, json.dumps(value, sort_keys=True, separators=(",", ":"))
        return None

    def substitute(self, rtype: str, raw: dict[str, Any]) -> dict[str, Any]:
        """``raw`` with each top-level element validated before replaced by its model."""
        out = dict(raw)
        for name, value in raw.items():
            key = self._key(rtype, name, value)
            if key is not None and key in self._models:
                out[name] = self._models[key]
        return out

    def remember(self, rtype: str, raw: dict[str, Any], resource: Any) -> None:
        """After a resource validated: its top-level elements' models, by their JSON."""
        for name, value in raw.items():
            key = self._key(rtype, name, value)
            model = getattr(resource, name, None) if key is not None else None
            if model is not None and key not in self._models:
                self._models[key] = model


def _entry(index: int, full_url: str | None, raw: Any, seen: Validated | None = None) -> Entry:
    base = entry_path(index)
    if raw is None:
        return Entry(index, full_url, None, issues=[error("required", "the entry has no resource", base)])
    rtype = raw.get("resourceType") if isinstance(raw, dict) else None
    cls = model_class(rtype)
    entry = Entry(index, full_url, rtype if cls else None, raw=raw)
    if cls is None:
        text = (f"unknown resourceType {rtype!r}" if isinstance(rtype, str) and _TYPE_NAME.match(rtype)
                else "the resource has no valid resourceType")
        entry.issues.append(error("invalid", text, f"{base}.resourceType"))
        return entry
    try:
        entry.resource = cls.model_validate(seen.substitute(rtype, raw) if seen is not None else raw)
    except ValidationError as exc:
        entry.issues += _issues_of(exc, base)
        return entry
    if seen is not None:
        seen.remember(rtype, raw, entry.resource)
    return entry
