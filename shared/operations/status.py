"""``jejaring status``: every service at a glance, from its HTTP endpoint, its database and the broker.

For each service:

- **ready**: ``GET /readyz`` of the service (``ready``, ``not ready`` with what is not, or ``down``
  when nothing answers within the timeout);
- **consumer lag per partition**: group ``<service>``'s committed offset against each partition's
  end, for every topic the service consumes (no commit yet: the whole log, as the services start
  from the earliest offset);
- **outbox**: rows waiting to be published and how long the oldest has waited;
- **DLQ depth per topic**: messages in ``<topic>.<service>.dlq`` beyond what group ``<service>-dlq``
  committed (``jejaring dlq`` commits there what it redrove or discarded);
- **last event applied** per consumed topic: the newest inbox row of the topic in the service's
  database, or, where the service answers, its ``jejaring_last_event_applied_timestamp_seconds``
  (registration's intake has no inbox rows: a visit is known by its ``visit_id``), whichever is later.

The same numbers as the metrics of ``shared.observability`` (docs/operations.md, "Metrics"), read
from outside the services: for an operator's shell or an admin pod, when Prometheus is not at hand
or a service is down. A part that cannot be read (database or broker unreachable) is reported as
such, and the rest is still shown.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from shared.contracts.topics import dlq_topic
from shared.errors import safe_reason
from shared.observability import dlq_group
from shared.operations import offsets
from shared.settings import DEFAULT_PORTS, KafkaSettings
from shared.time import utc

LAST_APPLIED = "jejaring_last_event_applied_timestamp_seconds"


def service_url(service: str, environ: dict[str, str] | None = None) -> str:
    """Where a service answers: ``JEJARING_<SERVICE>_URL``, else ``http://127.0.0.1:<its port>``."""
    environ = os.environ if environ is None else environ
    return (environ.get(f"JEJARING_{service.upper()}_URL") or f"http://127.0.0.1:{DEFAULT_PORTS[service]}").rstrip("/")


@dataclass
class Target:
    """One service as ``status`` reads it: a ``shared.service.Service`` (not started) and its URL."""

    service: Any
    url: str

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def topics(self) -> list[str]:
        return sorted({p.topic for p in self.service.processors})


async def readiness(client: httpx.AsyncClient, url: str) -> tuple[str, dict[str, str]]:
    """``(ready | not ready | down, problems)`` from ``GET /readyz``."""
    try:
        response = await client.get(url + "/readyz")
    except httpx.HTTPError as exc:
        return "down", {"http": f"no answer at {url} ({type(exc).__name__})"}
    if response.status_code == 200:
        return "ready", {}
    try:
        problems = response.json().get("problems") or {}
    except ValueError:
        problems = {}
    return "not ready", {str(k): str(v) for k, v in problems.items()} or {"http": f"/readyz answered {response.status_code}"}


async def applied_by_metrics(client: httpx.AsyncClient, url: str, service: str) -> dict[str, float]:
    """``{topic: unix time}`` of the answering replica's last-applied gauge (empty when it does not answer)."""
    try:
        response = await client.get(url + "/metrics", params={"name[]": LAST_APPLIED})
    except httpx.HTTPError:
        return {}
    if response.status_code != 200:
        return {}
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == LAST_APPLIED and sample.labels.get("service") == service and sample.value > 0:
                topic = sample.labels.get("topic", "")
                found[topic] = max(found.get(topic, 0.0), sample.value)
    return found


def _database_missing(url: str) -> bool:
    """A SQLite file that does not exist (opening it would create an empty one)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return False
    return not parsed.database or not Path(parsed.database).exists()


async def from_database(target: Target, now: datetime) -> dict[str, Any]:
    """Outbox backlog, oldest unsent age and last applied per topic, from the service's database."""
    service = target.service
    db = service.db
    if _database_missing(str(db.engine.url)):
        return {"error": "no database yet (the service has not started here)"}
    outbox, inbox = service.outbox.table, service.inbox.table
    async with db.read_session() as session:
        backlog = int(await session.scalar(select(func.count()).where(outbox.c.sent_at.is_(None))) or 0)
        oldest = await session.scalar(select(func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None)))
        rows = (await session.execute(select(inbox.c.topic, func.max(inbox.c.processed_at))
                                      .where(inbox.c.topic.in_(target.topics)).group_by(inbox.c.topic))).all()
    return {
        "backlog": backlog,
        "oldest_unsent_age_seconds": round(max(0.0, (now - utc(oldest)).total_seconds()), 1) if oldest else 0.0,
        "applied": {topic: utc(at) for topic, at in rows if at is not None},
    }


async def from_broker(kafka: KafkaSettings, targets: Sequence[Target]) -> dict[str, dict[str, Any]]:
    """Per service: lag per partition of group ``<service>`` and DLQ depth from group ``<service>-dlq``."""
    async with offsets.consumer(kafka, purpose="status") as client:
        wanted = {t.name: (t.topics, [dlq_topic(topic, t.name) for topic in t.topics]) for t in targets}
        every = sorted({name for consumed, dlqs in wanted.values() for name in (*consumed, *dlqs)})
        tps = await offsets.partitions(client, every)
        logs = await offsets.logs(client, tps)
    result: dict[str, dict[str, Any]] = {}
    for name, (consumed, dlqs) in wanted.items():
        mine = [tp for tp in tps if tp.topic in consumed]
        theirs = [tp for tp in tps if tp.topic in dlqs]
        group, dlq_done = await asyncio.gather(offsets.committed(kafka, name, mine),
                                               offsets.committed(kafka, dlq_group(name), theirs))
        partitions = []
        for tp in mine:
            log, at = logs[tp], group.get(tp)
            lag = max(0, log.end - (at if at is not None else log.begin))
            partitions.append({"topic": tp.topic, "partition": tp.partition, "committed": at, "end": log.end, "lag": lag})
        depth: dict[str, int] = {topic: 0 for topic in dlqs}
        for tp in theirs:
            log, at = logs[tp], dlq_done.get(tp)
            depth[tp.topic] += max(0, log.end - max(log.begin, at if at is not None else log.begin))
        missing = sorted(set(consumed) - {tp.topic for tp in mine})
        result[name] = {"partitions": partitions, "lag": sum(p["lag"] for p in partitions),
                        "dlq": [{"topic": topic, "depth": depth[topic]} for topic in dlqs],
                        "topics_missing": missing}
    return result


async def collect(targets: Sequence[Target], kafka: KafkaSettings, *, timeout: float = 3.0,
                  now: datetime | None = None) -> list[dict[str, Any]]:
    """The status of every target, in order; each part that could not be read says why."""
    now = now or datetime.now(timezone.utc)

    async def database(target: Target) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(from_database(target, now), timeout * 3)
        except Exception as exc:  # noqa: BLE001 - reported, the rest goes on
            return {"error": f"database unreachable ({safe_reason(exc)})"}
        finally:
            await target.service.db.dispose()

    async def broker() -> dict[str, dict[str, Any]] | str:
        try:
            return await asyncio.wait_for(from_broker(kafka, targets), timeout * 10)
        except Exception as exc:  # noqa: BLE001
            return f"broker unreachable ({safe_reason(exc)})"

    async with httpx.AsyncClient(timeout=timeout) as client:
        ready = asyncio.gather(*(readiness(client, t.url) for t in targets))
        gauges = asyncio.gather(*(applied_by_metrics(client, t.url, t.name) for t in targets))
        dbs = asyncio.gather(*(database(t) for t in targets))
        ready, gauges, dbs, kafka_part = await asyncio.gather(ready, gauges, dbs, broker())
    statuses = []
    for target, (state, problems), gauge, db in zip(targets, ready, gauges, dbs):
        status: dict[str, Any] = {"service": target.name, "url": target.url, "ready": state, "problems": problems}
        errors: dict[str, str] = {}
        if "error" in db:
            errors["database"] = db["error"]
            status["outbox"] = None
        else:
            status["outbox"] = {"backlog": db["backlog"], "oldest_unsent_age_seconds": db["oldest_unsent_age_seconds"]}
        if isinstance(kafka_part, str):
            errors["broker"] = kafka_part
            status["consumer"], status["dlq"] = None, None
        else:
            part = kafka_part[target.name]
            status["consumer"] = {"group": target.name, "lag": part["lag"], "partitions": part["partitions"]}
            if part["topics_missing"]:
                status["consumer"]["topics_missing"] = part["topics_missing"]
            status["dlq"] = part["dlq"]
        applied = []
        for topic in target.topics:
            moments = [m for m in ((db.get("applied") or {}).get(topic),
                                   datetime.fromtimestamp(gauge[topic], timezone.utc) if topic in gauge else None) if m]
            last = max(moments) if moments else None
            applied.append({"topic": topic, "at": last.isoformat() if last else None,
                            "age_seconds": round((now - last).total_seconds(), 1) if last else None})
        status["last_applied"] = applied
        status["errors"] = errors
        statuses.append(status)
    return statuses


# -- rendering ---------------------------------------------------------------------------------


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} d ago"


def _age(seconds: float | None) -> str:
    if not seconds:
        return "-"
    return _ago(seconds).removesuffix(" ago")


def _table(rows: list[tuple[str, ...]], right: set[int] = frozenset()) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))).rstrip()
            for row in rows]


def render(statuses: Sequence[dict[str, Any]]) -> str:
    """The human table: one line per service, then lag per partition, DLQs, last applied, problems."""
    lines = ["SERVICES"]
    rows = [("service", "ready", "lag", "outbox", "oldest unsent", "dlq", "last applied")]
    for s in statuses:
        last = [a["age_seconds"] for a in s["last_applied"] if a["age_seconds"] is not None]
        rows.append((
            s["service"], s["ready"],
            str(s["consumer"]["lag"]) if s["consumer"] else "?",
            str(s["outbox"]["backlog"]) if s["outbox"] else "?",
            _age(s["outbox"]["oldest_unsent_age_seconds"]) if s["outbox"] else "?",
            str(sum(d["depth"] for d in s["dlq"])) if s["dlq"] is not None else "?",
            _ago(min(last)) if last else "-",
        ))
    lines += _table(rows, right={2, 3, 5})
    rows = [("service", "topic", "lag", "per partition")]
    for s in statuses:
        by_topic: dict[str, list[dict]] = {}
        for p in (s["consumer"] or {}).get("partitions", []):
            by_topic.setdefault(p["topic"], []).append(p)
        for topic, parts in by_topic.items():
            rows.append((s["service"], topic, str(sum(p["lag"] for p in parts)),
                         " ".join(f"{p['partition']}:{p['lag']}" for p in parts)))
    if len(rows) > 1:
        lines += ["", "CONSUMER LAG (group = service; partition:lag)"] + _table(rows, right={2})
    rows = [("service", "dead-letter topic", "depth")]
    for s in statuses:
        rows += [(s["service"], d["topic"], str(d["depth"])) for d in (s["dlq"] or [])]
    if len(rows) > 1:
        lines += ["", "DEAD LETTERS (not yet redriven or discarded)"] + _table(rows, right={2})
    rows = [("service", "topic", "last event applied", "")]
    for s in statuses:
        rows += [(s["service"], a["topic"], a["at"] or "-", _ago(a["age_seconds"]) if a["at"] else "")
                 for a in s["last_applied"]]
    if len(rows) > 1:
        lines += ["", "LAST EVENT APPLIED"] + _table(rows)
    problems = []
    for s in statuses:
        problems += [f"{s['service']}: {k}: {v}" for k, v in {**s["problems"], **s["errors"]}.items()]
        missing = (s["consumer"] or {}).get("topics_missing")
        if missing:
            problems.append(f"{s['service']}: topics not on the broker yet: {', '.join(missing)}")
    if problems:
        lines += ["", "PROBLEMS"] + problems
    return "\n".join(lines)


def as_json(statuses: Sequence[dict[str, Any]]) -> str:
    return json.dumps({"services": list(statuses)}, indent=2, default=str)
