"""The ``jejaring`` command: run the system, one service or the broker; import data; manage tokens.

Every sub-command is a thin adapter over a service's own admin commands (``services/<name>/admin.py``).
A command resolves each service's database exactly as ``jejaring up`` starts the service
(``shared.settings.service_env``: ``JEJARING_<SERVICE>_DATABASE_URL``, else the service's own
database derived from a PostgreSQL ``DATABASE_URL``, else its SQLite file).

Over 300 lines: the whole command tree in one parser, so ``jejaring --help`` and this file agree.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from shared.progress import Progress
from shared.settings import (
    DEFAULT_PORTS,
    EMBEDDED_BOOTSTRAP,
    SERVICES,
    ServiceSettings,
    service_env,
)

SETTINGS = {
    "registration": ("services.registration.settings", "RegistrationSettings"),
    "screening": ("services.screening.settings", "ScreeningSettings"),
    "referral": ("services.referral.settings", "ReferralSettings"),
    "surveillance": ("services.surveillance.settings", "SurveillanceSettings"),
    "dashboard": ("services.dashboard.settings", "DashboardSettings"),
}


def settings_for(service: str) -> ServiceSettings:
    """A service's settings for a command acting on its database (resolved as ``jejaring up`` does)."""
    module, name = SETTINGS[service]
    cls = getattr(importlib.import_module(module), name)
    return cls(database_url=service_env(service, os.environ).get("DATABASE_URL"))


def _build(service: str):  # noqa: ANN202
    """The service runtime without HTTP (for commands that touch its database)."""
    return importlib.import_module(f"services.{service}.app").build_service(settings_for(service))


def cmd_run(args: argparse.Namespace) -> int:
    """Run one service in this process (its ``DATABASE_URL`` is its own, as ``jejaring up`` or the
    deployment sets it)."""
    import uvicorn

    from shared.logging import configure_logging

    module, name = SETTINGS[args.service]
    settings = getattr(importlib.import_module(module), name)()
    configure_logging(args.service, settings.log_level, settings.log_json)
    tune_gc(settings.gc_threshold)
    uvicorn.run(
        f"services.{args.service}.app:create_app", factory=True, host=settings.host, port=settings.port,
        lifespan="on", **SERVER,
        timeout_graceful_shutdown=5,  # open live streams (SSE) must not hold a stopping service
    )
    return 0


# How every service's HTTP server runs (``bench/province.py`` serves the dashboard the same way).
SERVER = {"log_config": None, "access_log": False, "loop": "uvloop", "http": "httptools"}


def tune_gc(threshold: int) -> None:
    """Every consumed event allocates many short-lived objects (pydantic models, dicts); with
    CPython's default threshold (700) the collector runs several times per batch. A larger
    threshold costs a few MB; objects alive at start-up are frozen out of the scans."""
    gc.freeze()
    gc.set_threshold(threshold, 20, 20)


def cmd_broker(args: argparse.Namespace) -> int:
    """Run the embedded broker in the foreground."""
    from shared.broker import broker_command

    os.execv(broker_command()[0], broker_command(port=args.port))
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Start the broker (unless an external one is configured) and the five services."""
    from shared.broker import start_broker, wait_for_port

    var = Path(os.environ.get("JEJARING_VAR_DIR", "var"))
    (var / "logs").mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen] = []
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", EMBEDDED_BOOTSTRAP)
    if bootstrap == EMBEDDED_BOOTSTRAP:
        children.append(start_broker(log_file=var / "logs" / "broker.log"))
        print(f"broker: embedded Tansu on {EMBEDDED_BOOTSTRAP} (in memory; the outboxes can replay)", flush=True)
    for service in SERVICES:
        log = open(var / "logs" / f"{service}.log", "ab")  # noqa: SIM115 - owned by the child
        children.append(subprocess.Popen([sys.executable, "-m", "services.cli", "run", service],
                                         env=service_env(service, dict(os.environ)), stdout=log, stderr=log))
    helpers: list[subprocess.Popen] = []
    try:
        for service in SERVICES:
            wait_for_port("127.0.0.1", DEFAULT_PORTS[service], timeout=90)
            print(f"{service}: http://127.0.0.1:{DEFAULT_PORTS[service]}", flush=True)
        print(f"logs: {var / 'logs'}", flush=True)
        if not args.no_simulate:
            helpers.append(_start_demo(var, args.district, outbreak=not args.no_outbreak,
                                       backfill_months=args.backfill_months, backfill_scale=args.backfill_scale))
        print(f"\nDashboard: http://127.0.0.1:{DEFAULT_PORTS['dashboard']}/login", flush=True)
        for role, purpose in (("viewer", "to read"), ("admin", "to verify and close outbreak signals")):
            token = subprocess.run([sys.executable, "-m", "services.cli", "token", "issue", "--region", args.district,
                                    "--role", role], capture_output=True, text=True, check=True).stdout
            print(f"{role.capitalize()} token for {args.district} ({purpose}): {token.strip().splitlines()[-1]}", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        while all(c.poll() is None for c in children):
            time.sleep(0.5)
        print("a process exited; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for child in reversed(children + helpers):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(children + helpers):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


def demo_outbreak(district: str) -> str | None:
    """The demo's injected cluster: suspected dengue this week in the district's first desa (or first
    village), so a newcomer sees a signal raised; None when the regions file has no village there."""
    from shared.regions import load_regions

    villages = load_regions().villages_under(district)
    if not villages:
        return None
    village = next((v for v in villages if v.code[9] == "2"), villages[0])
    return f"dengue:{village.code}:now"


DEMO_BACKFILL_MONTHS = 3
DEMO_BACKFILL_SCALE = 0.03


def demo_command(var: Path, district: str, *, outbreak: bool = True, backfill_months: int = DEMO_BACKFILL_MONTHS,
                 backfill_scale: float = DEMO_BACKFILL_SCALE) -> list[str]:
    """The demo simulator's command line: set-up, then a history of ``backfill_months`` months at
    ``backfill_scale`` of the population (sent with their event times), then the live stream, with
    a dengue cluster injected first (``outbreak``)."""
    command = [sys.executable, "-m", "services.cli", "simulate", "--district", district, "--demo", "--dir", str(var / "demo")]
    if backfill_months > 0:
        command += ["--backfill-months", str(backfill_months), "--backfill-scale", f"{backfill_scale:g}"]
    cluster = demo_outbreak(district) if outbreak else None
    if cluster:
        command += ["--outbreak", cluster]
    return command


def _start_demo(var: Path, district: str, *, outbreak: bool = True, backfill_months: int = DEMO_BACKFILL_MONTHS,
                backfill_scale: float = DEMO_BACKFILL_SCALE) -> subprocess.Popen:
    """The demo simulator (:func:`demo_command`): sets the district up (facilities, targets, tokens),
    backfills a scaled-down history, then streams visits; the dengue cluster makes the signals panel
    have one to show."""
    log = open(var / "logs" / "simulator.log", "ab")  # noqa: SIM115 - owned by the child
    print(f"demo: simulating district {district} (log: {var / 'logs' / 'simulator.log'})", flush=True)
    command = demo_command(var, district, outbreak=outbreak, backfill_months=backfill_months,
                           backfill_scale=backfill_scale)
    if backfill_months > 0:
        print(f"demo: first a history of the last {backfill_months} months at {backfill_scale:g} of the population "
              "(about a minute), then live visits", flush=True)
    if "--outbreak" in command:
        cluster = command[command.index("--outbreak") + 1]
        print(f"demo: a suspected dengue cluster ({cluster}) is sent first; its signal shows on the dashboard", flush=True)
    return subprocess.Popen(command, stdout=log, stderr=log)


def cmd_facilities_import(args: argparse.Namespace) -> int:
    """Load facilities from CSV, all or nothing."""
    from services.registration import admin

    return admin.import_csv(settings_for("registration"), args.file, "facilities")


def cmd_targets_import(args: argparse.Namespace) -> int:
    """Load annual target populations (sasaran) from CSV, all or nothing."""
    from services.registration import admin

    return admin.import_csv(settings_for("registration"), args.file, "targets")


def cmd_token_issue(args: argparse.Namespace) -> int:
    """Print a new token: ``id: <ID>``, then the token alone on the last line (only its hash is stored)."""
    if args.facility and not args.region:
        from services.registration import admin

        settings = settings_for("registration")
        return admin.issue_token(settings, "facility", args.facility, args.ttl_days or settings.token_ttl_days)
    if args.region and args.role == "admin":
        from services.registration import admin

        settings = settings_for("registration")
        return admin.issue_token(settings, "admin", args.region, args.ttl_days or settings.token_ttl_days)
    if args.region and args.role == "viewer":
        from services.dashboard import admin

        settings = settings_for("dashboard")
        return admin.issue_viewer_token(settings, args.region, args.ttl_days or settings.token_ttl_days)
    print("give --facility ID, or --region CODE --role viewer|admin", file=sys.stderr)
    return 2


def cmd_token_revoke(args: argparse.Namespace) -> int:
    """Revoke any token by its id or the token itself; every service refuses it within 60 s."""
    from services.dashboard import admin as dashboard_admin
    from services.registration import admin as registration_admin

    revoked = (registration_admin.revoke_token(settings_for("registration"), args.token)
               or dashboard_admin.revoke_viewer_token(settings_for("dashboard"), args.token))
    if revoked is None:
        print("no such active token", file=sys.stderr)
        return 1
    print(f"revoked {revoked.get('id') or revoked.get('token_id')} ({revoked.get('kind') or revoked.get('role')})")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    """Every token: id, kind, scope, created, expires, revoked — never the token."""
    from services.dashboard import admin as dashboard_admin
    from services.registration import admin as registration_admin

    rows = (registration_admin.list_tokens(settings_for("registration"))
            + dashboard_admin.list_viewer_tokens(settings_for("dashboard")))
    rows.sort(key=lambda r: (r["created"], r["id"] or ""))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    columns = ("id", "kind", "scope", "created", "expires", "revoked")
    table = [columns] + [tuple(str(r[c] or "-") for c in columns) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        print("  ".join(value.ljust(width) for value, width in zip(line, widths)).rstrip())
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Mark a service's outbox rows since T unsent; the running service (or its next start) re-publishes them."""
    since = datetime.fromisoformat(args.since) if args.since else datetime.now(timezone.utc) - timedelta(days=7)
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)

    async def run() -> int:
        service = _build(args.service)
        await service.migrate()
        try:
            count = await service.outbox.mark_for_replay(since)
            if args.publish:
                with Progress(f"replay {args.service}", total=await service.outbox.backlog(), unit="events") as progress:
                    await service.publish_outbox(timeout=3600, on_published=progress.advance)
                    progress.summary(f"{await service.outbox.backlog()} left for the service's relay")
            return count
        finally:
            await service.db.dispose()

    count = asyncio.run(run())
    print(f"{count} event(s) of {args.service} since {since.isoformat()} queued for re-publishing")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild a service's read model from the topics, re-read by this command (``--in-service``: by
    the running dashboard; ``--wait`` then follows its re-read to the end)."""
    from services.dashboard import admin

    if args.batch < 1:
        print("--batch must be at least 1", file=sys.stderr)
        return 2
    share = None
    if args.share:
        k, _, n = args.share.partition("/")
        share = (int(k), int(n))
    code = admin.rebuild_command(settings_for("dashboard"), in_service=args.in_service, resume=args.resume,
                                 batch=args.batch, processes=max(1, args.processes), share=share)
    if code or not args.wait or not args.in_service:
        return code
    from services import operations

    return operations.rebuild_wait(timeout=args.timeout)


def cmd_status(args: argparse.Namespace) -> int:
    """Every service: ready, consumer lag per partition, outbox, DLQ depth, last event applied."""
    from services import operations

    return operations.status_command(args.service, as_json=args.json, timeout=args.timeout)


def cmd_dlq(args: argparse.Namespace) -> int:
    """Dead-letter topics: list, show, redrive, discard."""
    from services import operations

    if args.action == "list":
        return operations.dlq_list(args.topic, limit=args.limit, pending=args.pending, as_json=args.json)
    if args.action == "show":
        return operations.dlq_show(args.topic, ids=args.id or (), limit=args.limit, payload=args.payload)
    return operations.dlq_act(args.topic, args.action, ids=args.id or (), since=args.since)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Synthetic district (the ``simulator`` tool); it parses every argument after ``simulate`` itself."""
    from simulator.cli import main as simulate_main

    return simulate_main(args.rest)


def cmd_asyncapi(args: argparse.Namespace) -> int:
    """Write each service's AsyncAPI document (generated by FastStream) under ``docs/asyncapi``.

    Keys are written sorted: FastStream's channel order changes from run to run, and a
    regenerated document should differ from the committed one only where the contract did.
    """
    import yaml

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        spec = _build(service).asyncapi()
        (out / f"{service}.yaml").write_text(yaml.safe_dump(spec, sort_keys=True, allow_unicode=True), encoding="utf-8")
        print(out / f"{service}.yaml")
    return 0


def cmd_regions(args: argparse.Namespace) -> int:
    """Import Kemendagri region codes from the idn-area-data npm package."""
    from shared import regions_import

    return regions_import.main(args.rest)


def cmd_screening_evaluate(_args: argparse.Namespace) -> int:
    """Intake visits as JSON lines on stdin; one result line each on stdout (the service's own code)."""
    from services.screening import admin

    return admin.evaluate(sys.stdin, sys.stdout)


def _service_name(name: str) -> str:
    if name not in SERVICES:
        raise argparse.ArgumentTypeError(f"unknown service {name!r} (one of {', '.join(SERVICES)})")
    return name


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jejaring", description="Jejaring: ILP event backbone")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("up", help="broker and all five services")
    s.add_argument("--no-simulate", action="store_true", help="do not start the demo simulator")
    s.add_argument("--no-outbreak", action="store_true", help="no injected dengue cluster in the demo")
    s.add_argument("--district", default="18.01", help="seed district of the demo (default: 18.01)")
    s.add_argument("--backfill-months", type=int, default=DEMO_BACKFILL_MONTHS, metavar="N",
                   help="the demo first sends the N months before this one and this month so far "
                        "(0: none; default: %(default)s)")
    s.add_argument("--backfill-scale", type=float, default=DEMO_BACKFILL_SCALE,
                   help="population scale of that history (default: %(default)s)")
    s.set_defaults(fn=cmd_up)
    s = sub.add_parser("run", help="run one service")
    s.add_argument("service", choices=SERVICES)
    s.set_defaults(fn=cmd_run)
    s = sub.add_parser("broker", help="the embedded Kafka-compatible broker on 127.0.0.1:9092")
    s.add_argument("--port", type=int, default=9092)
    s.set_defaults(fn=cmd_broker)
    fac = sub.add_parser("facilities", help="facility registry").add_subparsers(dest="action", required=True)
    s = fac.add_parser("import", help="load facilities from CSV")
    s.add_argument("file")
    s.set_defaults(fn=cmd_facilities_import)
    tg = sub.add_parser("targets", help="annual target populations").add_subparsers(dest="action", required=True)
    s = tg.add_parser("import", help="load targets from CSV")
    s.add_argument("file")
    s.set_defaults(fn=cmd_targets_import)
    tok = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    s = tok.add_parser("issue", help="issue a facility, viewer or admin token")
    s.add_argument("--facility")
    s.add_argument("--region")
    s.add_argument("--role", choices=["viewer", "admin"])
    s.add_argument("--ttl-days", type=float, help="lifetime in days (default: JEJARING_TOKEN_TTL_DAYS, 365)")
    s.set_defaults(fn=cmd_token_issue)
    s = tok.add_parser("revoke", help="revoke a token by its id or the token itself")
    s.add_argument("token", metavar="ID_OR_TOKEN")
    s.set_defaults(fn=cmd_token_revoke)
    s = tok.add_parser("list", help="every token: id, kind, scope, created, expires, revoked")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_token_list)
    s = sub.add_parser("replay", help="re-publish a service's outbox since a time")
    s.add_argument("service", choices=SERVICES)
    s.add_argument("--since", help="ISO time (default: 7 days ago)")
    s.add_argument("--publish", action="store_true", help="publish now from this process")
    s.set_defaults(fn=cmd_replay)
    s = sub.add_parser("rebuild", help="rebuild a read model from the topics")
    s.add_argument("service", choices=["dashboard"])
    s.add_argument("--resume", action="store_true", help="go on with a rebuild that stopped, from where it stopped")
    s.add_argument("--batch", type=int, default=10_000, help="events a transaction (default %(default)s)")
    s.add_argument("--processes", type=int, default=1, metavar="N",
                   help="re-read with N processes, each a share of the partitions (PostgreSQL; default 1)")
    s.add_argument("--share", help=argparse.SUPPRESS)  # K/N: one share, started by --processes
    s.add_argument("--in-service", action="store_true",
                   help="only empty the read model: the running dashboard re-reads the topics (slower)")
    s.add_argument("--wait", action="store_true", help="with --in-service: show the dashboard re-reading, until done")
    s.add_argument("--timeout", type=float, default=3600, help="seconds to wait at most (default 3600)")
    s.set_defaults(fn=cmd_rebuild)
    s = sub.add_parser("status", help="every service: ready, lag, outbox, DLQ depth, last event applied")
    s.add_argument("service", nargs="*", type=_service_name, metavar="SERVICE", help="default: all")
    s.add_argument("--json", action="store_true")
    s.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for each service's /readyz")
    s.set_defaults(fn=cmd_status)
    dlq = sub.add_parser("dlq", help="dead-letter topics").add_subparsers(dest="action", required=True)
    s = dlq.add_parser("list", help="reason, origin and time of each dead letter (no payload)")
    s.add_argument("topic", metavar="TOPIC", help="<topic>.<service>.dlq")
    s.add_argument("--limit", type=int, default=100, help="at most N lines (default 100; 0: all)")
    s.add_argument("--pending", action="store_true", help="only those not yet redriven or discarded")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_dlq)
    s = dlq.add_parser("show", help="dead letters in full; the payload only with --payload")
    s.add_argument("topic", metavar="TOPIC")
    s.add_argument("--id", action="append", help="only this dead letter (repeatable)")
    s.add_argument("--limit", type=int, default=10, help="at most N (default 10; 0: all)")
    s.add_argument("--payload", action="store_true", help="print the message itself (see docs/operations.md)")
    s.set_defaults(fn=cmd_dlq)
    for action, text in (("redrive", "send dead letters back to their origin topic after a fix"),
                         ("discard", "mark dead letters as dealt with, without sending them")):
        s = dlq.add_parser(action, help=text)
        s.add_argument("topic", metavar="TOPIC")
        chosen = s.add_mutually_exclusive_group()
        chosen.add_argument("--id", action="append", help="this dead letter (repeatable; default: every pending one)")
        chosen.add_argument("--since", help="those dead-lettered at or after this ISO time")
        s.set_defaults(fn=cmd_dlq)
    s = sub.add_parser("asyncapi", help="write the AsyncAPI documents")
    s.add_argument("--out", default="docs/asyncapi")
    s.set_defaults(fn=cmd_asyncapi)
    s = sub.add_parser("regions", help="Kemendagri region codes")
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(fn=cmd_regions)
    scr = sub.add_parser("screening", help="screening rules").add_subparsers(dest="action", required=True)
    s = scr.add_parser("evaluate", help="evaluate intake visits from stdin")
    s.set_defaults(fn=cmd_screening_evaluate)
    s = sub.add_parser("simulate", help="synthetic district: facilities, targets, tokens, visits", add_help=False)
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(fn=cmd_simulate)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``jejaring`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "simulate":  # its own parser: options first would trip argparse.REMAINDER
        return cmd_simulate(argparse.Namespace(rest=list(argv[1:])))
    args = parser().parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
