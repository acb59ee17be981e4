"""``make bench``: the real pipeline (broker + five service processes) under load.

Measures, in one run, on this machine:
- the raw limit: a bare aiokafka producer and consumer on the same broker;
- sustained throughput: visits/s accepted at intake (HTTP batches of 500) and fully reflected on
  the dashboard, at the maximum rate the machine allows;
- end-to-end latency p50/p95/p99 from intake accepted to dashboard updated, at fixed rates;
- single-visit request throughput and latency under concurrent clients;
- outbreak-signal latency: from sending the visit that tips a dengue cluster over its village
  threshold to the signal on the dashboard's ``/v1/signals`` (registration -> surveillance ->
  ilp.outbreak.signal.v1 -> dashboard);
- CPU seconds and peak RSS per service;
- then, without the pipeline, a province's year in the dashboard's read model (``bench/province.py``:
  Lampung, ~2,650 villages): the PWS views' p50/p95 over HTTP, the page's first render, database size,
  the server's peak RSS, the read model's apply path in events/s, and a real
  ``jejaring rebuild dashboard`` re-reading those events from the broker (``dashboard_p95_ms``,
  ``rebuild_events_per_s``, ``province``).
Writes a table to stdout and JSON to ``bench/results/<timestamp>.json``.

Latency is measured by counting: the dashboard's count of applied visits — recorded *and*
screened, so the screening hop is included — is polled every 20 ms (only that metric is asked for,
``/metrics?name[]=…``, so the poll costs the dashboard well under a millisecond); the i-th accepted visit is
"reflected" when that count first reaches i. With many partitions the i-th visit to be counted is
not always the i-th accepted, so single values are approximate; the percentiles over thousands of
visits are what we report. Before every phase the pipeline is drained (nothing applied anywhere
for 2 s), so one phase's backlog does not land in the next one's latency.

Over 300 lines: one benchmark run, its phases in the order they run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.harness import Postgres, System  # noqa: E402

WIB = timezone(timedelta(hours=7))
FACILITIES = """facility_id,name,type,parent_id,village_code,capabilities
RS1801,RSUD Bob Bazar Kalianda,rs,,18.01.06.1007,doctor;emergency;hb_test;glucose_test;ultrasound
PKM180106,Puskesmas Kalianda,puskesmas,RS1801,18.01.06.1007,doctor;hb_test;glucose_test
PST1801062001,Pustu Jondong,pustu,PKM180106,18.01.06.2001,hb_test;glucose_test
PSY1801062001A,Posyandu Mawar Jondong,posyandu,PST1801062001,18.01.06.2001,
"""


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return round(ordered[index], 1)


class Visits:
    """Plausible visits with a realistic mix, via the simulator when it is installed."""

    def __init__(self, seed: int = 7) -> None:
        import random

        self.rng = random.Random(seed)
        self.serial = 0

    def one(self) -> dict:
        rng = self.rng
        self.serial += 1
        serial = self.serial % 9999 + 1
        kind = rng.random()
        occurred = (datetime.now(WIB) - timedelta(minutes=1)).isoformat()
        if kind < 0.4:  # under-five at Posyandu
            birth = datetime.now(WIB).date() - timedelta(days=rng.randint(30, 1700))
            person = {"nik": None, "mother_nik": f"180106{rng.randint(41, 68):02d}0{rng.randint(1, 9)}9{rng.randint(0, 9)}{serial:04d}",
                      "sex": rng.choice("MF"), "birth_date": birth.isoformat(), "village_code": "18.01.06.2001"}
            months = (datetime.now(WIB).date() - birth).days / 30.4
            m = {"weight_kg": round(3.3 + 0.45 * min(months, 12) + 0.18 * max(0, months - 12) + rng.gauss(0, 0.9), 1),
                 "height_cm": round(50 + 2.1 * min(months, 12) + 0.85 * max(0, months - 12) + rng.gauss(0, 3), 1),
                 "measured_lying": months < 24, "muac_cm": round(rng.gauss(14, 1.2), 1) if months >= 6 else None}
        else:
            year = rng.randint(1950, 2008)
            day = rng.randint(1, 28)
            female = rng.random() < 0.55
            nik = f"180106{day + (40 if female else 0):02d}{rng.randint(1, 12):02d}{year % 100:02d}{serial:04d}"
            person = {"nik": nik, "sex": "F" if female else "M",
                      "birth_date": f"{year}-{nik[8:10]}-{day:02d}", "village_code": "18.01.06.2001"}
            sys_bp = int(rng.gauss(128, 18))
            m = {"weight_kg": round(rng.gauss(58, 10), 1), "height_cm": round(rng.gauss(157, 8), 1),
                 "systolic_mmhg": max(80, sys_bp), "diastolic_mmhg": max(50, min(sys_bp - 20, int(rng.gauss(82, 10)))),
                 "glucose_mg_dl": max(60.0, round(rng.gauss(115, 40), 0)) if rng.random() < 0.5 else None, "waist_cm": round(rng.gauss(84, 10))}
        return {"visit_id": str(uuid.uuid4()), "facility_id": "PSY1801062001A", "occurred_at": occurred,
                "service_point": "posyandu", "person": person,
                "measurements": {k: v for k, v in m.items() if v is not None}}


async def raw_round(bootstrap: str, n: int = 50_000, broker_pid: int | None = None) -> dict[str, float]:
    """A bare aiokafka producer sends ``n`` 600-byte records, then a consumer reads them back.

    Returns the wall seconds of each side, this process's CPU seconds for each side, and (given
    ``broker_pid``) the broker's CPU seconds over both. One record is sent first, untimed, so
    topic creation is not counted.
    """
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    payload = b"x" * 600
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    await (await producer.send(topic, payload, key=b"warm"))
    broker_before = process_cpu_seconds(broker_pid) if broker_pid else 0.0
    started, cpu = time.perf_counter(), time.process_time()
    futures = [await producer.send(topic, payload, key=str(i % 64).encode()) for i in range(n)]
    await asyncio.gather(*futures)
    result = {"produce_s": time.perf_counter() - started, "produce_cpu_s": time.process_time() - cpu}
    await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"bench-{uuid.uuid4().hex[:6]}", max_poll_records=5000)
    await consumer.start()
    got = 0
    started, cpu = time.perf_counter(), time.process_time()
    while got < n + 1:
        batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
        got += sum(len(v) for v in batch.values())
    result.update(consume_s=time.perf_counter() - started, consume_cpu_s=time.process_time() - cpu)
    if broker_pid:
        result["broker_cpu_s"] = process_cpu_seconds(broker_pid) - broker_before
    await consumer.stop()
    return result


async def raw_broker(bootstrap: str, n: int = 50_000) -> float:
    """Messages/s of a bare aiokafka producer then consumer (the ceiling for the pipeline)."""
    result = await raw_round(bootstrap, n)
    return n / max(result["produce_s"], result["consume_s"])


class Dashboard:
    """How many visits the dashboard has applied: its own counter, cheap enough to poll often.

    ``jejaring_events_applied_total`` for ``ilp.visit.recorded.v1`` moves right after the commit
    that puts a batch of visits into the read model; the PWS query (15-30 ms) would itself load
    the dashboard if polled every few milliseconds. The final totals are checked on ``/v1/pws``.
    """

    def __init__(self, system: System, token: str) -> None:
        self.metrics_url = system.url("dashboard") + "/metrics"
        self.pws_url = system.url("dashboard") + "/v1/pws"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client = httpx.AsyncClient(timeout=30)

    async def applied(self) -> dict[str, int]:
        """Events applied by the dashboard, per topic."""
        text = (await self.client.get(self.metrics_url, params={"name[]": "jejaring_events_applied_total"})).text
        counts: dict[str, int] = {}
        for line in text.splitlines():
            if line.startswith("jejaring_events_applied_total{"):
                topic = line.split('topic="', 1)[1].split('"', 1)[0]
                counts[topic] = int(float(line.rsplit(" ", 1)[1]))
        return counts

    async def visits(self) -> int:
        """Visits fully reflected: recorded *and* screened (each visit yields one of each)."""
        counts = await self.applied()
        return min(counts.get("ilp.visit.recorded.v1", 0), counts.get("ilp.visit.screened.v1", 0))

    async def drain(self, quiet: float = 2.0, timeout: float = 300.0) -> None:
        """Wait until the whole pipeline is idle (risks, referrals too): no change for ``quiet`` s."""
        deadline = time.perf_counter() + timeout
        last = await self.applied()
        while time.perf_counter() < deadline:
            await asyncio.sleep(quiet)
            now = await self.applied()
            if now == last:
                return
            last = now

    async def pws_visits(self) -> int:
        period = datetime.now(WIB).strftime("%Y-%m")
        response = await self.client.get(self.pws_url, params={"region": "18.01.06", "period": period},
                                         headers=self.headers)
        response.raise_for_status()
        return response.json()["total"]["indicators"]["visits"]["value"]


async def drive(system: System, token: str, visits: Visits, rate: float | None, total: int, batch: int,
                dashboard: Dashboard, concurrency: int = 4) -> dict:
    """Send ``total`` visits (in HTTP batches) at ``rate`` per second (None: as fast as possible)."""
    await dashboard.drain()
    base = await dashboard.visits()
    accepted_at: list[float] = []
    client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency))
    url = system.url("registration") + "/v1/visits"
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [visits.one() for _ in range(total)]
    chunks = [bodies[i:i + batch] for i in range(0, total, batch)]
    started = time.perf_counter()
    semaphore = asyncio.Semaphore(concurrency)
    reflected: list[float] = []
    done = asyncio.Event()

    async def watch() -> None:
        seen = base
        while seen < base + total:
            now_count = await dashboard.visits()
            now = time.perf_counter()
            reflected.extend([now] * (now_count - seen))
            seen = max(seen, now_count)
            if done.is_set() and now - last_send[0] > 120:
                break
            await asyncio.sleep(0.02)

    last_send = [started]

    async def send(index: int, chunk: list[dict]) -> None:
        if rate:
            delay = started + index * len(chunk) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        async with semaphore:
            payload = {"visits": chunk} if len(chunk) > 1 else chunk[0]
            response = await client.post(url, json=payload, headers=headers)
            response.raise_for_status()
            now = time.perf_counter()
            accepted_at.extend([now] * len(chunk))
            last_send[0] = now

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(send(i, c) for i, c in enumerate(chunks)))
    send_seconds = time.perf_counter() - started
    done.set()
    await watcher
    await client.aclose()
    accepted_at.sort()
    latencies = [(r - a) * 1000 for a, r in zip(accepted_at, reflected)]
    end = reflected[-1] if len(reflected) >= total else time.perf_counter()
    return {
        "rate": rate,
        "visits": total,
        "accepted_per_s": round(total / send_seconds, 1),
        "achieved_per_s": round(min(total, len(reflected)) / (end - started), 1),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "complete": len(reflected) >= total,
    }


async def single_visits(system: System, token: str, visits: Visits, seconds: float, clients: int) -> dict:
    """Posyandu tablets: one visit per request from ``clients`` concurrent connections.

    The load comes from ``wrk`` (a C load generator; ``bench/single_visit.lua`` builds each
    request) so that the generator, not the service, is never the limit.
    """
    occurred = (datetime.now(WIB) - timedelta(minutes=1)).isoformat()
    env = dict(os.environ, JEJARING_BENCH_TOKEN=token, JEJARING_BENCH_OCCURRED_AT=occurred)
    command = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-s",
               str(ROOT / "bench" / "single_visit.lua"), system.url("registration")]
    process = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    summary = json.loads(out.decode().strip().splitlines()[-1])
    seconds_run = summary["duration_us"] / 1e6
    return {"requests": summary["requests"], "clients": clients, "non_2xx": summary["non_2xx"],
            "per_s": round(summary["requests"] / seconds_run, 1), "p50_ms": round(summary["p50_us"] / 1000, 1),
            "p99_ms": round(summary["p99_us"] / 1000, 1), "generator": "wrk"}


async def signal_latency(system: System, token: str, viewer: str, visits: Visits, samples: int = 5) -> dict:
    """Milliseconds from sending the tipping visit of a dengue cluster (the third person of a village
    in a week: the village floor) to its signal on the dashboard's ``/v1/signals``, polled every 20 ms.

    One cluster per village of Kecamatan Kalianda (18.01.06) outside the bench's Puskesmas
    catchment, so each sample raises one new signal;
    its first two visits are sent and given a second to settle before the timed third.
    """
    from shared.regions import load_regions

    catchment = ("18.01.06.1007", "18.01.06.2001")  # Puskesmas Kalianda's: its area would signal too
    villages = [r.code for r in load_regions().villages_under("18.01.06") if r.code not in catchment][:samples]
    intake = system.url("registration") + "/v1/visits"
    listing = system.url("dashboard") + "/v1/signals"
    headers, viewing = {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {viewer}"}
    timings = []
    async with httpx.AsyncClient(timeout=30) as client:
        for village in villages:
            def case() -> dict:
                body = visits.one()
                body["person"]["village_code"] = village
                body["syndromes"] = ["suspected_dengue"]
                return body

            for _ in range(2):
                (await client.post(intake, json=case(), headers=headers)).raise_for_status()
            await asyncio.sleep(1.0)
            tipping = case()
            started = time.perf_counter()
            (await client.post(intake, json=tipping, headers=headers)).raise_for_status()
            while True:
                found = (await client.get(listing, params={"region": village}, headers=viewing)).json()["signals"]
                if any(s["evidence"]["tipping_visit_id"] == tipping["visit_id"] for s in found):
                    timings.append((time.perf_counter() - started) * 1000)
                    break
                if time.perf_counter() - started > 60:
                    raise RuntimeError(f"no signal for the dengue cluster in {village} after 60 s")
                await asyncio.sleep(0.02)
    return {"samples_ms": [round(t, 1) for t in timings], "p50_ms": percentile(timings, 50),
            "max_ms": round(max(timings), 1), "from": "tipping visit sent to registration",
            "to": "signal listed on the dashboard's /v1/signals"}


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_stats(pid: int) -> dict:
    """CPU seconds and peak RSS of a process, from /proc."""
    cpu = process_cpu_seconds(pid)
    peak = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) // 1024
    return {"cpu_seconds": round(cpu, 1), "peak_rss_mb": peak}


async def bench_backend(database: str, args: argparse.Namespace) -> dict:
    postgres = Postgres() if database == "postgresql" else None
    url = postgres.start() if postgres else None
    system = System(var=Path(tempfile.mkdtemp(prefix="jejaring-bench-")), database_url=url, quick_timings=False)
    try:
        system.up()
        csv_path = system.var / "facilities.csv"
        csv_path.write_text(FACILITIES)
        system.cli("facilities", "import", str(csv_path))
        token = system.cli("token", "issue", "--facility", "PKM180106").strip().splitlines()[-1]
        viewer = system.cli("token", "issue", "--region", "18.01", "--role", "viewer").strip().splitlines()[-1]
        visits = Visits()
        dashboard = Dashboard(system, viewer)
        await drive(system, token, visits, None, args.warmup, 500, dashboard)  # warm-up
        result: dict = {"database": database}
        result["raw_broker_msgs_per_s"] = round(await raw_broker(system.bootstrap, args.raw_messages), 1)
        sustained = await drive(system, token, visits, None, args.sustained, 500, dashboard)
        result["max_throughput_visits_per_s"] = sustained["achieved_per_s"]
        result["sustained"] = sustained
        result["ratio_to_raw"] = round(sustained["achieved_per_s"] / result["raw_broker_msgs_per_s"], 4)
        result["rates"] = []
        for rate in args.rates:
            total = max(200, int(rate * args.seconds))
            batch = 1 if rate <= 100 else (50 if rate <= 1000 else 250)
            result["rates"].append(await drive(system, token, visits, rate, total, batch, dashboard, concurrency=16))
        await dashboard.drain()  # the 5,000/s run's risks and referrals may still be in flight
        single = await single_visits(system, token, visits, args.seconds, args.clients)
        result["single_visit_requests_per_s"] = single["per_s"]
        result["single_visit_p99_ms"] = single["p99_ms"]
        result["single_visit"] = single
        await dashboard.drain()
        result["signal_latency"] = await signal_latency(system, token, viewer, visits)
        result["signal_latency_ms"] = result["signal_latency"]["p50_ms"]
        result["services"] = {name: process_stats(proc.pid) for name, proc in system.procs.items()}
        await dashboard.drain()
        applied = (await dashboard.applied()).get("ilp.visit.recorded.v1", 0)
        shown = await dashboard.pws_visits()
        result["check"] = {"visits_applied": applied, "visits_on_pws": shown, "consistent": applied == shown}
        return result
    finally:
        system.down()
        if postgres:
            postgres.stop()


def speed_probe_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop: how fast this machine is right now.

    The project's VM ran the same loop in 180 to 700 ms at different moments of one session;
    the probe, taken before and after the run, tells a reader whether two reports ran on a
    machine of the same speed before comparing them.
    """
    started = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i * i
    return round((time.process_time() - started) * 1000, 1)


def arguments() -> argparse.ArgumentParser:
    """The command line of ``bench/run.py`` (``make bench`` runs it with these defaults)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sustained", type=int, default=20_000, help="visits for the max-throughput run")
    parser.add_argument("--warmup", type=int, default=1000, help="visits sent, untimed, before the first phase")
    parser.add_argument("--raw-messages", type=int, default=50_000, help="records of the bare producer/consumer round")
    parser.add_argument("--rules-visits", type=int, default=20_000, help="visits of the screening rule engine's run")
    parser.add_argument("--fhir-repeat", type=int, default=5, help="rounds of the Bundle-vs-JSON timing (best of)")
    parser.add_argument("--rates", type=float, nargs="*", default=[100, 1000, 5000])
    parser.add_argument("--seconds", type=float, default=10, help="duration of each fixed-rate run")
    parser.add_argument("--clients", type=int, default=32, help="concurrent single-visit clients")
    parser.add_argument("--databases", nargs="*", default=["sqlite", "postgresql"])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="folder for the JSON report")
    parser.add_argument("--province-scale", type=float, default=1.0,
                        help="share of Lampung's ~2,650 villages in the province read model (bench/province.py)")
    parser.add_argument("--province-persons", type=int, default=1_000_000, help="persons with person_status rows")
    parser.add_argument("--province-requests", type=int, default=50, help="timed requests per PWS view")
    parser.add_argument("--province-events", type=int, default=40_000, help="events for the apply-path rate")
    parser.add_argument("--no-browser", action="store_true", help="skip the page's first render in Chromium")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = arguments().parse_args(argv)
    from bench import province
    from bench.fhir_intake import bundle_vs_json
    from services.screening.bench import bench_evaluate

    probe_start = speed_probe_ms()
    rules_per_s = round(bench_evaluate(args.rules_visits), 1)
    print(f"screening rule engine: {rules_per_s} visits/s on one core (pure evaluation)")
    fhir = bundle_vs_json(repeat=args.fhir_repeat)
    print(f"FHIR intake: 100 visits recorded as one Bundle in {fhir['recorded_fhir_ms']} ms, as JSON in "
          f"{fhir['recorded_json_ms']} ms ({fhir['recorded_ratio']}x)")
    runs = []
    for database in args.databases:
        if database == "postgresql":
            try:
                Postgres()
            except RuntimeError as exc:
                print(f"skipping PostgreSQL: {exc}")
                continue
        runs.append(asyncio.run(bench_backend(database, args)))
    first = runs[0]
    lampung = province.run(args.databases, scale=args.province_scale, persons=args.province_persons,
                           requests=args.province_requests, events=args.province_events, browser=not args.no_browser)
    report = {
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "machine": {"cores": os.cpu_count(), "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "python": platform.python_version(), "database": first["database"],
                    "databases": [r["database"] for r in runs],
                    "speed_probe_ms": {"start": probe_start, "end": speed_probe_ms()}},
        **{k: first[k] for k in ("max_throughput_visits_per_s", "raw_broker_msgs_per_s", "ratio_to_raw", "rates",
                                 "services", "single_visit_requests_per_s", "single_visit_p99_ms",
                                 "signal_latency_ms")},
        "screening_rules_visits_per_s": rules_per_s,
        "fhir_bundle_vs_json": fhir,
        "dashboard_p95_ms": lampung["dashboard_p95_ms"],
        "rebuild_events_per_s": lampung["rebuild_events_per_s"],
        "province": lampung,
        "runs": runs,
    }
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2))
    for run in runs:
        print(f"\n== {run['database']} ==")
        print(f"raw broker           {run['raw_broker_msgs_per_s']:>10} msg/s")
        print(f"max throughput       {run['max_throughput_visits_per_s']:>10} visits/s  (ratio to raw {run['ratio_to_raw']})")
        print(f"{'rate':>8} {'achieved':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        for r in run["rates"]:
            print(f"{r['rate']:>8} {r['achieved_per_s']:>10} {r['p50_ms']!s:>8} {r['p95_ms']!s:>8} {r['p99_ms']!s:>8}")
        print(f"single-visit         {run['single_visit_requests_per_s']:>10} req/s, p99 {run['single_visit_p99_ms']} ms")
        print(f"signal latency       {run['signal_latency_ms']:>10} ms p50, max {run['signal_latency']['max_ms']} ms"
              " (tipping visit sent -> signal on the dashboard)")
        for name, stats in run["services"].items():
            print(f"  {name:<13} cpu {stats['cpu_seconds']:>7} s   peak rss {stats['peak_rss_mb']:>5} MB")
    for run in lampung["runs"]:
        rows = run["rows"]
        print(f"\n== province {run['database']}: {rows['villages']} villages, {rows['cells']} cells, "
              f"{rows['person_status']} person_status, {run['database_mb']} MB, server peak rss {run['peak_rss_mb']} MB ==")
        for name, view in run["dashboard"].items():
            print(f"  {name:<18} p50 {view['p50_ms']!s:>8} ms   p95 {view['p95_ms']!s:>8} ms")
        if run["page_render"]:
            print(f"  page first render  p50 {run['page_render']['p50_ms']} ms, max {run['page_render']['max_ms']} ms")
        print(f"  apply path         {run['apply']['events_per_s']:>10} events/s (stage + flush, one process)")
        print(f"  rebuild            {run['rebuild_events_per_s']:>10} events/s (jejaring rebuild dashboard: "
              f"re-read from the broker, {run['rebuild']['events_per_cpu_s']} per CPU-second)")
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
