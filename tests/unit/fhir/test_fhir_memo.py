"""The Bundle memo (``shared.fhir.bundle.Validated``) against the library: for generated Bundles, the
SATUSEHAT-shaped examples, and both mutated at random, every entry has the verdict, the issues and
the model that ``fhir.resources`` gives the entry's resource on its own."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contracts.intake import IntakeVisit
from shared.fhir import bundle, outbound
from tests.unit.fhir.fhir_visits import visits

EXAMPLES = Path(__file__).parent / "examples"
FACILITY = "PSY1801062001A"

# Values a mutation puts somewhere: wrong types, nulls, empties, near misses of FHIR's formats.
ODD_VALUES = [None, "", " x", "x ", 0, -1, 1.5, 10 ** 30, True, False, [], {}, [None], [{}], {"x": 1},
              {"id": "a"}, {"extension": [{"url": "https://x.example/e", "valueString": "v"}]},
              {"reference": 5}, {"reference": "Patient/p1"}, {"resourceType": "Reference", "reference": "Patient/1"},
              [{"coding": [{"system": "http://loinc.org", "code": "8302-2"}]}],
              {"coding": [{"system": "http://loinc.org", "code": " 8302-2"}]}, "2026-13-45", "2026-11-20T09:15:00",
              "2026-11-20T09:15:00+07:00", "1992-08-05", "final", "finished", "completed", "urn:uuid:x", 52.0, 52]
# Elements a mutation adds: unknown names, the other spelling of a name, a second choice of value[x],
# primitive extensions (whose content the model checks read).
ODD_ELEMENTS = [("foo", 1), ("class_fhir", {"code": "AMB"}), ("valueBoolean", True), ("valueInteger", 3),
                ("valueString", "x"), ("effectiveInstant", "2026-11-20T09:15:00+07:00"), ("resource_type", "Patient"),
                ("_status", {"extension": [{"url": "https://x.example/e", "valueString": "v"}]}), ("_status", {"id": "a"}),
                ("_effectiveDateTime", {"id": "a"}), ("fhir_comments", "c"), ("id", "abc"), ("id", "no spaces allowed"),
                ("meta", {"lastUpdated": "2026-11-20T09:15:00+07:00"}), ("text", None)]


def _places(node: Any, path: tuple = ()) -> list[tuple]:
    """Every place inside a resource: dict keys and list positions, below the top."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            found.append((*path, k))
            found += _places(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found.append((*path, i))
            found += _places(v, (*path, i))
    return found


def _parent(node: Any, path: tuple) -> Any:
    for step in path[:-1]:
        node = node[step]
    return node


@st.composite
def mutated(draw: st.DrawFn, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with a few of its resources changed: an element removed, replaced (by an odd value or
    by an element of another resource), added, or the resource made a copy of another one."""
    body = copy.deepcopy(body)
    entries = body["entry"]
    for _ in range(draw(st.integers(1, 6))):
        entry = draw(st.sampled_from(entries))
        resource = entry["resource"]
        places = [p for p in _places(resource) if p != ("resourceType",)]
        op = draw(st.sampled_from(["delete", "odd", "borrow", "add", "copy", "reorder"]))
        if op == "copy":
            entry["resource"] = copy.deepcopy(draw(st.sampled_from(entries))["resource"])
        elif op == "reorder":
            names = list(resource)
            order = draw(st.permutations(names))
            entry["resource"] = {k: resource[k] for k in order}
        elif op == "add":
            name, value = draw(st.sampled_from(ODD_ELEMENTS))
            resource[name] = copy.deepcopy(value)
        elif places:
            place = draw(st.sampled_from(places))
            parent = _parent(resource, place)
            if op == "delete":
                del parent[place[-1]]
            elif op == "odd":
                parent[place[-1]] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
            else:
                donor = draw(st.sampled_from(entries))["resource"]
                donor_places = _places(donor)
                if donor_places:
                    parent[place[-1]] = copy.deepcopy(_get(donor, draw(st.sampled_from(donor_places))))
    return body


def _get(node: Any, path: tuple) -> Any:
    for step in path:
        node = node[step]
    return node


def assert_as_the_library(body: dict[str, Any]) -> None:
    """Each entry of ``parse`` (with the memo) equals the entry validated alone, without it."""
    wire = json.dumps(body).encode()
    parsed = bundle.parse(wire)
    alone = bundle.parse(json.loads(wire))  # a dict is validated without the memo
    assert [i.as_dict() for i in parsed.problems] == [i.as_dict() for i in alone.problems]
    raw_entries = json.loads(wire)["entry"]
    assert len(parsed.entries) == len(alone.entries)
    # The library's dumps of the model of a resource, by the resource's exact JSON: the model validated
    # from identical JSON dumps identically, so each distinct resource is dumped on the library's side once.
    dumps: dict[str, tuple[str, dict]] = {}
    for ours, theirs, raw in zip(parsed.entries, alone.entries, raw_entries, strict=True):
        expected = bundle._entry(theirs.index, raw.get("fullUrl"), raw.get("resource"))
        assert (ours.resource_type, [i.as_dict() for i in ours.issues]) == \
            (expected.resource_type, [i.as_dict() for i in expected.issues]), raw.get("resource")
        assert (ours.resource is None) == (expected.resource is None)
        if ours.resource is not None:
            assert type(ours.resource) is type(expected.resource)
            assert ours.resource == expected.resource
            assert ours.resource.model_fields_set == expected.resource.model_fields_set
            key = json.dumps(raw["resource"])
            if key not in dumps:
                dumps[key] = (expected.resource.model_dump_json(), expected.resource.model_dump())
            expected_json, expected_dict = dumps[key]
            assert ours.resource.model_dump_json() == expected_json
            assert ours.resource.model_dump() == expected_dict


def _bundle_of(generated: list[dict]) -> dict[str, Any]:
    return outbound.bundle_of([IntakeVisit.model_validate(v).model_dump(mode="json") for v in generated],
                              bundle_type="batch")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(visits(facility_id=FACILITY), min_size=1, max_size=4))
def test_generated_bundles_validate_as_the_library(generated: list[dict]) -> None:
    assert_as_the_library(_bundle_of(generated))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(visits(facility_id=FACILITY), min_size=1, max_size=3), st.data())
def test_mutated_bundles_validate_as_the_library(generated: list[dict], data: st.DataObject) -> None:
    body = _bundle_of(generated)
    body["entry"] = body["entry"] * 2  # every resource seen once before its mutated copy
    assert_as_the_library(data.draw(mutated(body)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(sorted(p.name for p in EXAMPLES.glob("*.json") if not p.name.endswith(".expected.json"))),
       st.data())
def test_mutated_examples_validate_as_the_library(name: str, data: st.DataObject) -> None:
    body = json.loads((EXAMPLES / name).read_text())
    body["entry"] = body["entry"] * 2
    assert_as_the_library(data.draw(mutated(body)))


def test_the_examples_validate_as_the_library() -> None:
    for path in EXAMPLES.glob("*.json"):
        if not path.name.endswith(".expected.json"):
            body = json.loads(path.read_text())
            body["entry"] = body["entry"] * 3
            assert_as_the_library(body)


def test_repeated_resources_take_the_shortcuts(monkeypatch) -> None:  # noqa: ANN001
    """The second visit's resources differ from the first's in identifiers and references only:
    none is validated by its resource model again (each new element by its element model)."""
    visit = {"visit_id": "0b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11", "facility_id": FACILITY,
             "occurred_at": "2026-11-20T09:15:00+07:00", "service_point": "posyandu",
             "person": {"nik": "1801064508920003", "name": "Siti Aminah", "sex": "F", "birth_date": "1992-08-05",
                        "village_code": "18.01.06.2001"},
             "measurements": {"weight_kg": 52.0, "hb_g_dl": 10.2, "cough_weeks": 3}}
    other = {**visit, "visit_id": "1b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11",
             "person": {**visit["person"], "nik": "1801064508920004"}}
    body = outbound.bundle_of([visit, other], bundle_type="batch")
    resources = [e["resource"] for e in body["entry"]]
    half = len(resources) // 2
    memo = bundle.Validated()
    for raw in resources[:half]:
        memo.validate(bundle.model_class(raw["resourceType"]), raw["resourceType"], raw)
    calls: list[str] = []
    for name in {raw["resourceType"] for raw in resources}:
        cls = bundle.model_class(name)
        original = cls.model_validate
        monkeypatch.setattr(cls, "model_validate", lambda data, _o=original, _n=name, **kw: (calls.append(_n), _o(data, **kw))[1])
    models = [memo.validate(bundle.model_class(raw["resourceType"]), raw["resourceType"], raw) for raw in resources[half:]]
    assert calls == []
    monkeypatch.undo()
    assert models == [bundle.model_class(raw["resourceType"]).model_validate(raw) for raw in resources[half:]]


def test_a_dict_body_is_validated_without_the_memo() -> None:
    body = outbound.bundle_of([{"visit_id": "0b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11", "facility_id": FACILITY,
                                "occurred_at": "2026-11-20T09:15:00+07:00", "service_point": "posyandu",
                                "person": {"nik": "1801064508920003", "sex": "F", "birth_date": "1992-08-05",
                                           "village_code": "18.01.06.2001"}}], bundle_type="batch")
    assert all(e.resource is not None for e in bundle.parse(body).entries)
