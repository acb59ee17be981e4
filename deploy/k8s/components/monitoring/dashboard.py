"""Write dashboard.json of this folder: the Grafana dashboard of Jejaring, on the metric contract.

Run from the repository root after changing a panel:

    python deploy/k8s/components/monitoring/dashboard.py

The kustomization turns dashboard.json into a ConfigMap for Grafana's dashboard sidecar.
tests/unit/test_deploy_alerts.py fails while the committed file differs from this output, checks
every query with promtool and that it uses only metrics of docs/operations.md ("Metrics").
docs/operations.md, "Reading the dashboard", explains each panel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
UID = "jejaring-overview"
SEL = 'namespace="$namespace", service=~"$service"'
RATE = "$__rate_interval"
WIDTH = 24


def target(expr: str, legend: str, ref: str = "A", **extra: Any) -> dict[str, Any]:
    return {"datasource": {"type": "prometheus", "uid": "${datasource}"}, "expr": expr, "legendFormat": legend,
            "refId": ref, **extra}


def panel(kind: str, title: str, description: str, targets: list[dict[str, Any]], unit: str = "short",
          width: int = 12, height: int = 8, **options: Any) -> dict[str, Any]:
    refs = "ABCDEFGH"
    for i, t in enumerate(targets):
        t["refId"] = refs[i]
    return {
        "type": kind, "title": title, "description": description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": options, "targets": targets, "gridPos": {"w": width, "h": height},
    }


def row(title: str) -> dict[str, Any]:
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "gridPos": {"w": WIDTH, "h": 1}}


def quantiles(metric: str, selector: str, by: str, legend: str) -> list[dict[str, Any]]:
    return [
        target(f"histogram_quantile({q}, sum by ({by}le) (rate({metric}_bucket{{{selector}}}[{RATE}])))",
               f"p{int(q * 100)} {legend}".strip())
        for q in (0.5, 0.95, 0.99)
    ]


def panels() -> list[dict[str, Any]]:
    return [
        row("Flow"),
        panel("timeseries", "Events applied per topic", "Events each consumer group applied per second, by topic.",
              [target(f"sum by (service, topic) (rate(jejaring_events_applied_total{{{SEL}}}[{RATE}]))",
                      "{{service}} ← {{topic}}")], unit="ops"),
        panel("timeseries", "Events published", "Outbox rows each service published to Kafka per second.",
              [target(f"sum by (service) (rate(jejaring_outbox_published_total{{{SEL}}}[{RATE}]))", "{{service}}")],
              unit="ops"),
        panel("timeseries", "Dead letters", "Messages sent to a dead-letter topic per minute.",
              [target(f"sum by (service, topic) (increase(jejaring_dead_letters_total{{{SEL}}}[5m]))",
                      "{{service}} ← {{topic}}")], width=8),
        panel("timeseries", "Duplicates skipped", "Redelivered or replayed events skipped per second (idempotency).",
              [target(f"sum by (service, topic) (rate(jejaring_events_duplicate_total{{{SEL}}}[{RATE}]))",
                      "{{service}} ← {{topic}}")], unit="ops", width=8),
        panel("timeseries", "Database retries", "Batches retried because the database was unavailable.",
              [target(f"sum by (service, topic) (rate(jejaring_infra_retries_total{{{SEL}}}[{RATE}]))",
                      "{{service}} ← {{topic}}")], unit="ops", width=8),
        row("Backlog"),
        panel("timeseries", "Consumer lag per group", "Messages each consumer group has yet to commit, by topic "
              "(alert: JejaringConsumerLagGrowing).",
              [target(f"jejaring:consumer_lag:sum{{{SEL}}}", "{{service}} ← {{topic}}")]),
        panel("timeseries", "Consumer lag per partition", "The same per partition: one hot partition means one "
              "busy key (person) or one slow replica.",
              [target(f"max by (service, topic, partition) (jejaring_consumer_lag{{{SEL}}})",
                      "{{service}} ← {{topic}}[{{partition}}]")]),
        panel("stat", "Dead-letter queue depth", "Messages waiting in each DLQ to be redriven or discarded "
              "(alert: JejaringDeadLetters).",
              [target(f"max by (service, topic) (jejaring_dlq_messages{{{SEL}}})", "{{topic}}")], width=8,
              colorMode="background", graphMode="none", textMode="value_and_name"),
        panel("timeseries", "Outbox backlog", "Outbox rows waiting to be published.",
              [target(f"max by (service) (jejaring_outbox_backlog{{{SEL}}})", "{{service}}")], width=8),
        panel("timeseries", "Oldest unsent outbox row", "How long the oldest unpublished event has waited "
              "(alert: JejaringOutboxStuck above 5 minutes).",
              [target(f"max by (service) (jejaring_outbox_oldest_unsent_age_seconds{{{SEL}}})", "{{service}}")],
              unit="s", width=8),
        row("Latency"),
        panel("timeseries", "Intake to dashboard", "From registration recording a visit to the dashboard "
              "applying it (ilp.visit.recorded.v1 at dashboard).",
              quantiles("jejaring_event_latency_seconds",
                        'namespace="$namespace", service="dashboard", topic="ilp.visit.recorded.v1"', "", ""),
              unit="s"),
        panel("timeseries", "Event latency p95 per hop", "From an event's producer recording it to each consumer "
              "applying it.",
              [target(f"histogram_quantile(0.95, sum by (service, topic, le) "
                      f"(rate(jejaring_event_latency_seconds_bucket{{{SEL}}}[{RATE}])))", "{{service}} ← {{topic}}")],
              unit="s"),
        panel("timeseries", "Batch apply time p95", "Time to apply one consumed batch in its transaction.",
              [target(f"histogram_quantile(0.95, sum by (service, topic, le) "
                      f"(rate(jejaring_batch_seconds_bucket{{{SEL}}}[{RATE}])))", "{{service}} ← {{topic}}")],
              unit="s", width=12),
        panel("timeseries", "Last event applied", "Seconds since each service last applied an event of a topic.",
              [target(f"time() - max by (service, topic) (jejaring_last_event_applied_timestamp_seconds{{{SEL}}})",
                      "{{service}} ← {{topic}}")], unit="s", width=12),
        row("Health"),
        panel("stat", "Ready replicas", "Replicas answering /readyz 200 (alert: JejaringServiceNotReady).",
              [target(f"sum by (service) (jejaring_ready{{{SEL}}})", "{{service}}")], width=8,
              colorMode="background", graphMode="none", textMode="value_and_name"),
        panel("stat", "Broker resets (24 h)", "Times a service found Kafka's log shorter than before or a new broker "
              "epoch, and replayed its outbox (alert: JejaringBrokerReset).",
              [target(f"sum by (service) (increase(jejaring_broker_resets_total{{{SEL}}}[24h]))", "{{service}}")],
              width=8, colorMode="value", graphMode="none", textMode="value_and_name"),
        panel("timeseries", "Metric refresh failures", "Operational metrics that could not be computed (their "
              "last values stand meanwhile).",
              [target(f"sum by (service, part) (increase(jejaring_observability_errors_total{{{SEL}}}[5m]))",
                      "{{service}} {{part}}")], width=8),
        row("HTTP"),
        panel("timeseries", "Requests per second", "HTTP requests answered, by status code.",
              [target(f"sum by (service, code) (rate(jejaring_http_requests_total{{{SEL}}}[{RATE}]))",
                      "{{service}} {{code}}")], unit="reqps", width=8),
        panel("timeseries", "Server errors", "Share of requests answered 5xx (alert: JejaringHttpErrors above 5 %).",
              [target(f"jejaring:http_errors:rate5m{{{SEL}}} / jejaring:http_requests:rate5m{{{SEL}}}",
                      "{{service}}")], unit="percentunit", width=8),
        panel("timeseries", "Request duration p95 by route", "Slowest routes; live streams (SSE) stay open by design.",
              [target(f"histogram_quantile(0.95, sum by (service, route, le) "
                      f"(rate(jejaring_http_request_duration_seconds_bucket{{{SEL}}}[{RATE}])))",
                      "{{service}} {{route}}")], unit="s", width=8),
        row("Programme"),
        panel("bargauge", "Silent villages per district", "Villages with no visit for longer than their schedule "
              "(alert: JejaringVillagesSilent).",
              [target('max by (district) (jejaring_villages_silent{namespace="$namespace"})', "{{district}}")],
              width=8, displayMode="basic", orientation="horizontal"),
        panel("bargauge", "Overdue referrals per district", "Referrals past their due time, not completed or "
              "cancelled (alert: JejaringReferralsOverdue).",
              [target('max by (district) (jejaring_referrals_overdue{namespace="$namespace"})', "{{district}}")],
              width=8, displayMode="basic", orientation="horizontal"),
        panel("bargauge", "Outbreak signals", "Open signals by district and status; overdue ones alert "
              "(JejaringOutbreakSignalOverdue).",
              [target('max by (district, status) (jejaring_outbreak_signals_open{namespace="$namespace"})',
                      "{{district}} {{status}}"),
               target('max by (district) (jejaring_outbreak_signals_overdue{namespace="$namespace"})',
                      "{{district}} overdue")],
              width=8, displayMode="basic", orientation="horizontal"),
    ]


def layout(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Place panels left to right, wrapping at the grid's width; rows start a new line."""
    x = y = line = 0
    for i, item in enumerate(items, start=1):
        pos = item["gridPos"]
        if item["type"] == "row" or x + pos["w"] > WIDTH:
            x, y = 0, y + line
            line = 0
        pos.update(x=x, y=y)
        item["id"] = i
        x, line = x + pos["w"], max(line, pos["h"])
        if item["type"] == "row":
            x, y, line = 0, y + pos["h"], 0
    return items


def variable(name: str, label: str, query: str, *, multi: bool = False) -> dict[str, Any]:
    return {
        "name": name, "label": label, "type": "query", "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "query": {"query": query, "refId": name}, "definition": query, "refresh": 2, "sort": 1,
        "multi": multi, "includeAll": multi, **({"allValue": ".*"} if multi else {}),
        "current": {}, "options": [],
    }


def dashboard() -> dict[str, Any]:
    return {
        "uid": UID,
        "title": "Jejaring",
        "description": "Event flow, backlog, latency and health of the Jejaring services (docs/operations.md).",
        "tags": ["jejaring"],
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
             "current": {}, "options": [], "refresh": 1},
            variable("namespace", "Namespace", "label_values(jejaring_ready, namespace)"),
            variable("service", "Service", 'label_values(jejaring_ready{namespace="$namespace"}, service)', multi=True),
        ]},
        "panels": layout(panels()),
    }


def dashboard_json() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    (HERE / "dashboard.json").write_text(dashboard_json())


if __name__ == "__main__":
    main()
