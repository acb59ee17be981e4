"""Alert rules and the Grafana dashboard: valid PromQL, tested with promtool, on the metric contract.

The rules are the PrometheusRule of deploy/k8s/components/monitoring; promtool (Makefile
``system-deps``) checks them and runs the unit tests of tests/unit/promtool (series -> the alerts
that must and must not fire). The contract is the "Metrics" table of docs/operations.md: every
metric a rule or panel reads is in it, and every alert's runbook is a heading there.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "k8s" / "components" / "monitoring"
OPERATIONS = ROOT / "docs" / "operations.md"
PROMTOOL_TESTS = sorted((ROOT / "tests" / "unit" / "promtool").glob("*.test.yaml"))
RULES_FILE = "jejaring-rules.yaml"
SEVERITIES = {"critical", "warning", "info"}
# Names PromQL uses that are not metrics.
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "rate", "increase", "deriv", "delta", "irate",
    "histogram_quantile", "time", "and", "or", "unless", "on", "ignoring", "group_left", "group_right",
    "label_values", "humanize", "humanizeDuration", "humanizePercentage", "le", "offset", "bool",
}
BUILT_IN_METRICS = {"up"}

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (make system-deps)")


def rule_groups() -> list[dict[str, Any]]:
    doc = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    assert doc["kind"] == "PrometheusRule"
    return doc["spec"]["groups"]


def rules() -> list[dict[str, Any]]:
    return [rule for group in rule_groups() for rule in group["rules"]]


def alerts() -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for r in rules() if "alert" in r}


def recorded() -> set[str]:
    return {r["record"] for r in rules() if "record" in r}


def load_dashboard_module() -> Any:
    spec = importlib.util.spec_from_file_location("monitoring_dashboard", MONITORING / "dashboard.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["monitoring_dashboard"] = module
    spec.loader.exec_module(module)
    return module


def dashboard_queries() -> list[tuple[str, str]]:
    dashboard = load_dashboard_module().dashboard()
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]


def concrete(expr: str) -> str:
    """A dashboard query with Grafana's variables filled in, so that promtool can parse it."""
    return (expr.replace("$__rate_interval", "2m").replace('"$namespace"', '"jejaring"')
            .replace('"$service"', '".*"'))


def contract() -> dict[str, dict[str, str]]:
    """The metric table of docs/operations.md: name -> type, labels, unit."""
    text = OPERATIONS.read_text()
    section = text[text.index("## Metrics"):]
    section = section[: section.index("\n## ", 1)]
    table = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].startswith("`") and cells[1] in ("counter", "gauge", "histogram"):
            table[cells[0].strip("`")] = {"type": cells[1], "labels": cells[2], "unit": cells[3]}
    return table


def metric_names(expr: str) -> set[str]:
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    labels = set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!=|!~|=)", expr))
    grouped = {g for group in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr) for g in group.split(",")}
    names -= labels | {g.strip() for g in grouped} | PROMQL_WORDS
    return {n for n in names if not re.fullmatch(r"\d.*|e\d*|[smhdwy]", n)}


def base_metric(name: str, table: dict[str, dict[str, str]]) -> str:
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix) and table.get(name[: -len(suffix)], {}).get("type") == "histogram":
            return name[: -len(suffix)]
    return name


def anchors() -> set[str]:
    """GitHub's anchors of the headings of docs/operations.md."""
    slugs = set()
    for line in OPERATIONS.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
    return slugs


# -- the rules ---------------------------------------------------------------------------------


def test_every_alert_is_labelled_described_and_has_a_runbook() -> None:
    known = anchors()
    assert alerts(), "no alert"
    for name, rule in alerts().items():
        assert rule["labels"]["severity"] in SEVERITIES, name
        notes = rule["annotations"]
        assert notes["summary"] and notes["description"], name
        url = notes["runbook_url"]
        assert url.split("#")[0].endswith("/docs/operations.md"), f"{name}: runbook outside docs/operations.md"
        assert url.split("#")[1] == name.lower(), f"{name}: the anchor is the alert's name"
        assert name.lower() in known, f"{name}: docs/operations.md has no heading '{name}'"


def test_the_issues_alerts_are_all_there() -> None:
    expected = {
        "JejaringConsumerLagGrowing", "JejaringDeadLetters", "JejaringOutboxStuck", "JejaringServiceNotReady",
        "JejaringVillagesSilent", "JejaringReferralsOverdue", "JejaringOutbreakSignalOverdue",
    }
    assert expected <= set(alerts())


def test_rules_and_panels_read_only_contract_metrics() -> None:
    table = contract()
    assert table, "docs/operations.md has no metric table"
    allowed = set(table) | recorded() | BUILT_IN_METRICS
    exprs = [(r.get("alert") or r["record"], r["expr"]) for r in rules()] + dashboard_queries()
    for where, expr in exprs:
        for name in metric_names(expr):
            assert base_metric(name, table) in allowed, f"{where}: {name} is not in docs/operations.md, Metrics"


def test_the_contract_keeps_label_cardinality_bounded() -> None:
    for name, row in contract().items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert name.startswith(("jejaring_", "faststream_")), name
        labels = {label.strip("` ") for label in row["labels"].split(",")}
        assert not labels & {"village", "village_code", "person", "person_id", "nik", "facility", "facility_id",
                             "visit_id", "referral_id", "signal_id", "path"}, f"{name}: unbounded label"
        if row["type"] == "counter":
            assert name.endswith("_total"), name
        if row["unit"] == "seconds":
            assert name.endswith(("_seconds", "_seconds_total")), name


def test_the_contract_covers_what_the_code_registers() -> None:
    from prometheus_client import CollectorRegistry

    from shared.metrics import Metrics
    from shared.observability import (
        Observability,
        open_signals,
        overdue_referrals,
        overdue_signals,
        scheduled_villages,
        silent_villages,
    )

    async def nothing():
        return {}

    metrics = Metrics(CollectorRegistry())
    gauges = [g(nothing) for g in (silent_villages, scheduled_villages, overdue_referrals, open_signals, overdue_signals)]
    Observability(service="x", registry=metrics.registry, gauges=gauges)
    registered = {m.name for m in metrics.registry.collect()}
    table = contract()
    documented = {n.removesuffix("_total") if table[n]["type"] == "counter" else n for n in table}
    assert registered <= documented, f"undocumented: {sorted(registered - documented)}"
    ours = {n for n in documented if n.startswith("jejaring_")}
    assert ours <= registered, f"documented but registered nowhere: {sorted(ours - registered)}"


# -- promtool ----------------------------------------------------------------------------------


def write_rules(folder: Path) -> Path:
    path = folder / RULES_FILE
    path.write_text(yaml.safe_dump({"groups": rule_groups()}, sort_keys=False))
    return path


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@needs_promtool
def test_promtool_accepts_the_rules(tmp_path: Path) -> None:
    write_rules(tmp_path)
    result = promtool("check", "rules", RULES_FILE, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
@pytest.mark.parametrize("test_file", PROMTOOL_TESTS, ids=lambda p: p.name)
def test_alerts_fire_as_the_promtool_tests_say(tmp_path: Path, test_file: Path) -> None:
    write_rules(tmp_path)
    spec = yaml.safe_load(test_file.read_text())
    assert spec["rule_files"] == [RULES_FILE]
    shutil.copy(test_file, tmp_path / test_file.name)
    result = promtool("test", "rules", test_file.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_promtool_test_that_fires_it_and_one_that_does_not() -> None:
    fired, quiet = set(), set()
    for path in PROMTOOL_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (fired if case.get("exp_alerts") else quiet).add(case["alertname"])
    assert set(alerts()) <= fired, f"never shown to fire: {sorted(set(alerts()) - fired)}"
    assert set(alerts()) <= quiet, f"never shown to stay quiet: {sorted(set(alerts()) - quiet)}"


# -- the dashboard -----------------------------------------------------------------------------


def test_dashboard_is_up_to_date_and_provisioned() -> None:
    module = load_dashboard_module()
    committed = (MONITORING / "dashboard.json").read_text()
    assert committed == module.dashboard_json(), "stale: run python deploy/k8s/components/monitoring/dashboard.py"
    kustomization = yaml.safe_load((MONITORING / "kustomization.yaml").read_text())
    (generator,) = kustomization["configMapGenerator"]
    assert generator["files"] == ["jejaring.json=dashboard.json"]
    assert generator["options"]["labels"]["grafana_dashboard"] == "1"


def test_dashboard_panels_cover_the_issue() -> None:
    titles = {title for title, _ in dashboard_queries()}
    for wanted in ("Events applied per topic", "Consumer lag per group", "Consumer lag per partition",
                   "Dead-letter queue depth", "Outbox backlog", "Oldest unsent outbox row", "Intake to dashboard",
                   "Broker resets (24 h)", "Requests per second", "Server errors"):
        assert wanted in titles, wanted
    panels = load_dashboard_module().dashboard()["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    for p in panels:
        pos = p["gridPos"]
        assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24, p["title"]


@needs_promtool
def test_promtool_parses_every_dashboard_query(tmp_path: Path) -> None:
    rules_ = [{"record": f"dashboard:query{i}", "expr": concrete(expr)} for i, (_, expr) in enumerate(dashboard_queries())]
    (tmp_path / "dashboard-rules.yaml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules_}]}))
    result = promtool("check", "rules", "dashboard-rules.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
