"""The admin pod (deploy/k8s/components/admin): every service's database, the broker and each service
within reach, as the commands need, with no more than they need, in every overlay."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.contracts.topics import CATALOGUE, dlq_topic
from shared.settings import DEFAULT_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[1].parent
K8S = ROOT / "deploy" / "k8s"
ADMIN = K8S / "components" / "admin"
CONSUMERS = sorted({s for t in CATALOGUE for s in t.consumers})


def docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def pod(cronjob: dict[str, Any]) -> dict[str, Any]:
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def env(cronjob: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (container,) = pod(cronjob)["containers"]
    return {e["name"]: e for e in container["env"]}


def test_the_admin_kafka_user_is_generated_from_the_catalogue() -> None:
    spec = importlib.util.spec_from_file_location("generate_kafka", K8S / "kafka" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    assert (ADMIN / "kafka-user.yaml").read_text() == generate.admin_user_yaml(), \
        "stale: run python deploy/k8s/kafka/generate.py"


def test_the_admin_user_may_do_what_the_commands_do_and_no_more() -> None:
    (user,) = docs(ADMIN / "kafka-user.yaml")
    assert user["metadata"]["name"] == "jejaring-admin"
    rules = set()
    for acl in user["spec"]["authorization"]["acls"]:
        assert acl["resource"]["patternType"] == "literal" and acl["resource"]["name"] != "*"
        rules |= {(acl["resource"]["type"], acl["resource"]["name"], op) for op in acl["operations"]}
    topics = [t.name for t in CATALOGUE] + [dlq_topic(t.name, s) for t in CATALOGUE for s in t.consumers]
    need = {("group", s, "Describe") for s in CONSUMERS}  # status: lag
    need |= {("group", f"{s}-dlq", op) for s in CONSUMERS for op in ("Read", "Describe")}  # dlq: commit
    need |= {("topic", t, op) for t in topics for op in ("Read", "Write", "Describe")}
    assert rules == need
    assert not any(kind == "group" and name in CONSUMERS and op == "Read" for kind, name, op in rules), \
        "the admin never commits a service's own group"


def test_the_job_template_reaches_every_services_database_and_endpoint() -> None:
    (cronjob,) = [d for d in docs(ADMIN / "cronjob.yaml") if d["kind"] == "CronJob"]
    assert cronjob["spec"]["suspend"] is True, "a template: nothing runs until a job is created from it"
    variables = env(cronjob)
    for service in SERVICES:
        ref = variables[f"JEJARING_{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == (f"{service}-db-app", "uri")
        assert variables[f"JEJARING_{service.upper()}_URL"]["value"] == f"http://{service}:{DEFAULT_PORTS[service]}"
    assert "DATABASE_URL" not in variables, "one database per service, never one for all"
    assert variables["JEJARING_KAFKA_SASL_USERNAME"]["value"] == "jejaring-admin"
    assert variables["JEJARING_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "jejaring-admin"
    spec = pod(cronjob)
    (container,) = spec["containers"]
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["automountServiceAccountToken"] is False
    ctx = container["securityContext"]
    assert ctx["readOnlyRootFilesystem"] and not ctx["allowPrivilegeEscalation"] and ctx["capabilities"]["drop"] == ["ALL"]
    assert {"/tmp", "/etc/jejaring/kafka-ca"} <= {m["mountPath"] for m in container["volumeMounts"]}


def test_network_policies_let_the_admin_pod_reach_the_services_and_only_it() -> None:
    policies = {d["metadata"]["name"]: d["spec"] for d in docs(ADMIN / "networkpolicy.yaml")}
    egress = {p["port"] for rule in policies["jejaring-admin"]["egress"] for p in rule["ports"]}
    assert egress == {53, 9092, 9093, 5432, *DEFAULT_PORTS.values()}
    assert policies["jejaring-admin"]["ingress"] == []
    inbound = policies["jejaring-admin-to-services"]
    assert set(inbound["podSelector"]["matchExpressions"][0]["values"]) == set(SERVICES)
    (rule,) = inbound["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "jejaring-admin"}}}]
    assert {p["port"] for p in rule["ports"]} == set(DEFAULT_PORTS.values())


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
@pytest.mark.parametrize("target", ["overlays/production", "overlays/production-external-db", "overlays/dev"])
def test_every_overlay_has_the_admin_pod_with_its_databases(target: str) -> None:
    rendered = subprocess.run(["kubectl", "kustomize", str(K8S / target)], capture_output=True, text=True,
                              timeout=120, check=True).stdout
    objects = [d for d in yaml.safe_load_all(rendered) if d]
    (cronjob,) = [d for d in objects if d["kind"] == "CronJob"]
    deployments = {d["metadata"]["name"]: d for d in objects if d["kind"] == "Deployment"}
    variables = env(cronjob)
    for service in SERVICES:
        ref = variables[f"JEJARING_{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        (container,) = deployments[service]["spec"]["template"]["spec"]["containers"]
        own = {e["name"]: e for e in container["env"]}["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == own, f"{target}: the admin pod must read {service}'s database where {service} does"
    (container,) = pod(cronjob)["containers"]
    (service_container,) = deployments["registration"]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == service_container["image"]
    assert container["envFrom"] == service_container["envFrom"]
