"""A province's year in the dashboard's read model: Lampung (province 18), and how fast its views answer.

Over 300 lines because it builds, serves and measures the province in one run, on both databases.

What it builds, on SQLite and on PostgreSQL:
- the region tree of Lampung: the 15 real kabupaten/kota; the real kecamatan and desa where
  ``shared/data/regions.csv`` has them (18.01 Lampung Selatan, 18.72 Kota Metro), generated ones under
  the other 13 real kabupaten codes (kecamatan ``18.KK.CC``, desa ``18.KK.CC.2DDD``) with about the
  real counts (BPS: 228 kecamatan, 2,651 desa/kelurahan, ~9.3 M people). Written to a regions CSV
  the dashboard loads through ``$JEJARING_REGIONS_FILE``;
- every aggregate row of a year: every village x 12 months x every indicator of the registry, written
  with the read model's own cell upsert (``readmodel.flush._cells``, staged deltas built directly);
  targets for every village (``_targets``), a Puskesmas per kecamatan and a Pustu and Posyandu per
  village (``_facilities``), freshness per village (``_freshness``), ~20 referrals per village
  (``_referrals``);
- ``person_status`` for a district's year: ``--persons`` persons of Lampung Selatan x three
  person-level indicators, each in one month of the year (bulk insert: these rows are only read by the
  apply path, never by a PWS query).

Then it serves the dashboard (``services.dashboard.app.create_app``) with uvicorn in a subprocess,
as ``jejaring run`` serves it (uvloop, httptools, the same collector settings; lifespan off: no broker,
the read routes need only the database), and measures, over real HTTP with
keep-alive from this process, p50/p95 of ``/v1/pws`` for the province, a kabupaten, a kecamatan and a
desa, for this month (2026-12, whose answer carries the year-to-date of all twelve months) and for
June, plus ``/v1/pws.csv`` for the province; the page's first render in headless Chromium when
Selenium and Chromium are installed; the server's peak RSS; the database's size.

Then ``apply``: the read model's apply path on stored events, on one core — ``staging`` of each
VisitRecorded/VisitScreened (built with ``shared.contracts.events``), merged per batch as the consumer
does, and ``flush`` in one transaction per batch, against the loaded database (so ``person_status`` is
the district's).

Last, ``rebuild`` (``rebuild_events_per_s``): ``jejaring rebuild dashboard`` for real — the same
number of such events as CloudEvents on their topics in the embedded broker, then the command's own
re-read (``services.dashboard.reread``: empty the read model, decode, stage and flush 10,000 events a
transaction, no inbox) into this database; the rate is over the re-read, the emptying reported apart.

``python bench/province.py`` prints the JSON; ``bench/run.py`` calls :func:`run`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WIB = timezone(timedelta(hours=7))
YEAR = 2026
PROVINCE = "18"
# The 13 kabupaten/kota of Lampung whose kecamatan and desa the seed file does not carry:
# (kecamatan, desa/kelurahan), about the real counts.
GENERATED = {
    "18.02": (28, 311), "18.03": (23, 247), "18.04": (15, 136), "18.05": (15, 151), "18.06": (20, 302),
    "18.07": (24, 264), "18.08": (14, 227), "18.09": (11, 148), "18.10": (9, 131), "18.11": (7, 105),
    "18.12": (9, 103), "18.13": (11, 118), "18.71": (20, 126),
}
PERSON_INDICATORS = ("bp_screened", "hypertension", "diabetes")
PERSON_DISTRICT = "18.01"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return round(ordered[index], 1)


# --- the region tree -------------------------------------------------------------------------------

def province_regions(scale: float = 1.0) -> list[tuple[str, str, str, str]]:
    """Lampung's rows ``(code, name, level, parent_code)``: real where the seed file has them, generated
    under the real kabupaten codes elsewhere. ``scale`` < 1 keeps that share of each kecamatan's desa
    (at least one) and of each generated kabupaten's kecamatan (at least one)."""
    from shared.regions import load_regions

    seed = load_regions()
    rows = [(r.code, r.name, r.level, r.parent_code or "") for r in
            [seed.get(PROVINCE), *seed.children(PROVINCE)]]
    for kab in seed.children(PROVINCE):
        if kab.code in GENERATED:
            kecamatan, desa = GENERATED[kab.code]
            kept = max(1, round(kecamatan * scale))
            for c in range(1, kept + 1):
                code = f"{kab.code}.{c:02d}"
                rows.append((code, f"Kecamatan {code}", "kecamatan", kab.code))
                share = desa // kecamatan + (1 if c <= desa % kecamatan else 0)
                for d in range(1, max(1, round(share * scale)) + 1):
                    rows.append((f"{code}.{2000 + d}", f"Desa {code}.{2000 + d}", "desa", code))
        else:
            for kec in seed.children(kab.code):
                rows.append((kec.code, kec.name, kec.level, kab.code))
                villages = seed.children(kec.code)
                for v in villages[:max(1, round(len(villages) * scale))]:
                    rows.append((v.code, v.name, v.level, kec.code))
    return rows


def write_regions_file(path: Path, province: list[tuple[str, str, str, str]]) -> None:
    """Every province and kab/kota of the seed file, with Lampung's tree replaced by ``province``."""
    from shared.regions import CSV_COLUMNS, load_regions

    seed = load_regions()
    others = [(r.code, r.name, r.level, r.parent_code or "") for r in
              sorted((seed.get(c) for c in [r.code for p in seed.children("") for r in [p, *seed.children(p.code)]]),
                     key=lambda r: r.code) if r.code != PROVINCE and not r.code.startswith(PROVINCE + ".")]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(sorted(others + province))


# --- loading ---------------------------------------------------------------------------------------

def dashboard_settings(url: str, var: Path):  # noqa: ANN201
    from services.dashboard.settings import DashboardSettings

    return DashboardSettings(database_url=url, var_dir=var, log_level="WARNING")


def _cell_deltas(villages: list[str], rng: random.Random) -> dict[tuple[str, str, str], list[int]]:
    """A year of plausible per-village deltas for every indicator: [numerator, measured, ytd_num, ytd_meas]."""
    from services.dashboard.domain.registry import REGISTRY

    deltas: dict[tuple[str, str, str], list[int]] = {}
    for village in villages:
        size = rng.randint(150, 450)  # visits a month in a village of ~3,400 people
        for month in range(1, 13):
            period = f"{YEAR}-{month:02d}"
            first = max(0.15, 1 - month / 12)  # the share of this month's persons not measured before this year
            for ind in REGISTRY:
                if ind.kind == "count":
                    n = rng.randint(1, size) if ind.id == "visits" else rng.randint(1, size // 10)
                    deltas[(village, period, ind.id)] = [n, 0, n, 0]
                else:
                    measured = rng.randint(size // 4, size)
                    positive = rng.randint(0, max(1, measured // 5))
                    deltas[(village, period, ind.id)] = [positive, measured, int(positive * first),
                                                         max(1, int(measured * first))]
    return deltas


def _facilities(regions: list[tuple[str, str, str, str]]) -> list:
    """A Puskesmas per kecamatan (in its first desa), a Pustu and a Posyandu per desa under it."""
    from shared.contracts.events import FacilityRegistered

    first: dict[str, str] = {}
    for code, _name, level, parent in regions:
        if level == "desa":
            first.setdefault(parent, code)
    out = []
    for code, name, level, parent in regions:
        if level == "kecamatan" and code in first:
            out.append(FacilityRegistered(facility_id=f"PKM{code.replace('.', '')}", name=f"Puskesmas {name}",
                                          type="puskesmas", village_code=first[code], revision=1))
        elif level == "desa":
            pkm, pst = f"PKM{parent.replace('.', '')}", f"PST{code.replace('.', '')}"
            out.append(FacilityRegistered(facility_id=pst, name=f"Pustu {name}", type="pustu", parent_id=pkm,
                                          village_code=code, revision=1))
            out.append(FacilityRegistered(facility_id=f"PSY{code.replace('.', '')}A", name=f"Posyandu {name}",
                                          type="posyandu", parent_id=pst, village_code=code, revision=1))
    return out


async def load(url: str, var: Path, regions: list[tuple[str, str, str, str]], persons: int, seed: int = 18) -> dict:
    """Migrate a fresh dashboard database at ``url`` and write the province's year into it."""
    from sqlalchemy import func, insert, select

    from services.dashboard import models
    from services.dashboard.app import build_service
    from services.dashboard.domain.registry import TARGET_GROUPS
    from services.dashboard.readmodel import flush
    from services.dashboard.readmodel.staging import ReferralPatch

    rng = random.Random(seed)
    service = build_service(dashboard_settings(url, var))
    await service.migrate()
    villages = [r[0] for r in regions if r[2] == "desa"]
    timings: dict[str, float] = {}

    async def write(fn) -> None:  # noqa: ANN001
        async with service.db.session() as session, session.begin():
            await session.run_sync(lambda sync: fn(sync, sync.get_bind().dialect.name))

    started = time.perf_counter()
    for start in range(0, len(villages), 100):  # one transaction per 100 villages (20,400 cells)
        deltas = _cell_deltas(villages[start:start + 100], rng)
        await write(lambda s, d, deltas=deltas: flush._cells(s, d, deltas))
    timings["cells_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    targets = {}
    for village in villages:
        people = rng.randint(2000, 5000)
        shares = {"pregnant": 0.02, "under_five": 0.09, "adolescent": 0.17, "adult_15_59": 0.62, "elderly": 0.1,
                  "infant": 0.018}
        for group in TARGET_GROUPS:
            targets[(village, YEAR, group)] = int(people * shares.get(group, 0.05))
    items = sorted(targets.items())
    for start in range(0, len(items), 5000):
        await write(lambda s, d, chunk=dict(items[start:start + 5000]): flush._targets(s, d, chunk))
    facilities = _facilities(regions)
    for start in range(0, len(facilities), 2000):
        await write(lambda s, d, chunk=facilities[start:start + 2000]: flush._facilities(s, d, chunk))
    now = datetime.now(timezone.utc)
    fresh = {v: now - timedelta(days=rng.choice([0, 1, 2, 3, 5, 9, 12, 20, 40])) for v in villages}
    await write(lambda s, d: flush._freshness(s, d, fresh, now))
    patches = []
    for village in villages:
        for _ in range(20):
            made = datetime(YEAR, rng.randint(1, 11), rng.randint(1, 28), 9, tzinfo=WIB)
            status = rng.choice(["made", "made", "arrived", "completed", "completed"])
            patches.append(ReferralPatch(
                referral_id=str(uuid.UUID(int=rng.getrandbits(128))), village_code=village,
                period=made.strftime("%Y-%m"), made_at=made, status=status, status_at=made + timedelta(days=3),
                due_at=made + timedelta(days=7), urgency="moderate", destination_level="puskesmas",
                feedback=status == "completed"))
    for start in range(0, len(patches), 5000):
        await write(lambda s, d, chunk=patches[start:start + 5000]: flush._referrals(s, d, chunk))
    timings["reference_s"] = round(time.perf_counter() - started, 1)

    started = time.perf_counter()
    district = [v for v in villages if v.startswith(PERSON_DISTRICT + ".")] or villages
    rows = 0
    t = models.person_status
    batch: list[dict] = []

    async def put(chunk: list[dict]) -> None:
        async with service.db.session() as session, session.begin():
            if service.db.is_sqlite:
                await session.execute(insert(t), chunk)
                return
            raw = await (await session.connection()).get_raw_connection()  # COPY: 3-4x faster than INSERTs
            columns = [c.name for c in t.columns]
            await raw.driver_connection.copy_records_to_table(
                t.name, records=[tuple(row[c] for c in columns) for row in chunk], columns=columns)

    base = datetime(YEAR, 1, 1, 9, tzinfo=timezone.utc)
    for p in range(persons):
        person = f"P{p:09d}"
        village = district[p % len(district)]
        for k, indicator in enumerate(PERSON_INDICATORS):
            month = (p + k * 5) % 12 + 1
            batch.append({"person_id": person, "indicator": indicator, "period": f"{YEAR}-{month:02d}",
                          "village_code": village, "occurred_at": base + timedelta(days=31 * (month - 1) + p % 27),
                          "numerator": (p * 7 + k) % 5 == 0})
        if len(batch) >= 30_000:
            await put(batch)
            rows += len(batch)
            batch = []
    if batch:
        await put(batch)
        rows += len(batch)
    timings["person_status_s"] = round(time.perf_counter() - started, 1)
    async with service.db.read_session() as session:  # what is stored, counted by the database
        cells = await session.scalar(select(func.count()).select_from(models.cells))
        rows = await session.scalar(select(func.count()).select_from(t))
    await service.db.dispose()
    return {"rows": {"cells": cells, "person_status": rows, "targets": len(targets), "facilities": len(facilities),
                     "referrals": len(patches), "villages": len(villages),
                     "kecamatan": sum(1 for r in regions if r[2] == "kecamatan"),
                     "kabupaten": sum(1 for r in regions if r[2] == "kabupaten")},
            "person_status_district": PERSON_DISTRICT, "persons": persons, "load_seconds": timings}


async def issue_token(url: str, var: Path, scope: str) -> str:
    from services.dashboard.app import build_service
    from services.dashboard.usecases import access

    service = build_service(dashboard_settings(url, var))
    try:
        async with service.db.session() as session, session.begin():
            return (await access.issue_viewer_token(session, scope, 30)).token
    finally:
        await service.db.dispose()


async def database_mb(url: str) -> float:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from shared.settings import normalise_database_url

    full = normalise_database_url(url)
    if full.startswith("sqlite"):
        path = Path(make_url(full).database)
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # with -wal / -shm
        return round(size / 2**20, 1)
    engine = create_async_engine(full)
    async with engine.connect() as conn:
        size = await conn.scalar(text("SELECT pg_database_size(current_database())"))
    await engine.dispose()
    return round(size / 2**20, 1)


# --- serving ---------------------------------------------------------------------------------------

def serve(url: str, var: Path, port: int) -> None:
    """The dashboard app under uvicorn as ``jejaring run`` serves it (uvloop, httptools, the services'
    collector settings), in one process with lifespan off (the read routes need no broker)."""
    import uvicorn

    from services.cli import SERVER, tune_gc
    from services.dashboard.app import create_app

    settings = dashboard_settings(url, var)
    app = create_app(settings)
    tune_gc(settings.gc_threshold)
    uvicorn.run(app, host="127.0.0.1", port=port, lifespan="off", **SERVER)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(data_dir: Path | None) -> float:
    """CPU seconds of a PostgreSQL cluster's processes (the postmaster and its children); 0 without one."""
    if data_dir is None:
        return 0.0
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) == postmaster or int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def peak_rss_mb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def views(regions: list[tuple[str, str, str, str]]) -> dict[str, tuple[str, dict]]:
    """The measured requests: name -> (path, params)."""
    kab = "18.01"
    kec = "18.01.06" if any(r[0] == "18.01.06" for r in regions) else next(r[0] for r in regions if r[2] == "kecamatan")
    desa = next(r[0] for r in regions if r[2] == "desa" and r[3] == kec)
    out = {}
    for period, label in ((f"{YEAR}-12", "dec"), (f"{YEAR}-06", "jun")):
        for name, code in (("province", PROVINCE), ("kabupaten", kab), ("kecamatan", kec), ("desa", desa)):
            out[f"{name}_{label}"] = ("/v1/pws", {"region": code, "period": period})
    out["province_csv_dec"] = ("/v1/pws.csv", {"region": PROVINCE, "period": f"{YEAR}-12"})
    return out


async def measure_views(base: str, token: str, regions: list, requests: int, pid: int,
                        database: Path | None = None) -> tuple[dict, dict]:
    """p50/p95 ms per view over ``requests`` sequential requests (after 2 untimed), the server's CPU ms
    per request (process ``pid``: what the answer costs whatever else the machine runs), and a check
    of each answer."""
    results, checks = {}, {}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        for name, (path, params) in views(regions).items():
            for _ in range(2):
                response = await client.get(path, params=params)
                response.raise_for_status()
            timings = []
            cpu, db_cpu = cpu_seconds(pid), database_cpu_seconds(database)
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(path, params=params)
                response.raise_for_status()
                timings.append((time.perf_counter() - started) * 1000)
            results[name] = {"p50_ms": percentile(timings, 50), "p95_ms": percentile(timings, 95),
                             "server_cpu_ms": round((cpu_seconds(pid) - cpu) * 1000 / requests, 1),
                             "database_cpu_ms": round((database_cpu_seconds(database) - db_cpu) * 1000 / requests, 1),
                             "bytes": len(response.content)}
            if path == "/v1/pws":
                data = response.json()
                total = data["total"]
                checks[name] = {"rows": len(data["rows"]), "villages": total["villages"],
                                "visits": total["indicators"]["visits"]["value"],
                                "visits_ytd": total["ytd"]["indicators"]["visits"]["value"]}
    return results, checks


def page_render_ms(base: str, token: str, samples: int = 5) -> dict | None:
    """Milliseconds from navigating to ``/`` (signed in, scope the province) to the first rendered PWS
    table (``body[data-loaded]``), in headless Chromium; None without Selenium or Chromium."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service as ChromeService
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        return None
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(binary).exists() or not Path("/usr/bin/chromedriver").exists():
        return None
    sid = httpx.post(base + "/login", data={"token": token}, follow_redirects=False).cookies.get("jejaring_session")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=ChromeService("/usr/bin/chromedriver"), options=options)
    timings, fetches = [], []
    try:
        driver.get(base + "/login")
        driver.add_cookie({"name": "jejaring_session", "value": sid, "path": "/"})
        for _ in range(samples + 1):
            started = time.perf_counter()
            driver.get(base + "/")
            WebDriverWait(driver, 60, poll_frequency=0.01).until(
                lambda d: d.execute_script("return document.body && document.body.dataset.loaded || 0"))
            timings.append((time.perf_counter() - started) * 1000)
            fetches.append(driver.execute_script(
                "const e = performance.getEntriesByType('resource').find(r => r.name.includes('/v1/pws?'));"
                "return e ? e.responseEnd - e.startTime : null"))
        title = driver.execute_script("return document.getElementById('title').textContent")
    finally:
        driver.quit()
    timings, fetches = timings[1:], [f for f in fetches[1:] if f is not None]  # the first warms the cache
    return {"samples_ms": [round(t) for t in timings], "p50_ms": percentile(timings, 50),
            "pws_fetch_p50_ms": percentile(fetches, 50),
            "max_ms": round(max(timings), 1), "title": title, "until": "body[data-loaded] (table and charts drawn)"}


# --- the apply path --------------------------------------------------------------------------------

def apply_events(villages: list[str], n: int, seed: int = 5) -> list:
    """``n`` events: adults' VisitRecorded and the VisitScreened screening makes of each (1:1), across
    the province's villages, one new person per visit pair, in November."""
    from shared.contracts.events import (
        PwsFacts,
        VisitFacts,
        VisitRecorded,
        VisitScreened,
    )

    rng = random.Random(seed)
    events = []
    for i in range(n // 2):
        village = rng.choice(villages)
        person = f"A{i:09d}"
        when = datetime(YEAR, 11, rng.randint(1, 28), 9, tzinfo=WIB)
        visit = uuid.UUID(int=rng.getrandbits(128))
        sbp, glucose = rng.randint(100, 180), rng.randint(80, 260)
        events.append(VisitRecorded(
            visit_id=visit, person_id=person, facility_id="PSY1", facility_type="posyandu", service_point="posyandu",
            village_code=village, occurred_at=when, recorded_at=when, sex="F", age_days=40 * 365, stage="adult",
            measurements={"systolic_mmhg": sbp, "diastolic_mmhg": 80, "glucose_mg_dl": glucose}))
        events.append(VisitScreened(
            visit_id=visit, person_id=person, facility_id="PSY1", village_code=village, occurred_at=when,
            stage="adult", sex="F", age_days=40 * 365, risk_codes=["ht_grade2"] if sbp >= 160 else [],
            ruleset_version="bench", facts=VisitFacts(pws=PwsFacts(hypertension=sbp >= 140, diabetes=glucose >= 200))))
    return events


async def apply_rate(url: str, var: Path, villages: list[str], n: int, batch: int,
                     database: Path | None = None) -> dict:
    """Events/s of stage + merge + flush, one transaction per ``batch`` events, in this process (one core)."""
    from services.dashboard.app import build_service
    from services.dashboard.domain.registry import REGISTRY
    from services.dashboard.readmodel import flush, staging

    events = apply_events(villages, n)
    service = build_service(dashboard_settings(url, var))
    stage_s = flush_s = 0.0
    cpu, db_cpu = time.process_time(), database_cpu_seconds(database)
    started = time.perf_counter()
    for start in range(0, len(events), batch):
        t0 = time.perf_counter()
        pending = staging.Pending()
        for event in events[start:start + batch]:
            staging.stage_into(pending, event, REGISTRY)
        t1 = time.perf_counter()
        async with service.db.session() as session, session.begin():
            await flush.write(session, pending)
        stage_s += t1 - t0
        flush_s += time.perf_counter() - t1
    elapsed = time.perf_counter() - started
    cpu, db_cpu = time.process_time() - cpu, database_cpu_seconds(database) - db_cpu
    await service.db.dispose()
    return {"events": len(events), "batch": batch, "events_per_s": round(len(events) / elapsed, 1),
            "events_per_cpu_s": round(len(events) / cpu, 1),
            "stage_s": round(stage_s, 2), "flush_s": round(flush_s, 2), "process_cpu_s": round(cpu, 2),
            "database_cpu_s": round(db_cpu, 2),
            "what": "staging.stage + Pending.merge + flush (one transaction per batch) on stored events, one process"}


async def rebuild_rate(url: str, var: Path, villages: list[str], n: int, batch: int = 10_000,
                       database: Path | None = None, processes: int = 1) -> dict:
    """``jejaring rebuild dashboard`` for real: the embedded broker (Tansu) holding ``n`` events as
    CloudEvents on their topics (the same events as :func:`apply_rate`'s), then the command's re-read
    (``services.dashboard.reread.run``) into this database, timed; CPU of this process and of
    PostgreSQL's."""
    from services.dashboard import reread
    from services.dashboard.app import build_service
    from shared.broker import start_broker
    from shared.envelope import encode
    from shared.messaging.kafka import Producer, ensure_topics
    from shared.settings import KafkaSettings
    from tests.integration.harness import free_port

    port = free_port()
    broker = start_broker(port=port, log_file=var / "broker.log")
    try:
        settings = dashboard_settings(url, var)
        settings.kafka = KafkaSettings(KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}")
        service = build_service(settings)
        await service.migrate()
        await ensure_topics(settings.kafka, service.topics())
        producer = Producer(settings.kafka)
        await producer.start()
        try:
            records = [encode(e, source="/bench/rebuild") for e in apply_events(villages, n, seed=11)]
            for start in range(0, len(records), 5000):
                await producer.publish(records[start:start + 5000])
        finally:
            await producer.stop()
        # --processes: the other shares are `jejaring rebuild` processes, finding the database and broker here
        os.environ.update({"JEJARING_DASHBOARD_DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"})
        cpu, db_cpu = time.process_time(), database_cpu_seconds(database)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = await reread.run(service, service.context.query.registry, batch=batch, processes=processes)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time() - cpu + (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        db_cpu = database_cpu_seconds(database) - db_cpu
        await service.db.dispose()
    finally:
        broker.kill()
        broker.wait()
    return {"events": report.events, "applied": report.applied, "skipped": report.skipped, "batch": batch,
            "processes": processes,
            "partitions": report.partitions, "events_per_s": round(report.events_per_s, 1),
            "events_per_cpu_s": round(report.events / cpu, 1) if cpu else None,
            "read_s": round(report.read_seconds, 2), "command_s": round(report.seconds, 2),
            "process_cpu_s": round(cpu, 2), "database_cpu_s": round(db_cpu, 2),
            "what": "jejaring rebuild dashboard: empty the read model, re-read every consumed topic from Tansu "
                    "(decode, stage, flush, one transaction per batch); events_per_s over the re-read"}


# --- one database ----------------------------------------------------------------------------------

async def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    async with httpx.AsyncClient() as client:
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("the dashboard server exited")
            try:
                if (await client.get(base + "/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the dashboard server did not start")


def one_database(database: str, scale: float, persons: int, requests: int, events: int, batch: int,
                 browser: bool, rebuild_batch: int = 10_000) -> dict:
    """Load, serve, measure and apply on one database (``sqlite`` or ``postgresql``)."""
    from tests.integration.harness import Postgres, free_port

    var = Path(tempfile.mkdtemp(prefix="jejaring-province-"))
    postgres = Postgres() if database == "postgresql" else None
    url = postgres.start() if postgres else f"sqlite:///{var / 'dashboard.db'}"
    regions_file = var / "regions.csv"
    regions = province_regions(scale)
    write_regions_file(regions_file, regions)
    previous = os.environ.get("JEJARING_REGIONS_FILE")
    os.environ["JEJARING_REGIONS_FILE"] = str(regions_file)
    server = None
    try:
        started = time.perf_counter()
        result: dict = {"database": database, **asyncio.run(load(url, var, regions, persons))}
        result["load_seconds"]["total_s"] = round(time.perf_counter() - started, 1)
        result["database_mb"] = asyncio.run(database_mb(url))
        token = asyncio.run(issue_token(url, var, PROVINCE))
        port = free_port()
        server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "serve", "--url", url, "--var", str(var),
                                   "--port", str(port)], cwd=ROOT, env=dict(os.environ))
        base = f"http://127.0.0.1:{port}"
        asyncio.run(wait_ready(base, server))
        result["server"] = ("uvicorn as jejaring run serves it (uvloop, httptools), one process, lifespan off, "
                            "HTTP/1.1 keep-alive from the bench process")
        result["dashboard"], result["answers"] = asyncio.run(measure_views(
            base, token, regions, requests, server.pid, postgres.dir / "data" if postgres else None))
        result["dashboard_p95_ms"] = {name: v["p95_ms"] for name, v in result["dashboard"].items()}
        result["page_render"] = page_render_ms(base, token) if browser else None
        result["peak_rss_mb"] = peak_rss_mb(server.pid)
        server.terminate()
        server.wait(timeout=30)
        server = None
        villages = [r[0] for r in regions if r[2] == "desa"]
        result["apply"] = asyncio.run(apply_rate(url, var, villages, events, batch,
                                                 postgres.dir / "data" if postgres else None))
        result["database_mb_after_apply"] = asyncio.run(database_mb(url))
        result["rebuild"] = asyncio.run(rebuild_rate(url, var, villages, events, rebuild_batch,
                                                     postgres.dir / "data" if postgres else None))
        result["rebuild_events_per_s"] = result["rebuild"]["events_per_s"]
        return result
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if previous is None:
            os.environ.pop("JEJARING_REGIONS_FILE", None)
        else:
            os.environ["JEJARING_REGIONS_FILE"] = previous
        if postgres:
            postgres.stop()
        shutil.rmtree(var, ignore_errors=True)


def run(databases: list[str], scale: float = 1.0, persons: int = 1_000_000, requests: int = 50,
        events: int = 40_000, batch: int = 1000, browser: bool = True, rebuild_batch: int = 10_000) -> dict:
    """The province block of ``make bench``: one entry per database, and the headline numbers."""
    from tests.integration.harness import Postgres

    runs = []
    for database in databases:
        if database == "postgresql":
            try:
                Postgres()
            except RuntimeError as exc:
                print(f"province: skipping PostgreSQL: {exc}")
                continue
        runs.append(one_database(database, scale, persons, requests, events, batch, browser, rebuild_batch))
    first = runs[0]
    return {"timestamp": datetime.now(timezone.utc).isoformat(), "scale": scale,
            "database": first["database"], "dashboard_p95_ms": first["dashboard_p95_ms"],
            "database_mb": first["database_mb"], "peak_rss_mb": first["peak_rss_mb"],
            "rows": {"cells": first["rows"]["cells"], "person_status": first["rows"]["person_status"]},
            "rebuild_events_per_s": first["rebuild_events_per_s"], "runs": runs}


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    s = sub.add_parser("serve", help="serve the dashboard on a loaded database (used by the bench itself)")
    s.add_argument("--url", required=True)
    s.add_argument("--var", type=Path, required=True)
    s.add_argument("--port", type=int, required=True)
    parser.add_argument("--databases", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--scale", type=float, default=1.0, help="share of Lampung's villages (1: ~2,650)")
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons with person_status rows")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per view")
    parser.add_argument("--events", type=int, default=40_000, help="events for the apply-path rate")
    parser.add_argument("--batch", type=int, default=1000, help="events per apply transaction")
    parser.add_argument("--rebuild-batch", type=int, default=10_000, help="events per transaction of the rebuild")
    parser.add_argument("--no-browser", action="store_true", help="skip the page render in Chromium")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = arguments().parse_args(argv)
    if args.command == "serve":
        serve(args.url, args.var, args.port)
        return 0
    report = run(args.databases, args.scale, args.persons, args.requests, args.events, args.batch, not args.no_browser,
                 args.rebuild_batch)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
