"""End-to-end scenarios: a simulated district driven through the real system, compared with its ground truth.

The fixture starts the broker and the five services (``tests.integration.harness.System``), sets a seed
district up with ``jejaring simulate setup`` (facilities, targets, one token per Puskesmas) and issues a
viewer token for the district. Helpers read the dashboard's PWS for every month a ground truth covers
(district total, kecamatan rows, village rows) and wait until it equals what the truth expects.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.integration.harness import ROOT, Postgres, System

DISTRICT = "18.72"  # Kota Metro: the smallest seed district (5 kecamatan, 22 kelurahan)
POPULATION_SCALE = "0.03"  # ~40 visits a simulated day: a month is ~1,200 messages
TARGET_YEAR = "2026"  # every simulated window lies in this year, but the cohort's
COHORT_YEAR = "2025"  # the cohort scenario's year (a calendar year no other scenario touches)
TARGET_YEARS = (int(TARGET_YEAR), int(COHORT_YEAR))
INTAKE_DLQ = "ilp.intake.visit.v1.registration.dlq"

Cell = tuple[int, int | None, float | int | None]  # numerator, denominator, value
Table = dict[str, dict[str, dict[str, Cell]]]  # period -> area code -> indicator -> cell


@dataclass
class District:
    """The running system with a simulated district set up on it."""

    system: System
    dir: Path
    tokens_file: Path
    viewer_token: str
    verified: Table = field(default_factory=dict)  # months already shown to match their truth
    runs: list = field(default_factory=list)  # the emissions of every run sent to this system (for K)
    backend: str = "sqlite"

    def full_scenarios_only(self) -> None:
        """Skip a long scenario on PostgreSQL unless JEJARING_E2E_FULL asks for it."""
        if self.backend == "postgres" and not FULL_ON_POSTGRES:
            pytest.skip("the disruption scenario runs on SQLite; on PostgreSQL with JEJARING_E2E_FULL=1")


def simulator_env(system: System) -> dict[str, str]:
    """The environment for ``jejaring simulate``: an operator's shell, with ONE base ``DATABASE_URL``.

    ``setup`` runs ``jejaring facilities import``, ``targets import`` and ``token issue``, each of
    which finds registration's own database from it as ``jejaring up`` does (suffix ``_registration``).
    """
    return system.command_env()


def simulate(system: System, *args: str, timeout: float = 300) -> tuple[str, dict | None]:
    """Run ``jejaring simulate ARGS``; return its standard output and the JSON summary it logs last."""
    result = subprocess.run([sys.executable, "-m", "services.cli", "simulate", *args], env=simulator_env(system),
                            capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"jejaring simulate {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    summary = None
    for line in reversed(result.stderr.splitlines()):
        if line.startswith("{"):
            summary = json.loads(line)
            break
    return result.stdout, summary


# Both databases by default. On PostgreSQL the suite runs the month scenario (the set-up commands,
# both intakes, faults, the dashboard against the truth: about 95 s), not the disruption scenario
# (another 170 s of kills and broker loss, whose recovery is the same code on both databases);
# JEJARING_E2E_FULL=1 runs that too. JEJARING_E2E_BACKENDS=sqlite (or postgres) picks one.
BACKENDS = [
    pytest.param(b, marks=pytest.mark.postgres) if b == "postgres" else b
    for b in os.environ.get("JEJARING_E2E_BACKENDS", "sqlite,postgres").split(",")
]
FULL_ON_POSTGRES = os.environ.get("JEJARING_E2E_FULL", "") not in ("", "0")


@pytest.fixture(scope="module", params=BACKENDS)
def district(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[District]:
    """The whole system with Kota Metro set up by the simulator, once per backend."""
    postgres = None
    database_url = None
    if request.param == "postgres":
        postgres = Postgres()
        database_url = postgres.start()
    var = tmp_path_factory.mktemp(f"e2e-{request.param}")
    system = System(var=var, database_url=database_url)
    try:
        system.up()
        out = var / "simulator"
        simulate(system, "setup", "--district", DISTRICT, "--population-scale", POPULATION_SCALE,
                 "--year", TARGET_YEAR, "--year", COHORT_YEAR, "--dir", str(out))
        viewer = system.cli("token", "issue", "--region", DISTRICT, "--role", "viewer").strip().splitlines()[-1]
        yield District(system=system, dir=out, tokens_file=out / "tokens.json", viewer_token=viewer,
                       backend=request.param)
    finally:
        system.down()
        if postgres:
            postgres.stop()


# -- the dashboard's side --------------------------------------------------------------------

def _pws(district: District, region: str, period: str) -> dict:
    response = httpx.get(district.system.url("dashboard") + "/v1/pws", params={"region": region, "period": period},
                         headers={"Authorization": f"Bearer {district.viewer_token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _cells(indicators: dict, names: list[str]) -> dict[str, Cell]:
    return {name: (indicators[name]["numerator"], indicators[name]["denominator"], indicators[name]["value"])
            for name in names if name in indicators}


def dashboard_table(district: District, periods: list[str], indicators: list[str]) -> Table:
    """The dashboard's cells for ``periods``: the district total, each kecamatan and each village."""
    table: Table = {}
    for period in periods:
        top = _pws(district, DISTRICT, period)
        areas = {DISTRICT: _cells(top["total"]["indicators"], indicators)}
        for row in top["rows"]:
            areas[row["code"]] = _cells(row["indicators"], indicators)
            for village in _pws(district, row["code"], period)["rows"]:
                areas[village["code"]] = _cells(village["indicators"], indicators)
        table[period] = areas
    return table


# -- the truth's side ------------------------------------------------------------------------

def truth_table(truth: dict) -> Table:
    """What the ground truth (``Truth.result()`` / the ``--truth`` file) expects, in the same shape."""
    table: Table = {}
    for period, data in truth["periods"].items():
        areas = {DISTRICT: data["total"], **data["kecamatan"], **data["villages"]}
        table[period] = {code: {name: (c["numerator"], c["denominator"], c["value"]) for name, c in cells.items()}
                         for code, cells in areas.items()}
    return table


# K (SKDN) is January up to the month by definition: a month's K/S and D/K count the children of every run
# this system was sent in that year, not only the run that covers the month.
ACROSS_RUNS = ("skdn_k_s", "skdn_d_k")


def across_runs(expected: Table, runs: list, network) -> Table:  # noqa: ANN001
    """``expected`` with its K/S and D/K cells from one ground truth of all ``runs`` (lists of emissions)."""
    from simulator.truth import Truth

    combined = Truth.for_network(network, TARGET_YEARS, zscores=None)  # K and D need no z-score
    for run in runs:
        for e in run:
            combined.add(e)
    table = truth_table(combined.result())
    return {period: {code: {**cells, **{n: table[period][code][n] for n in ACROSS_RUNS if n in cells}}
                     for code, cells in areas.items()} for period, areas in expected.items()}


def indicators_of(table: Table) -> list[str]:
    return sorted({name for areas in table.values() for cells in areas.values() for name in cells})


def differences(expected: Table, actual: Table, limit: int = 40) -> list[str]:
    """Human-readable mismatches (period, area, indicator: dashboard vs truth)."""
    out = []
    for period, areas in sorted(expected.items()):
        got_areas = actual.get(period, {})
        if set(areas) != set(got_areas):
            out.append(f"{period}: areas only in truth {sorted(set(areas) - set(got_areas))}, "
                       f"only on the dashboard {sorted(set(got_areas) - set(areas))}")
        for code, cells in sorted(areas.items()):
            got = got_areas.get(code, {})
            for name, cell in sorted(cells.items()):
                if got.get(name) != cell:
                    out.append(f"{period} {code} {name}: dashboard {got.get(name)} != truth {cell}")
    return out[:limit] + ([f"... {len(out) - limit} more"] if len(out) > limit else [])


def wait_for_truth(district: District, expected: Table, *, timeout: float = 120.0, quiet: float = 2.0) -> Table:
    """Poll the dashboard until it equals ``expected`` and still does ``quiet`` seconds later.

    Until the district totals equal their truth only those are polled (cheap); then the whole table.

    Raises AssertionError listing the differences when that does not happen within ``timeout``.
    Equal-then-stable rather than merely stable: a pipeline paused in a retry back-off looks stable
    too, and a late duplicate counted twice would break the equality during the quiet window.
    """
    periods = sorted(expected)
    names = indicators_of(expected)
    deadline = time.monotonic() + timeout
    # While the pipeline catches up, poll the district totals only (one request a month instead of one per
    # kecamatan too); the full table is compared from the first time they are equal.
    totals = {p: {DISTRICT: expected[p][DISTRICT]} for p in periods if DISTRICT in expected[p]}
    while totals and time.monotonic() < deadline:
        shown = {p: {DISTRICT: _cells(_pws(district, DISTRICT, p)["total"]["indicators"], names)} for p in totals}
        if not differences(totals, shown):
            break
        time.sleep(1.0)
    actual = dashboard_table(district, periods, names)
    while True:
        if not differences(expected, actual):
            time.sleep(quiet)
            actual = dashboard_table(district, periods, names)
            if not differences(expected, actual):
                return actual
        if time.monotonic() > deadline:
            break
        time.sleep(1.0)
        actual = dashboard_table(district, periods, names)
    raise AssertionError(f"the dashboard did not reach the ground truth within {timeout:.0f} s:\n  "
                         + "\n  ".join(differences(expected, actual)))


def metric(system: System, service: str, name: str) -> float:
    """The sum of every series of a Prometheus metric on a service's ``/metrics`` (0 when absent)."""
    text = httpx.get(system.url(service) + "/metrics", timeout=10).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


# -- the dead-letter topic -------------------------------------------------------------------

def dead_letters(system: System, topic: str = INTAKE_DLQ, idle_polls: int = 2) -> list[bytes]:
    """Every value on ``topic`` from the beginning (an empty list when the topic does not exist)."""
    from aiokafka import AIOKafkaConsumer

    async def read() -> list[bytes]:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=system.bootstrap, auto_offset_reset="earliest",
                                    group_id=None, enable_auto_commit=False)
        await consumer.start()
        values: list[bytes] = []
        try:
            idle = 0
            while idle < idle_polls:
                batch = await consumer.getmany(timeout_ms=1000)
                if not any(batch.values()):
                    idle += 1
                    continue
                idle = 0
                for records in batch.values():
                    values += [r.value for r in records]
        finally:
            await consumer.stop()
        return values

    return asyncio.run(read())
