"""``jejaring status`` and ``jejaring dlq``: the commands' side of ``shared.operations``.

Each service is built as its admin commands build it (``services.cli.settings_for``: its database
resolved exactly as ``jejaring up`` does), not started: the commands read its database and the
broker, and ask the running service for ``/readyz`` at ``JEJARING_<SERVICE>_URL`` (default
``http://127.0.0.1:<port>``).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Sequence

from shared.operations import dlq, status
from shared.progress import Progress
from shared.settings import SERVICES


def build(service: str):  # noqa: ANN201 - a shared.service.Service, not started
    from services.cli import settings_for

    return importlib.import_module(f"services.{service}.app").build_service(settings_for(service))


# -- status ------------------------------------------------------------------------------------


def status_command(services: Sequence[str], *, as_json: bool, timeout: float) -> int:
    """Print the status of ``services``; exit 1 when any is not ready or a part could not be read."""
    targets = [status.Target(build(name), status.service_url(name)) for name in services or SERVICES]
    kafka = targets[0].service.settings.kafka
    statuses = asyncio.run(status.collect(targets, kafka, timeout=timeout))
    print(status.as_json(statuses) if as_json else status.render(statuses))
    healthy = all(s["ready"] == "ready" and not s["errors"] for s in statuses)
    return 0 if healthy else 1


# -- dlq ---------------------------------------------------------------------------------------


def _queue(topic: str):  # noqa: ANN202
    parsed = dlq.parse_topic(topic)
    if parsed is None or parsed[1] not in SERVICES:
        raise SystemExit(f"{topic} is not a dead-letter topic: <topic>.<service>.dlq, service one of {', '.join(SERVICES)}")
    origin, name = parsed
    service = build(name)
    consumed = {p.topic for p in service.processors}
    if origin not in consumed:
        raise SystemExit(f"{name} does not consume {origin}; its DLQs: "
                         + ", ".join(sorted(f"{t}.{name}.dlq" for t in consumed)))
    return service, dlq.DeadLetterQueue(topic, kafka=service.settings.kafka, db=service.db, inbox=service.inbox.table)


def _run(service, coroutine):  # noqa: ANN001, ANN202
    async def run():  # noqa: ANN202
        try:
            return await coroutine
        finally:
            await service.db.dispose()

    return asyncio.run(run())


def dlq_list(topic: str, *, limit: int | None, pending: bool, as_json: bool) -> int:
    """One line per dead letter: id, state, when, kind, origin, reason (never the payload)."""
    service, queue = _queue(topic)
    entries = _run(service, queue.entries())
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.state] = counts.get(entry.state, 0) + 1
    shown = [e for e in entries if e.state == "pending"] if pending else entries
    shown = shown[:limit] if limit else shown
    if as_json:
        print(json.dumps({"topic": topic, "counts": counts, "dead_letters": [e.view() for e in shown]}, indent=2))
        return 0
    rows = [("id", "state", "dead-lettered at", "kind", "origin", "reason")]
    for e in shown:
        view = e.view()
        reason = view["reason"] if len(view["reason"]) <= 100 else view["reason"][:99] + "…"
        rows.append((view["id"], view["state"], view["dead_lettered_at"] or "-", view["kind"], view["origin"], reason))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)) + "  " + row[-1])
    total = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "empty"
    more = f" (first {len(shown)} shown)" if len(shown) < (counts.get("pending", 0) if pending else len(entries)) else ""
    print(f"{topic}: {len(entries)} dead letter(s): {total}{more}")
    return 0


def dlq_show(topic: str, *, ids: Sequence[str], limit: int | None, payload: bool) -> int:
    """Each dead letter in full: reason, origin, headers, and the payload only with ``--payload``."""
    service, queue = _queue(topic)
    entries = _run(service, queue.entries())
    if ids:
        wanted = {dlq.parse_id(i) for i in ids}
        entries = [e for e in entries if (e.letter.partition, e.letter.offset) in wanted]
    entries = entries[:limit] if limit else entries
    print(json.dumps([e.view(payload=payload, headers=True) for e in entries], indent=2, ensure_ascii=False))
    if payload and dlq.holds_raw_intake(topic):
        print("note: this is the facility's raw message (NIK and name): do not copy it elsewhere", file=sys.stderr)
    return 0


def dlq_act(topic: str, action: str, *, ids: Sequence[str], since: str | None) -> int:
    """``redrive`` or ``discard`` the chosen pending dead letters, one line each, then a summary."""
    service, queue = _queue(topic)
    selection = dlq.Selection(ids=list(ids), since=dlq.parse_since(since) if since else None)
    progress = Progress(f"dlq {action} {topic}", unit="dead letters")
    echo = (lambda line: print(line, flush=True))
    try:
        act = queue.redrive if action == "redrive" else queue.discard
        report = _run(service, act(selection, progress=progress, echo=echo))
    except BaseException as exc:
        progress.fail(type(exc).__name__)
        raise
    for line in report.skipped:
        print(f"not pending: {line}")
    for text in report.missing:
        print(f"not on {topic}: {text}")
    progress.summary(report.summary())
    return 1 if report.missing else 0


# -- rebuild --wait ----------------------------------------------------------------------------


def rebuild_wait(*, timeout: float, interval: float = 2.0) -> int:
    """Follow the running dashboard re-reading every consumed topic after ``jejaring rebuild``.

    A partition counts from the moment the dashboard rewound it for the new generation (its
    ``rewound_partitions`` row): then by how far group ``dashboard`` has committed into what the log
    held when the rebuild started. Exit 1 if it is not done within ``timeout``.
    """
    from sqlalchemy import select

    from services.dashboard import models
    from services.dashboard.usecases.rebuild import current_generation
    from shared.operations import offsets

    service = build("dashboard")
    kafka = service.settings.kafka
    topics = sorted({p.topic for p in service.processors})

    async def run() -> int:
        async with offsets.consumer(kafka, purpose="rebuild-wait") as client:
            tps = await offsets.partitions(client, topics)
            logs = await offsets.logs(client, tps)
        total = sum(log.end - log.begin for log in logs.values())
        async with service.db.read_session() as session:
            generation = await current_generation(session)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with Progress("rebuild dashboard", total=total, unit="events") as progress:
            while True:
                async with service.db.read_session() as session:
                    rows = await session.execute(select(models.rewound.c.topic, models.rewound.c.partition)
                                                 .where(models.rewound.c.generation == generation))
                    rewound = {(t, p) for t, p in rows}
                done_at = await offsets.committed(kafka, "dashboard", tps)
                done = 0
                for tp, log in logs.items():
                    at = done_at.get(tp)
                    if (tp.topic, tp.partition) in rewound and at is not None:
                        done += max(0, min(at, log.end) - log.begin)
                progress.advance(done - progress.done)
                if done >= total and all((tp.topic, tp.partition) in rewound for tp, log in logs.items() if log.end > log.begin):
                    progress.summary(f"generation {generation}: every consumed topic re-read")
                    return 0
                if loop.time() > deadline:
                    progress.fail(f"not done after {timeout:.0f} s (is the dashboard running? `jejaring status dashboard`)")
                    return 1
                await asyncio.sleep(interval)

    return _run(service, run())
