"""The Kubernetes manifests under deploy/k8s agree with the topic catalogue and the service contract.

Plain YAML checks, no cluster: Kustomize references resolve, every catalogue topic and DLQ has a
KafkaTopic, ACLs are exactly what each service needs, KEDA never scales past the partitions it
scales on, pods are hardened and probed on the contract ports, each service gets its database. Where
``kubectl`` is installed, the overlays are also rendered and checked as applied (production, its
external-database variant, dev); tests/unit/test_deploy_schemas.py validates what they render.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.contracts.topics import CATALOGUE, dlq_topic
from shared.messaging.kafka import EPOCH_TOPIC

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CLUSTER = "jejaring"
NAMESPACE = "jejaring"
# docs: contracts.md, "Ports"
PORTS = {"dashboard": 8000, "registration": 8001, "screening": 8002, "referral": 8003, "surveillance": 8004}
# The catalogue's outside producers and the KafkaUser each maps to.
EXTERNAL_USERS = {"facility systems": "facility-system"}
BY_NAME = {t.name: t for t in CATALOGUE}
SERVICES = sorted({n for t in CATALOGUE for n in (*t.producers, *t.consumers)} - set(EXTERNAL_USERS))
CONSUMERS = sorted({n for t in CATALOGUE for n in t.consumers})
KUSTOMIZE_KINDS = {"Kustomization", "Component"}


def _patch_files() -> set[Path]:
    """Files that kustomizations use as patches: partial objects, not manifests."""
    files = set()
    for path in K8S.rglob("kustomization.yaml"):
        for patch in yaml.safe_load(path.read_text()).get("patches", []):
            if "path" in patch:
                files.add((path.parent / patch["path"]).resolve())
    return files


PATCH_FILES = _patch_files()


def _load() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.resolve() in PATCH_FILES:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path, doc))
    return docs


DOCS = _load()


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in DOCS if doc.get("kind") == kind]


def named(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in of_kind(kind)}


def kustomizations() -> Iterator[tuple[Path, dict[str, Any]]]:
    return ((path, doc) for path, doc in DOCS if doc.get("kind") in KUSTOMIZE_KINDS)


def topic_name(doc: dict[str, Any]) -> str:
    return doc["spec"].get("topicName", doc["metadata"]["name"])


def kafka_topics() -> dict[str, dict[str, Any]]:
    return {topic_name(doc): doc for doc in of_kind("KafkaTopic")}


def container(service: str) -> dict[str, Any]:
    containers = named("Deployment")[service]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{service}: one container expected"
    return containers[0]


def env_of(service: str) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container(service).get("env", [])}


def common_config() -> dict[str, str]:
    (base,) = [doc for path, doc in kustomizations() if path.parent == K8S / "base"]
    (generator,) = [g for g in base["configMapGenerator"] if g["name"] == "jejaring-common"]
    return dict(literal.split("=", 1) for literal in generator["literals"])


# -- the files and the kustomizations --------------------------------------------------------------


def test_every_document_names_its_kind() -> None:
    assert DOCS
    for path, doc in DOCS:
        assert doc.get("apiVersion") and doc.get("kind"), f"{path}: apiVersion and kind"
        if doc["kind"] not in KUSTOMIZE_KINDS:
            assert doc.get("metadata", {}).get("name"), f"{path}: metadata.name"


def test_kustomization_references_exist() -> None:
    for path, doc in kustomizations():
        folder = path.parent
        for entry in doc.get("resources", []):
            target = folder / entry
            assert target.exists(), f"{path}: resource {entry} does not exist"
            if target.is_dir():
                assert (target / "kustomization.yaml").exists(), f"{path}: {entry} has no kustomization.yaml"
        for entry in doc.get("components", []):
            target = folder / entry / "kustomization.yaml"
            assert target.exists(), f"{path}: component {entry} has no kustomization.yaml"
            assert yaml.safe_load(target.read_text())["kind"] == "Component", f"{path}: {entry} is not a Component"
        for patch in doc.get("patches", []):
            if "path" in patch:
                assert (folder / patch["path"]).exists(), f"{path}: patch {patch['path']} does not exist"


def test_every_manifest_is_part_of_a_kustomization() -> None:
    listed = set()
    for path, doc in kustomizations():
        listed |= {(path.parent / entry).resolve() for entry in doc.get("resources", [])}
    listed |= PATCH_FILES
    for path in K8S.rglob("*.yaml"):
        if path.name != "kustomization.yaml":
            assert path.resolve() in listed, f"{path.relative_to(ROOT)} is not listed in its kustomization"


def overlay(name: str) -> dict[str, Any]:
    (doc,) = [doc for path, doc in kustomizations() if path.parent == K8S / "overlays" / name]
    return doc


def test_production_overlay_combines_everything() -> None:
    production = overlay("production")
    assert production["namespace"] == NAMESPACE
    assert {"../../base", "../../kafka"} <= set(production["resources"])
    components = production["components"]
    assert {"../../components/keda", "../../components/network-policies", "../../components/monitoring"} <= set(
        components
    )
    # The database operator by default, with backups; backups patch the Clusters, so they come after.
    assert components.index("../../components/postgres") < components.index("../../components/postgres-backup")
    assert [i["name"] for i in production.get("images", [])] == ["jejaring"]


def test_external_database_overlay_is_production_without_the_operator() -> None:
    production, external = overlay("production"), overlay("production-external-db")
    assert external["resources"] == production["resources"]
    dropped = {"../../components/postgres", "../../components/postgres-backup"}
    admin = "../../components/admin"  # the admin pod reads <service>-secrets there instead
    expected = [c for c in production["components"] if c not in dropped]
    expected.insert(expected.index(admin) + 1, "../../components/admin-external-db")
    assert external["components"] == expected
    assert external["images"] == production["images"]


def test_dev_overlay_is_small_and_has_its_database() -> None:
    dev = overlay("dev")
    assert dev["namespace"] == NAMESPACE
    assert {"../../base", "../../kafka"} <= set(dev["resources"])
    assert "../../components/postgres" in dev["components"]
    assert "../../components/keda" not in dev["components"], "one replica each: nothing to scale"


# -- Kafka: cluster, topics, users -----------------------------------------------------------------


def test_kafka_cluster_is_kraft_with_secure_listener() -> None:
    (kafka,) = of_kind("Kafka")
    assert kafka["metadata"]["name"] == CLUSTER
    spec = kafka["spec"]["kafka"]
    listeners = {listener["port"]: listener for listener in spec["listeners"]}
    assert listeners[9093]["tls"] is True
    assert listeners[9093]["authentication"]["type"] == "scram-sha-512"
    assert all(listener.get("authentication") for listener in listeners.values()), "no anonymous listener"
    assert spec["authorization"]["type"] == "simple"
    assert spec["config"]["auto.create.topics.enable"] is False
    pools = of_kind("KafkaNodePool")
    assert {role for pool in pools for role in pool["spec"]["roles"]} == {"controller", "broker"}
    for pool in pools:
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == CLUSTER
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    min_isr = spec["config"]["min.insync.replicas"]
    for doc in of_kind("KafkaTopic"):
        assert min_isr < doc["spec"]["replicas"] <= brokers, f"{topic_name(doc)}: replicas"


def test_every_catalogue_topic_has_its_partitions_and_configs() -> None:
    topics = kafka_topics()
    for topic in CATALOGUE:
        assert topic.name in topics, f"no KafkaTopic for {topic.name}: run python deploy/k8s/kafka/generate.py"
        spec = topics[topic.name]["spec"]
        assert spec["partitions"] == topic.partitions, topic.name
        configs = {k: str(v) for k, v in (spec.get("config") or {}).items()}
        assert configs == {k: str(v) for k, v in topic.config.items()}, topic.name


def test_compacted_topics_stay_compacted() -> None:
    topics = kafka_topics()
    for name in ("ilp.facility.registered.v1", "ilp.target.set.v1"):
        assert topics[name]["spec"]["config"]["cleanup.policy"] == "compact"


def test_every_consumer_has_its_dead_letter_topics() -> None:
    topics = kafka_topics()
    for topic in CATALOGUE:
        for service in topic.consumers:
            assert dlq_topic(topic.name, service) in topics, f"no DLQ for {service} on {topic.name}"


def test_no_topic_outside_the_catalogue() -> None:
    known = {t.name for t in CATALOGUE} | {dlq_topic(t.name, s) for t in CATALOGUE for s in t.consumers}
    known.add(EPOCH_TOPIC)
    for doc in of_kind("KafkaTopic"):
        assert topic_name(doc) in known, f"{topic_name(doc)} is neither in the catalogue nor a DLQ"
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == CLUSTER


def test_generated_kafka_manifests_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("generate_kafka", K8S / "kafka" / "generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    hint = "stale: run python deploy/k8s/kafka/generate.py"
    assert (K8S / "kafka" / "topics.yaml").read_text() == generate.topics_yaml(), f"topics.yaml {hint}"
    assert (K8S / "kafka" / "users.yaml").read_text() == generate.users_yaml(), f"users.yaml {hint}"


def granted(user: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(resource type, name, operation) for every ACL rule; only literal names are allowed."""
    rules = set()
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        assert resource.get("patternType", "literal") == "literal", f"{user['metadata']['name']}: prefix ACL"
        assert resource["name"] != "*", f"{user['metadata']['name']}: wildcard ACL"
        assert acl.get("type", "allow") == "allow"
        rules |= {(resource["type"], resource["name"], op) for op in acl["operations"]}
    return rules


def needed(service: str) -> set[tuple[str, str, str]]:
    consumed = [t.name for t in CATALOGUE if service in t.consumers]
    produced = [t.name for t in CATALOGUE if service in t.producers]
    rules = {("group", service, "Read"), ("group", f"{service}-dlq", "Describe")} if consumed else set()
    rules |= {("topic", n, "Read") for n in consumed}
    rules |= {("topic", n, "Write") for n in produced}
    rules |= {("topic", dlq_topic(n, service), "Write") for n in consumed}
    rules |= {("topic", EPOCH_TOPIC, "Read"), ("topic", EPOCH_TOPIC, "Write")}
    return rules


@pytest.mark.parametrize("service", SERVICES)
def test_kafka_user_acls_are_exactly_what_the_service_needs(service: str) -> None:
    user = named("KafkaUser")[service]
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == CLUSTER
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"
    rules, need = granted(user), needed(service)
    assert need <= rules, f"{service} lacks {sorted(need - rules)}"
    describe = {(kind, name, "Describe") for kind, name, _ in need if kind == "topic"}
    assert rules <= need | describe, f"{service} has more than it needs: {sorted(rules - need - describe)}"


def test_outside_producers_may_only_write_their_topics() -> None:
    for prose, user_name in EXTERNAL_USERS.items():
        user = named("KafkaUser")[user_name]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        produced = {t.name for t in CATALOGUE if prose in t.producers}
        assert produced == {"ilp.intake.visit.v1", "ilp.intake.fhir.v1"}  # the two intakes (JSON and FHIR)
        writes = {(n, op) for kind, n, op in granted(user) if kind == "topic"}
        assert writes == {(n, op) for n in produced for op in ("Write", "Describe")}
        assert all(kind == "topic" for kind, _, _ in granted(user))


def test_no_kafka_user_without_a_purpose() -> None:
    # jejaring-admin: the admin pod's (tests/unit/test_deploy_admin.py)
    assert set(named("KafkaUser")) == set(SERVICES) | set(EXTERNAL_USERS.values()) | {"jejaring-admin"}


# -- KEDA ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", CONSUMERS)
def test_scaled_object_follows_the_consumer_group_and_partitions(service: str) -> None:
    scaled = [s for s in of_kind("ScaledObject") if s["spec"]["scaleTargetRef"]["name"] == service]
    assert len(scaled) == 1, f"{service}: one ScaledObject"
    spec = scaled[0]["spec"]
    assert spec["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
    assert service in named("Deployment")
    kafka_triggers = [t for t in spec["triggers"] if t["type"] == "kafka"]
    assert kafka_triggers, f"{service}: no kafka trigger"
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    auth = named("TriggerAuthentication")
    for trigger in kafka_triggers:
        meta = trigger["metadata"]
        assert meta["consumerGroup"] == service
        topic = BY_NAME[meta["topic"]]
        assert service in topic.consumers, f"{service} scales on {topic.name}, which it does not consume"
        assert spec["maxReplicaCount"] <= topic.partitions, f"{service}: more replicas than {topic.name} partitions"
        assert meta["bootstrapServers"] == common_config()["KAFKA_BOOTSTRAP_SERVERS"]
        assert (meta["sasl"], meta["tls"]) == ("scram_sha512", "enable")
        refs = {r["parameter"]: r for r in auth[trigger["authenticationRef"]["name"]]["spec"]["secretTargetRef"]}
        assert (refs["password"]["name"], refs["password"]["key"]) == (service, "password")
        assert refs["ca"]["name"] == f"{CLUSTER}-cluster-ca-cert"


# -- the services ----------------------------------------------------------------------------------


def test_every_service_is_deployed() -> None:
    assert set(named("Deployment")) == set(SERVICES)
    assert set(SERVICES) <= set(PORTS), f"no contract port for {sorted(set(SERVICES) - set(PORTS))}"


@pytest.mark.parametrize("service", SERVICES)
def test_pods_run_non_root_read_only_without_capabilities(service: str) -> None:
    pod = named("Deployment")[service]["spec"]["template"]["spec"]
    pod_ctx, ctx = pod.get("securityContext", {}), container(service).get("securityContext", {})
    assert ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")) is True
    assert ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 10001
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx.get("privileged", False) is False
    assert ctx["capabilities"]["drop"] == ["ALL"]
    assert not ctx["capabilities"].get("add")
    assert pod.get("automountServiceAccountToken") is False
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(service)["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "/tmp must be an emptyDir"
    assert common_config()["JEJARING_VAR_DIR"].startswith("/tmp/")
    resources = container(service)["resources"]
    for part in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[part]), f"{service}: {part}"


@pytest.mark.parametrize("service", SERVICES)
def test_probes_and_ports_follow_the_contract(service: str) -> None:
    c = container(service)
    assert c["args"] == ["run", service]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}

    def port_of(probe: dict[str, Any]) -> int:
        port = probe["httpGet"]["port"]
        return ports[port] if isinstance(port, str) else port

    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if probe in c:
            assert port_of(c[probe]) == PORTS[service], f"{service}: {probe} port"
    assert env_of(service)["JEJARING_PORT"]["value"] == str(PORTS[service])
    svc = named("Service")[service]["spec"]
    assert svc["selector"] == named("Deployment")[service]["spec"]["selector"]["matchLabels"]
    (port,) = svc["ports"]
    assert port["port"] == PORTS[service]
    assert port["targetPort"] in (PORTS[service], *[n for n, p in ports.items() if p == PORTS[service]])
    pdb = named("PodDisruptionBudget")[service]["spec"]
    assert pdb["selector"] == named("Deployment")[service]["spec"]["selector"]


@pytest.mark.parametrize("service", SERVICES)
def test_kafka_credentials_and_database_come_from_secrets(service: str) -> None:
    env = env_of(service)
    assert env["JEJARING_KAFKA_SASL_USERNAME"]["value"] == service
    assert service in named("KafkaUser")
    password = env["JEJARING_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert (password["name"], password["key"]) == (service, "password")
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == f"{service}-secrets"
    assert ("JEJARING_PERSON_ID_SECRET" in env) == (service == "registration")
    volumes = named("Deployment")[service]["spec"]["template"]["spec"]["volumes"]
    ca = [v for v in volumes if v.get("secret", {}).get("secretName") == f"{CLUSTER}-cluster-ca-cert"]
    (mount,) = [m for m in container(service)["volumeMounts"] if m["name"] == ca[0]["name"]]
    assert common_config()["JEJARING_KAFKA_SSL_CAFILE"].startswith(mount["mountPath"] + "/")


def test_common_settings_point_at_the_secure_listener() -> None:
    config = common_config()
    assert config["KAFKA_BOOTSTRAP_SERVERS"] == f"{CLUSTER}-kafka-bootstrap.{NAMESPACE}.svc:9093"
    assert config["JEJARING_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert config["JEJARING_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert config["JEJARING_HOST"] == "0.0.0.0"
    assert config["JEJARING_ENVIRONMENT"] == "production"


# -- network policies ------------------------------------------------------------------------------


def test_network_policies_deny_all_then_allow_each_service() -> None:
    policies = named("NetworkPolicy")
    deny = policies["deny-all"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert not deny.get("ingress") and not deny.get("egress")
    for service in SERVICES:
        spec = policies[service]["spec"]
        assert spec["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": service}
        ingress_ports = {p["port"] for rule in spec["ingress"] for p in rule.get("ports", [])}
        assert ingress_ports == {PORTS[service]}
        egress_ports = {p["port"] for rule in spec["egress"] for p in rule.get("ports", [])}
        # the dashboard also calls surveillance's internal signals API
        assert egress_ports == {53, 9092, 9093, 5432} | ({PORTS["surveillance"]} if service == "dashboard" else set())
        assert all(rule.get("ports") for rule in spec["egress"]), f"{service}: egress without a port"


# -- rendering, where kubectl is at hand -----------------------------------------------------------


needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
OVERLAYS = ["overlays/production", "overlays/production-external-db", "overlays/dev"]


def render(target: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S / target)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def rendered_named(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def rendered_env(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (c,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in c["env"]}


@needs_kubectl
@pytest.mark.parametrize("target", ["base", "kafka", *OVERLAYS])
def test_kustomize_renders(target: str) -> None:
    rendered = render(target)
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, f"{doc['kind']}/{doc['metadata']['name']}"
    names = [(d["kind"], d["metadata"]["name"]) for d in rendered]
    assert len(names) == len(set(names)), "an object rendered twice"
    if target.startswith("overlays/production"):
        for doc in rendered:
            if doc["kind"] == "Deployment":
                assert "replicas" not in doc["spec"], "KEDA owns the replica count"
                image = doc["spec"]["template"]["spec"]["containers"][0]["image"]
                assert image != "jejaring", "the overlay sets the image"


@needs_kubectl
@pytest.mark.parametrize("target", OVERLAYS)
def test_each_service_gets_its_own_database(target: str) -> None:
    rendered = render(target)
    clusters = rendered_named(rendered, "Cluster")
    for service, deployment in rendered_named(rendered, "Deployment").items():
        ref = rendered_env(deployment)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        if target.endswith("external-db"):
            assert (ref["name"], ref["key"]) == (f"{service}-secrets", "DATABASE_URL")
            continue
        # CloudNativePG writes <cluster>-app; its database and owner are the service's.
        assert (ref["name"], ref["key"]) == (f"{service}-db-app", "uri")
        initdb = clusters[f"{service}-db"]["spec"]["bootstrap"]["initdb"]
        assert (initdb["database"], initdb["owner"]) == (service, service)
        registration = rendered_env(deployment).get("JEJARING_PERSON_ID_SECRET")
        if registration:  # never generated: it must survive a database rebuild
            assert registration["valueFrom"]["secretKeyRef"]["name"] == "registration-secrets"
    if target.endswith("external-db"):
        assert not clusters
    else:
        assert set(clusters) == {f"{s}-db" for s in SERVICES}


@needs_kubectl
def test_production_databases_are_replicated_and_backed_up() -> None:
    rendered = render("overlays/production")
    (store,) = rendered_named(rendered, "ObjectStore").values()
    creds = store["spec"]["configuration"]["s3Credentials"]
    assert {creds["accessKeyId"]["name"], creds["secretAccessKey"]["name"]} == {"jejaring-backup-s3"}
    assert store["spec"]["retentionPolicy"]
    backups = {b["spec"]["cluster"]["name"]: b for b in rendered_named(rendered, "ScheduledBackup").values()}
    for name, cluster in rendered_named(rendered, "Cluster").items():
        assert cluster["spec"]["instances"] >= 2, f"{name}: a standby for failover"
        (plugin,) = cluster["spec"]["plugins"]
        assert plugin["isWALArchiver"] is True
        assert plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
        assert backups[name]["spec"]["method"] == "plugin"
        assert backups[name]["spec"]["pluginConfiguration"]["name"] == plugin["name"]
    for doc in rendered:
        assert doc["kind"] != "Secret", "secrets are referenced, never rendered"


@needs_kubectl
def test_dev_overlay_runs_one_of_everything() -> None:
    rendered = render("overlays/dev")
    (pool,) = rendered_named(rendered, "KafkaNodePool").values()
    assert pool["spec"]["replicas"] == 1 and set(pool["spec"]["roles"]) == {"controller", "broker"}
    (kafka,) = rendered_named(rendered, "Kafka").values()
    config = kafka["spec"]["kafka"]["config"]
    assert config["min.insync.replicas"] == 1
    assert config["default.replication.factor"] == config["offsets.topic.replication.factor"] == 1
    assert config["transaction.state.log.replication.factor"] == 1
    topics = rendered_named(rendered, "KafkaTopic")
    assert len(topics) == len(kafka_topics())
    assert {t["spec"]["replicas"] for t in topics.values()} == {1}
    common = [c for c in rendered if c["kind"] == "ConfigMap" and c["metadata"]["name"].startswith("jejaring-common")]
    assert common[0]["data"]["JEJARING_KAFKA_REPLICATION_FACTOR"] == "1"
    for name, deployment in rendered_named(rendered, "Deployment").items():
        assert deployment["spec"]["replicas"] == 1, name
    for name, cluster in rendered_named(rendered, "Cluster").items():
        assert cluster["spec"]["instances"] == 1, name
        assert "plugins" not in cluster["spec"], f"{name}: dev keeps no backups"
    assert not rendered_named(rendered, "ScaledObject")
