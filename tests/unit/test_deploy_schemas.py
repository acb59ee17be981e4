"""Every object the overlays render is valid for the API server: Kubernetes and CRD schemas, offline.

Built-in kinds: the Kubernetes schemas of the ``kubernetes-validate`` package, strict (unknown fields
are errors). Custom resources: the operators' CRDs (Strimzi, KEDA, CloudNativePG and its Barman
Cloud plugin, the Prometheus Operator), found as deploy/k8s/validate.py says; a kind whose CRD is
not at hand is skipped by name, never passed.
"""

from __future__ import annotations

import copy
import importlib.util
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("deploy_validate", ROOT / "deploy" / "k8s" / "validate.py")
assert spec and spec.loader
validate_module = importlib.util.module_from_spec(spec)
sys.modules["deploy_validate"] = validate_module
spec.loader.exec_module(validate_module)

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
# What the overlays use, by operator: each must be validated wherever its CRD is at hand.
CUSTOM_KINDS = {
    "Strimzi": {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"},
    "KEDA": {"ScaledObject", "TriggerAuthentication"},
    "CloudNativePG": {"Cluster", "ScheduledBackup", "ObjectStore"},
    "Prometheus Operator": {"ServiceMonitor", "PrometheusRule"},
}


@cache
def crds() -> Any:
    return validate_module.CrdSchemas.load()


@cache
def rendered(target: str) -> list[dict[str, Any]]:
    return validate_module.render(target)


def kinds(target: str) -> list[tuple[str, str]]:
    return sorted({(d["apiVersion"], d["kind"]) for d in rendered(target)})


@needs_kubectl
def test_overlays_use_only_known_kinds() -> None:
    custom = set().union(*CUSTOM_KINDS.values())
    for target in validate_module.TARGETS:
        for api_version, kind in kinds(target):
            if validate_module.is_custom({"apiVersion": api_version, "kind": kind}, crds()):
                assert kind in custom, f"{target}: {kind} ({api_version}) belongs to no operator listed here"


@needs_kubectl
@pytest.mark.parametrize("target", validate_module.TARGETS)
@pytest.mark.parametrize("version", validate_module.KUBERNETES_VERSIONS)
def test_built_in_objects_match_the_kubernetes_schemas(target: str, version: str) -> None:
    problems = []
    for doc in rendered(target):
        if not validate_module.is_custom(doc, crds()):
            problems += [f"{validate_module.name_of(doc)}: {p}" for p in validate_module.validate(doc, crds(), version)]
    assert not problems, "\n".join(problems)


@needs_kubectl
@pytest.mark.parametrize("target", validate_module.TARGETS)
@pytest.mark.parametrize("operator", sorted(CUSTOM_KINDS))
def test_custom_resources_match_their_crds(target: str, operator: str) -> None:
    docs = [d for d in rendered(target) if d["kind"] in CUSTOM_KINDS[operator] and validate_module.is_custom(d, crds())]
    if not docs:
        pytest.skip(f"{target} has no {operator} resources")
    missing = sorted({d["kind"] for d in docs if (d["apiVersion"], d["kind"]) not in crds()})
    if missing:
        pytest.skip(f"{operator} CRDs for {', '.join(missing)} not found in "
                    f"{', '.join(map(str, validate_module.crd_dirs()))} (deploy/k8s/validate.py)")
    problems = []
    for doc in docs:
        problems += [f"{validate_module.name_of(doc)}: {p}" for p in validate_module.validate(doc, crds())]
    assert not problems, "\n".join(problems)


# -- the validator itself ------------------------------------------------------------------------

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.org"},
    "spec": {
        "group": "example.org",
        "names": {"kind": "Widget"},
        "versions": [{
            "name": "v1",
            "served": True,
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                    "spec": {
                        "type": "object",
                        "required": ["size"],
                        "properties": {
                            "size": {"type": "integer", "format": "int32"},
                            "port": {"x-kubernetes-int-or-string": True},
                            "note": {"type": "string", "nullable": True},
                            "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                    },
                },
            }},
        }],
    },
}


def widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_the_crd_conversion_is_strict_where_the_api_server_is() -> None:
    schemas = validate_module.CrdSchemas()
    schemas.add(copy.deepcopy(CRD), "test")
    check = lambda doc: validate_module.validate(doc, schemas)  # noqa: E731
    assert check(widget(size=1, port="http", note=None, config={"any": {"thing": 1}}, labels={"a": "b"})) == []
    assert check(widget(size=1, port=8080)) == []
    assert check(widget(size=1, sise=2)), "an unknown field is an error"
    assert check(widget(size="one")), "a wrong type is an error"
    assert check(widget()), "a required field is required"
    assert check(widget(size=1, port=1.5)), "int-or-string admits neither floats nor objects"
    assert check(widget(size=1, labels={"a": 1}))
    assert check({**widget(size=1), "status": {}}), "no field beside the schema's at the top either"
    bad_meta = widget(size=1)
    bad_meta["metadata"]["lables"] = {}
    assert check(bad_meta), "metadata is checked too"
    with pytest.raises(LookupError):
        validate_module.validate({"apiVersion": "example.org/v2", "kind": "Widget", "metadata": {"name": "w"}}, schemas)


def test_built_in_kinds_are_checked_strictly() -> None:
    pod_ok = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}
    assert validate_module.validate(pod_ok, validate_module.CrdSchemas()) == []
    pod_bad = {**pod_ok, "dta": {"a": "b"}}
    assert validate_module.validate(pod_bad, validate_module.CrdSchemas())
