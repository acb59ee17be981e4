"""Render the kustomizations and validate every object offline, the way the API server would.

    python deploy/k8s/validate.py [overlays/production overlays/dev ...]

Built-in kinds are checked against the Kubernetes OpenAPI schemas shipped by the
``kubernetes-validate`` package (strict: an unknown field is an error, as ``kubectl apply``'s
server-side field validation makes it). Custom resources (Strimzi, KEDA, CloudNativePG and its
Barman Cloud plugin, the Prometheus Operator) are checked against the ``openAPIV3Schema`` of the
operators' own CustomResourceDefinition files, read from the first of these folders that holds
them: ``$JEJARING_CRD_DIR``, then the vendored ``shared/crds`` (its README names versions). Each CRD's
structural schema is turned into JSON Schema here: ``nullable``, ``x-kubernetes-int-or-string`` and
``x-kubernetes-preserve-unknown-fields`` are honoured, and an object that lists its properties
admits no other field (the API server prunes or, with strict field validation, rejects them). CEL
rules (``x-kubernetes-validations``) are not evaluated.

Rendering needs ``kubectl`` (its built-in Kustomize); tests/unit/test_deploy_schemas.py runs this.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TARGETS = ("overlays/production", "overlays/dev", "overlays/production-external-db")
# The Kubernetes releases CloudNativePG 1.30 supports (Strimzi 1.2 and KEDA 2.20 span them too).
KUBERNETES_VERSIONS = ("1.34.0", "1.36.0")


def crd_dirs() -> list[Path]:
    """Where CRD files are looked for, in order."""
    dirs = [Path(p) for p in os.environ.get("JEJARING_CRD_DIR", "").split(os.pathsep) if p]
    return [*dirs, ROOT / "shared" / "crds"]


def render(target: str) -> list[dict[str, Any]]:
    """``kubectl kustomize`` of one folder under deploy/k8s, as objects."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl not installed: it renders the kustomizations")
    result = subprocess.run(
        [kubectl, "kustomize", str(HERE / target)], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {target}: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


# -- CRD schemas -------------------------------------------------------------------------------


def structural_to_jsonschema(node: Any) -> Any:
    """A CRD's OpenAPI v3 structural schema as a strict JSON Schema (draft 2020-12)."""
    if isinstance(node, list):
        return [structural_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("description", "example", "externalDocs", "format", "default") or key.startswith("x-kubernetes-"):
            continue  # formats (int32, date-time) and defaults are the server's business
        if key == "properties":
            out[key] = {name: structural_to_jsonschema(v) for name, v in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = structural_to_jsonschema(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [structural_to_jsonschema(v) for v in value]
        elif key == "nullable":
            continue
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [*out.get("anyOf", []), {"type": "integer"}, {"type": "string"}]
        if len(out["anyOf"]) > 2:  # the CRD's own anyOf already says which; keep it as a whole
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node and not preserve:
        out["additionalProperties"] = False
    return out


@dataclass
class CrdSchemas:
    """JSON Schemas by (apiVersion, kind), read from CustomResourceDefinition files."""

    schemas: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, dirs: Iterable[Path] | None = None) -> "CrdSchemas":
        found = cls()
        for folder in crd_dirs() if dirs is None else dirs:
            for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
                for doc in yaml.safe_load_all(path.read_text()):
                    if doc and doc.get("kind") == "CustomResourceDefinition":
                        found.add(doc, f"{path.name}")
        return found

    def add(self, crd: dict[str, Any], source: str) -> None:
        spec = crd["spec"]
        self.groups.add(spec["group"])
        for version in spec["versions"]:
            key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
            if key in self.schemas or not version.get("served", True):
                continue
            schema = structural_to_jsonschema(version["schema"]["openAPIV3Schema"])
            props = schema.setdefault("properties", {})
            props.pop("metadata", None)  # ObjectMeta: checked below like any object's
            props["metadata"] = {"type": "object"}
            schema["additionalProperties"] = False
            self.schemas[key] = schema
            self.sources[key] = source

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self.schemas


# -- validation --------------------------------------------------------------------------------

OBJECT_META_KEYS = {"name", "namespace", "labels", "annotations", "finalizers", "ownerReferences", "generateName"}


def _errors(validator: Any, doc: dict[str, Any]) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message[:300]}"
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]


def is_custom(doc: dict[str, Any], crds: CrdSchemas) -> bool:
    """True for a custom resource: its API group is not a Kubernetes one."""
    group = doc["apiVersion"].rpartition("/")[0]
    return group in crds.groups or (group and "." in group and not group.endswith(".k8s.io"))


def validate(doc: dict[str, Any], crds: CrdSchemas, kubernetes_version: str = KUBERNETES_VERSIONS[0]) -> list[str]:
    """What is wrong with one rendered object (empty when valid).

    Raises ``LookupError`` for a custom resource whose CRD is not at hand.
    """
    import jsonschema
    import kubernetes_validate

    meta = doc.get("metadata", {})
    problems = [f"metadata.{k}: unknown field" for k in meta if k not in OBJECT_META_KEYS]
    key = (doc["apiVersion"], doc["kind"])
    if is_custom(doc, crds):
        if key not in crds:
            raise LookupError(f"no CRD for {key[1]} ({key[0]}) in {', '.join(map(str, crd_dirs()))}")
        validator = jsonschema.Draft202012Validator(crds.schemas[key])
        return problems + _errors(validator, doc)
    try:
        kubernetes_validate.validate(doc, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        problems.append(f"{'.'.join(str(p) for p in exc.path) or '(root)'}: {exc.message[:300]}")
    return problems


def name_of(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc.get('metadata', {}).get('name', '?')}"


def check(targets: Iterable[str] = TARGETS) -> Iterator[str]:
    """Every problem of every rendered object of ``targets``."""
    crds = CrdSchemas.load()
    for target in targets:
        for doc in render(target):
            for version in KUBERNETES_VERSIONS:
                try:
                    for problem in validate(doc, crds, version):
                        yield f"{target}: {name_of(doc)} (Kubernetes {version}): {problem}"
                except LookupError as exc:
                    yield f"{target}: {name_of(doc)}: not validated, {exc}"
                    break
                if is_custom(doc, crds):
                    break  # a CRD schema does not depend on the Kubernetes version


def main(argv: list[str]) -> int:
    problems = list(check(argv or TARGETS))
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
