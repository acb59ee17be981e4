"""The commands on PostgreSQL as an operator runs them: ONE base ``DATABASE_URL`` for the installation.

Each command finds each service's own database exactly as ``jejaring up`` does (``<name>_<service>``;
``JEJARING_<SERVICE>_DATABASE_URL`` wins): facilities and targets land in registration's database,
facility and admin tokens there too, viewer tokens in the dashboard's; ``token list`` and ``token
revoke`` find each in its own; the database the base URL names is never opened.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import asyncpg
import pytest

from shared.broker import start_broker
from tests.integration.conftest import FACILITIES
from tests.integration.harness import ROOT, Postgres, free_port

pytestmark = pytest.mark.postgres

TARGETS = """village_code,year,target,count
18.01.06.2001,2026,pregnant,40
18.01.06.2001,2026,under_five,210
"""


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """PostgreSQL and a broker (the commands publish what they change); no service runs."""
    var = tmp_path_factory.mktemp("commands-postgres")
    postgres = Postgres()
    url = postgres.start()
    port = free_port()
    broker = start_broker(port=port, log_file=var / "broker.log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEJARING_") and k != "DATABASE_URL"}
    env.update({"DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}", "JEJARING_VAR_DIR": str(var),
                "JEJARING_ENVIRONMENT": "test", "JEJARING_PROGRESS": "plain", "PYTHONPATH": str(ROOT)})
    try:
        yield {"env": env, "url": url, "var": var}
    finally:
        broker.kill()
        broker.wait()
        postgres.stop()


def jejaring(installation: dict, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "services.cli", *args], env=env or installation["env"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, f"jejaring {' '.join(args)}: {done.stderr}"
    return done


def query(url: str, database: str, sql: str) -> list:
    async def run() -> list:
        connection = await asyncpg.connect(url.rsplit("/", 1)[0] + "/" + database)
        try:
            return [tuple(r) for r in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(run())


def databases(url: str) -> set[str]:
    return {name for (name,) in query(url, "postgres", "SELECT datname FROM pg_database WHERE NOT datistemplate")}


def test_every_command_uses_each_services_own_database(installation: dict) -> None:
    url, var = installation["url"], installation["var"]
    (var / "facilities.csv").write_text(FACILITIES)
    (var / "targets.csv").write_text(TARGETS)

    imported = jejaring(installation, "facilities", "import", str(var / "facilities.csv"))
    assert "facilities import: done" in imported.stderr  # the progress summary
    jejaring(installation, "targets", "import", str(var / "targets.csv"))
    facility = jejaring(installation, "token", "issue", "--facility", "PKM180106").stdout.splitlines()
    admin = jejaring(installation, "token", "issue", "--region", "18.01", "--role", "admin").stdout.splitlines()
    viewer = jejaring(installation, "token", "issue", "--region", "18.01", "--role", "viewer").stdout.splitlines()
    ids = {kind: lines[-2].removeprefix("id: ") for kind, lines in
           (("facility", facility), ("admin", admin), ("viewer", viewer))}
    assert all(lines[-2].startswith("id: ") for lines in (facility, admin, viewer))

    # Each service's own database; the one DATABASE_URL names is never even opened (it does not exist).
    assert {"jejaring_registration", "jejaring_dashboard"} <= databases(url)
    assert "jejaring" not in databases(url)
    registration = "jejaring_registration"
    assert len(query(url, registration, "SELECT facility_id FROM facilities")) == 4
    assert query(url, registration, "SELECT count(*) FROM targets") == [(2,)]
    tokens = dict(query(url, registration, "SELECT token_id, role FROM tokens"))
    assert tokens == {ids["facility"]: "facility", ids["admin"]: "admin"}
    viewers = dict(query(url, "jejaring_dashboard", "SELECT token_id, kind FROM viewer_tokens"))
    assert viewers == {ids["viewer"]: "viewer"}

    listed = jejaring(installation, "token", "list").stdout
    assert all(token_id in listed for token_id in ids.values())
    jejaring(installation, "token", "revoke", ids["viewer"])
    jejaring(installation, "token", "revoke", ids["facility"])
    assert query(url, "jejaring_dashboard", "SELECT revoked_at IS NOT NULL FROM viewer_tokens") == [(True,)]
    revoked = dict(query(url, registration, "SELECT token_id, revoked_at IS NOT NULL FROM tokens"))
    assert revoked == {ids["facility"]: True, ids["admin"]: False}

    # A service's own URL wins over the derived name (an external server per service, say).
    own = {**installation["env"], "JEJARING_DASHBOARD_DATABASE_URL": url.rsplit("/", 1)[0] + "/elsewhere_dashboard"}
    jejaring(installation, "token", "issue", "--region", "18.01", "--role", "viewer", env=own)
    assert query(url, "elsewhere_dashboard", "SELECT count(*) FROM viewer_tokens") == [(1,)]
    assert query(url, "jejaring_dashboard", "SELECT count(*) FROM viewer_tokens") == [(1,)]
