"""Reading a request Bundle with ``fhir.resources`` (R4B models, wire-compatible with R4 here).

Over 300 lines because the memo of validated elements must sit beside the parsing it short-cuts, to be
read and checked against it.

The Bundle's envelope is validated without its resources, then every entry's resource on its own,
so one invalid resource is an issue of that entry only (a ``batch`` records the others) and every
problem of a ``transaction`` is listed. References inside the Bundle resolve by ``fullUrl`` or by
``Type/id`` of an entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from fhir_core.types import FhirBase, UriType
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
    seen = Validated() if isinstance(body, (bytes, bytearray, str)) else None  # the memo's keys are exact for JSON
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


_MISSING = object()


@dataclass(frozen=True, slots=True)
class Element:
    """How one JSON element of a resource type validates, for the memo."""

    field: str  # the model's field name
    kind: int  # fields of one kind validate a value alike (the memo's key)
    model: type[FHIRAbstractModel] | None = None  # set when the field is an element model, or a list of one
    many: bool = False  # a list of them


_KINDS: dict[tuple[Any, ...], int] = {}


@cache
def element_names(cls: type[FHIRAbstractModel]) -> dict[str, Element]:
    """JSON element name -> ``Element`` for a model's elements, without the ``_x`` extensions of
    primitives; a name that is also another field's Python name is left out (it could mean either),
    and so is everything when the model would validate a model instance again.

    A field typed as one element model (optional, or a list of them) hands a value to that model's
    own validator, ``fhir_core.types.FhirBase``: a dict is ``Model.model_validate(dict)`` and a
    model instance is taken as it is. Such fields validate a value alike whichever resource holds
    them (``subject`` of an Observation and of a QuestionnaireResponse); any other field is its own kind.
    """
    fields = cls.model_fields
    if cls.model_config.get("revalidate_instances", "never") != "never":
        return {}
    config = repr(sorted(cls.model_config.items()))
    names = {}
    for name, info in fields.items():
        if name.endswith("__ext"):
            continue
        shared = _of_models(info.annotation) and not info.metadata
        kind = _KINDS.setdefault((info.annotation, config) if shared else (cls, name), len(_KINDS))
        model, many = _element_model(info.annotation) if shared else (None, False)
        names[info.alias or name] = Element(name, kind, model, many)
    return {key: value for key, value in names.items() if key == value.field or key not in fields}


def _of_models(annotation: Any) -> bool:
    """Whether a field's type is made of element models only (optional, lists, unions of them)."""
    if isinstance(annotation, type):
        return annotation is type(None) or issubclass(annotation, FhirBase)
    args = get_args(annotation)
    return get_origin(annotation) in (list, Union, UnionType) and bool(args) and all(_of_models(a) for a in args)


def _element_model(annotation: Any) -> tuple[type[FHIRAbstractModel] | None, bool]:
    """The model behind ``T``, ``T | None``, ``list[T]`` or ``list[T] | None`` for a plain element
    type ``T`` (one whose validator is ``FhirBase``'s own), and whether it is the list."""
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            return None, False
        annotation = args[0]
    many = get_origin(annotation) is list
    if many:
        (annotation,) = get_args(annotation)
    plain = (isinstance(annotation, type) and issubclass(annotation, FhirBase)
             and annotation.fhir_model_validator.__func__ is FhirBase.fhir_model_validator.__func__
             and annotation.__get_pydantic_core_schema__.__func__ is FhirBase.__get_pydantic_core_schema__.__func__)
    return (annotation.get_model_klass(), many) if plain else (None, False)


class Validated:
    """The elements of one Bundle already validated, so that repeated ones are not validated again.

    The resources of a Bundle repeat their elements: every Observation of a kind has the same
    ``code`` and ``category``, every resource of a visit the same ``subject``, ``encounter`` and
    time, often the same ``status`` and value. ``fhir.resources`` validates each again every time
    (most of the cost of a Bundle). This memo maps an element's JSON (its ``repr``: type-exact, so
    ``1``, ``1.0`` and ``true`` differ), per kind of field (``element_names``), to the value the
    library made of it. Three uses, each giving the library's own verdict and model:

    - A resource with some elements seen before is validated by the library with those elements'
      models in place of their JSON (a model is taken as it is): the rest is validated as usual,
      and any error is the library's with its location.
    - A resource with the element names of one that validated (its *shape*), each element either
      seen before or an element model's JSON that this model validates on its own, is that
      resource's model copied with these values. The library's verdict cannot differ: its field
      validators are per element and deterministic (an element model's field validates a dict by
      that model's ``model_validate``, which is called here instead); its model checks look only at
      which elements are present and not null (the choice ``value[x]``, the required ones), which
      the shape fixes, and at nulls inside lists, which a validated element has none of. The
      ``_x`` extensions of primitives, whose content those checks read, keep a resource out of the
      memo and the shapes. When anything fails here, the library validates the resource.
    - Only elements of resources (or element models) that validated are remembered, and only for
      decoded JSON (the ``repr`` keys are exact for JSON's types).

    ``tests/unit/fhir/test_fhir_memo.py`` checks this against the library on generated and mutated
    Bundles.
    """

    def __init__(self) -> None:
        self._values: dict[tuple[int, str], Any] = {}
        self._shapes: dict[tuple[str, tuple[str, ...]], FHIRAbstractModel] = {}

    def validate(self, cls: type[FHIRAbstractModel], rtype: str, raw: dict[str, Any]) -> FHIRAbstractModel:
        """``raw`` as ``cls``, exactly as ``cls.model_validate(raw)`` (raises its ValidationError)."""
        names = element_names(cls)
        keys: dict[str, tuple[int, str]] = {}
        known: dict[str, Any] = {}
        plain = raw.get("resourceType") == cls.get_resource_type()  # and element names only
        try:
            for name, value in raw.items():
                element = names.get(name)
                if element is None:
                    plain &= name == "resourceType"
                    continue
                key = keys[name] = (element.kind, repr(value))
                hit = self._values.get(key, _MISSING)
                if hit is not _MISSING:
                    known[name] = hit
        except RecursionError:  # nested too deep to be keyed: the library's own verdict
            return cls.model_validate(raw)
        shape = (rtype, tuple(keys))
        if plain and (template := self._shapes.get(shape)) is not None:
            fresh = self._elements(names, raw, [name for name in keys if name not in known])
            if fresh is not None:
                for name, value in fresh.items():
                    self._values[keys[name]] = value
                known.update(fresh)
                return template.model_copy(update={names[n].field: list(v) if isinstance(v, list) else v
                                                   for n, v in known.items()})
        data = dict(raw)
        for name, value in known.items():
            if isinstance(value, FHIRAbstractModel) or (
                    isinstance(value, list) and value and all(isinstance(v, FHIRAbstractModel) for v in value)):
                data[name] = value
        resource = cls.model_validate(data)
        if plain:
            values = {name: getattr(resource, names[name].field) for name in keys}
            for name, key in keys.items():
                if values[name] is not None:
                    self._values.setdefault(key, values[name])
            if all(v is not None for v in values.values()):
                self._shapes.setdefault(shape, resource.model_copy())  # a copy: the entry's own may change
        return resource

    @staticmethod
    def _elements(names: dict[str, Element], raw: dict[str, Any], missing: list[str]) -> dict[str, Any] | None:
        """The elements not seen before validated by their element models, or None if any is not
        one or does not validate (the library then validates the resource, for its errors)."""
        out = {}
        try:
            for name in missing:
                element, value = names[name], raw[name]
                if element.model is None:
                    return None
                if element.many:
                    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                        return None
                    out[name] = [element.model.model_validate(v) for v in value]
                elif isinstance(value, dict):
                    out[name] = element.model.model_validate(value)
                else:
                    return None
        except ValidationError:
            return None
        return out


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
        entry.resource = seen.validate(cls, rtype, raw) if seen is not None else cls.model_validate(raw)
    except ValidationError as exc:
        entry.issues += _issues_of(exc, base)
    return entry
