"""The ``jejaring`` command: run the system, one service or the broker; import data; issue tokens.

Every sub-command is a thin adapter over the services' own use cases.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from shared.settings import DEFAULT_PORTS, EMBEDDED_BOOTSTRAP, SERVICES

SETTINGS = {
    "registration": ("services.registration.settings", "RegistrationSettings"),
    "screening": ("services.screening.settings", "ScreeningSettings"),
    "referral": ("services.referral.settings", "ReferralSettings"),
    "dashboard": ("services.dashboard.settings", "DashboardSettings"),
}


def _settings(service: str):  # noqa: ANN202
    module, name = SETTINGS[service]
    return getattr(importlib.import_module(module), name)()


def _build(service: str):  # noqa: ANN202
    """The service runtime without HTTP (for commands that touch its database)."""
    module = importlib.import_module(f"services.{service}.app")
    built = module.build_service(_settings(service))
    return built[0] if isinstance(built, tuple) else built


def service_env(service: str, base: dict[str, str]) -> dict[str, str]:
    """The environment of one service process started by ``jejaring up``.

    ``JEJARING_<SERVICE>_DATABASE_URL`` wins; else a PostgreSQL ``DATABASE_URL`` gets the database
    name suffixed with ``_<service>`` (one database per service); else each uses its SQLite file.
    """
    env = dict(base)
    own = base.get(f"JEJARING_{service.upper()}_DATABASE_URL")
    url = base.get("DATABASE_URL")
    if own:
        env["DATABASE_URL"] = own
    elif url and url.startswith(("postgres", "postgresql")):
        head, _, tail = url.rpartition("/")
        name, sep, query = tail.partition("?")
        env["DATABASE_URL"] = f"{head}/{name}_{service}{sep}{query}"
    else:
        env.pop("DATABASE_URL", None)
    return env


def cmd_run(args: argparse.Namespace) -> int:
    """Run one service in this process."""
    import uvicorn

    from shared.logging import configure_logging

    settings = _settings(args.service)
    configure_logging(args.service, settings.log_level, settings.log_json)
    # Every consumed event allocates many short-lived objects (pydantic models, dicts); with
    # CPython's default threshold (700) the collector runs several times per batch. A larger
    # threshold costs a few MB; objects alive at start-up are frozen out of the scans.
    gc.freeze()
    gc.set_threshold(settings.gc_threshold, 20, 20)
    uvicorn.run(
        f"services.{args.service}.app:create_app", factory=True, host=settings.host, port=settings.port,
        log_config=None, access_log=False, loop="uvloop", http="httptools", lifespan="on",
        timeout_graceful_shutdown=5,  # open live streams (SSE) must not hold a stopping service
    )
    return 0


def cmd_broker(args: argparse.Namespace) -> int:
    """Run the embedded broker in the foreground."""
    from shared.broker import broker_command

    os.execv(broker_command()[0], broker_command(port=args.port))
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Start the broker (unless an external one is configured) and the four services."""
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
            helpers.append(_start_demo(var, args.district))
        token = subprocess.run([sys.executable, "-m", "services.cli", "token", "issue", "--region", args.district,
                                "--role", "viewer"], capture_output=True, text=True, check=True).stdout
        print(f"\nDashboard: http://127.0.0.1:{DEFAULT_PORTS['dashboard']}/login", flush=True)
        print(f"Viewer token for {args.district}: {token.strip().splitlines()[-1]}", flush=True)
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


def _start_demo(var: Path, district: str) -> subprocess.Popen:
    """The demo simulator: sets the district up (facilities, targets, tokens) and streams visits."""
    log = open(var / "logs" / "simulator.log", "ab")  # noqa: SIM115 - owned by the child
    print(f"demo: simulating district {district} (log: {var / 'logs' / 'simulator.log'})", flush=True)
    return subprocess.Popen([sys.executable, "-m", "services.cli", "simulate", "--district", district, "--demo",
                             "--dir", str(var / "demo")], stdout=log, stderr=log)


async def _in_transaction(service_name: str, fn):  # noqa: ANN001, ANN202
    service = _build(service_name)
    await service.db.migrate(service.migrations, version_table=f"alembic_version_{service.name}")
    try:
        async with service.transaction() as unit:
            return await fn(unit)
    finally:
        await service.db.dispose()


def _import_csv(path: str, kind: str) -> int:
    """Load a registration CSV (``facilities`` or ``targets``) all or nothing; errors by line and field."""
    from services.registration import usecases
    from shared.regions import load_regions

    parse, apply = {
        "facilities": (usecases.parse_facilities_csv, usecases.import_facilities),
        "targets": (usecases.parse_targets_csv, usecases.import_targets),
    }[kind]
    try:
        rows = parse(Path(path).read_text(encoding="utf-8-sig"), load_regions())
        counts = asyncio.run(_in_transaction("registration", lambda unit: apply(unit, rows)))
    except usecases.CsvImportError as exc:
        for error in exc.errors:
            print(f"line {error['line']}: {error['field']}: {error['msg']}", file=sys.stderr)
        print("nothing imported", file=sys.stderr)
        return 2
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def cmd_facilities_import(args: argparse.Namespace) -> int:
    """Load facilities from CSV, all or nothing."""
    return _import_csv(args.file, "facilities")


def cmd_targets_import(args: argparse.Namespace) -> int:
    """Load annual target populations (sasaran) from CSV, all or nothing."""
    return _import_csv(args.file, "targets")


def cmd_token_issue(args: argparse.Namespace) -> int:
    """Print a new token alone on the last line (only its hash is stored)."""
    if args.facility:
        from services.registration import usecases

        try:
            token = asyncio.run(_in_transaction("registration", lambda unit: usecases.issue_token(unit, args.facility)))
        except LookupError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        print(f"facility token for {args.facility} (shown once):")
    elif args.region and args.role == "admin":
        from services.registration import usecases as reg

        token = asyncio.run(_in_transaction("registration", lambda unit: reg.issue_admin_token(unit.session, args.region)))
        print(f"admin token for region {args.region} (shown once):")
    elif args.region and args.role == "viewer":
        from services.dashboard.admin import issue_viewer_token_command

        return issue_viewer_token_command(args.region)
    else:
        print("give --facility ID, or --region CODE --role viewer|admin", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    """Revoke a facility token."""
    from services.registration import usecases

    done = asyncio.run(_in_transaction("registration", lambda unit: usecases.revoke_token(unit, usecases.hash_token(args.token))))
    print("revoked" if done else "no such active token")
    return 0 if done else 1


def cmd_replay(args: argparse.Namespace) -> int:
    """Mark a service's outbox rows since T unsent; the running service (or its next start) re-publishes them."""
    since = datetime.fromisoformat(args.since) if args.since else datetime.now(timezone.utc) - timedelta(days=7)
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)

    async def run() -> int:
        service = _build(args.service)
        await service.db.migrate(service.migrations, version_table=f"alembic_version_{service.name}")
        try:
            count = await service.outbox.mark_for_replay(since)
            if args.publish:
                await service.producer.start()
                try:
                    while await service.outbox.relay_once(service.producer.publish, 2000):
                        pass
                finally:
                    await service.producer.stop()
            return count
        finally:
            await service.db.dispose()

    count = asyncio.run(run())
    print(f"{count} event(s) of {args.service} since {since.isoformat()} queued for re-publishing")
    return 0


def cmd_rebuild(_args: argparse.Namespace) -> int:
    """Rebuild a service's read model from the topics."""
    from services.dashboard.admin import rebuild_command

    return rebuild_command()


def cmd_simulate(args: argparse.Namespace) -> int:
    """Synthetic district (services/simulator); it parses every argument after ``simulate`` itself."""
    from services.simulator.cli import main as simulate_main

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
        spec = yaml.safe_load(_build(service).asyncapi().to_specification().to_yaml())
        (out / f"{service}.yaml").write_text(yaml.safe_dump(spec, sort_keys=True, allow_unicode=True), encoding="utf-8")
        print(out / f"{service}.yaml")
    return 0


def cmd_regions(args: argparse.Namespace) -> int:
    """Import Kemendagri region codes from the idn-area-data npm package."""
    from shared import regions

    return regions.main(args.rest)


def cmd_screening_evaluate(_args: argparse.Namespace) -> int:
    """Intake visits as JSON lines on stdin; one result line each on stdout (the service's own code).

    Earlier lines of the same person are that person's history, in input order.
    """
    import json

    from services.screening.domain import LineEvaluator
    from services.screening.settings import ScreeningSettings

    evaluator = LineEvaluator(ScreeningSettings().screening_config())
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(evaluator.evaluate(line), ensure_ascii=False) + "\n")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jejaring", description="Jejaring: ILP event backbone")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("up", help="broker and all four services")
    s.add_argument("--no-simulate", action="store_true", help="do not start the demo simulator")
    s.add_argument("--district", default="18.01", help="seed district of the demo (default: 18.01)")
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
    s = tok.add_parser("issue", help="issue a facility or viewer token")
    s.add_argument("--facility")
    s.add_argument("--region")
    s.add_argument("--role", choices=["viewer", "admin"])
    s.set_defaults(fn=cmd_token_issue)
    s = tok.add_parser("revoke", help="revoke a facility token")
    s.add_argument("token")
    s.set_defaults(fn=cmd_token_revoke)
    s = sub.add_parser("replay", help="re-publish a service's outbox since a time")
    s.add_argument("service", choices=SERVICES)
    s.add_argument("--since", help="ISO time (default: 7 days ago)")
    s.add_argument("--publish", action="store_true", help="publish now from this process")
    s.set_defaults(fn=cmd_replay)
    s = sub.add_parser("rebuild", help="rebuild a read model from the topics")
    s.add_argument("service", choices=["dashboard"])
    s.set_defaults(fn=cmd_rebuild)
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
