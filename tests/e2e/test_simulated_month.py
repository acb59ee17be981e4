"""End to end: a simulated month of Kota Metro through the five services on the real broker.

The dashboard's PWS numbers (numerator, denominator and value of every indicator the ground truth has,
per village, kecamatan and district, for every month the run touches) must equal the ground truth the
simulator computes independently from what it sent — with the field faults on (duplicates, invalid
records, Posyandu that sync days late), and, in the second scenario, with every service SIGKILLed and
restarted mid-month and the broker losing its whole log.

Each run covers its own calendar months, so the scenarios share one system without touching each
other's numbers; months already verified are checked again after the broker loss (its replay must not
count anything twice) and after the cohort year. Every window ends in the past (visits more than 5
minutes ahead are rejected).

The third scenario is a cohort year (2025, which no other scenario touches): Posyandu, antenatal,
postnatal and immunisation contacts only, so that a whole year stays a few thousand messages and the
indicators that need a long history (IDL, KF lengkap, 2T) really occur.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from datetime import date

import httpx
import pytest

from shared.regions import load_regions
from shared.settings import SERVICES
from simulator import drivers
from simulator.faults import Emission, FaultConfig
from simulator.truth import Truth
from simulator.visits import Params, build_simulation
from tests.e2e.conftest import (
    COHORT_YEAR,
    DISTRICT,
    POPULATION_SCALE,
    District,
    across_runs,
    dashboard_table,
    dead_letters,
    metric,
    simulate,
    truth_table,
    wait_for_truth,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

FAULTS = ["--offline-share", "0.3", "--duplicate-share", "0.05", "--invalid-share", "0.03"]
FAULT_CONFIG = FaultConfig(offline_share=0.3, duplicate_share=0.05, invalid_share=0.03)


def sent_messages(jsonl: str) -> list[tuple[dict | None, str]]:
    """``--with-meta`` JSON lines -> [(its ``_sim`` metadata or None for a non-JSON defect, the text as sent)]."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # the simulator's encoding
    out = []
    for line in jsonl.splitlines():
        try:
            body = json.loads(line)
        except ValueError:
            out.append((None, line))  # truncated JSON travels as it is
            continue
        meta = body.pop("_sim")
        out.append((meta, encode(body)))
    return out


def run_args(seed: int, start: str, days: int) -> list[str]:
    return ["--district", DISTRICT, "--population-scale", POPULATION_SCALE, "--seed", str(seed),
            "--start", start, "--days", str(days), *FAULTS]


def test_a_simulated_month_matches_the_ground_truth(district: District) -> None:
    """HTTP for 21 days across a month boundary, Kafka for two weeks of another month; faults on."""
    system, work = district.system, district.dir
    http_args = run_args(seed=11, start="2026-09-21", days=21)
    kafka_args = run_args(seed=12, start="2026-08-03", days=14)

    # What will be sent, message by message (same arguments -> the same messages, whatever the mode).
    jsonl, _ = simulate(system, *http_args, "--with-meta", "--truth", str(work / "http-jsonl-truth.json"), "--quiet")
    http_sent = sent_messages(jsonl)
    kafka_jsonl, _ = simulate(system, *kafka_args, "--with-meta", "--quiet")
    kafka_sent = sent_messages(kafka_jsonl)

    _, http_report = simulate(system, *http_args, "--mode", "http", "--registration-url", system.url("registration"),
                              "--tokens-file", str(district.tokens_file), "--truth", str(work / "http-truth.json"))
    _, kafka_report = simulate(system, *kafka_args, "--mode", "kafka", "--bootstrap", system.bootstrap,
                               "--truth", str(work / "kafka-truth.json"))
    http_truth = json.loads((work / "http-truth.json").read_text())
    kafka_truth = json.loads((work / "kafka-truth.json").read_text())
    assert http_truth["periods"] == json.loads((work / "http-jsonl-truth.json").read_text())["periods"], \
        "the simulator is not deterministic across modes: the jsonl inspection would not describe the HTTP run"

    # The faults are really exercised by these seeds.
    counts = http_truth["counts"]
    assert counts["invalid"] >= 10 and counts["duplicates"] >= 20 and counts["accepted"] >= 500, counts
    assert counts["invalid_schema"] and counts["invalid_semantic"], counts
    offline = [m for m, _ in http_sent if m and m["offline"]]
    assert len(offline) >= 50
    assert any(m["send_at"][:7] != _local_month_of(text) for m, text in http_sent if m and m["offline"]), \
        "no offline batch synced across the month boundary"
    assert sorted(http_truth["periods"]) == ["2026-09", "2026-10"]
    assert sorted(kafka_truth["periods"]) == ["2026-08"]
    kc = kafka_truth["counts"]
    assert kc["invalid"] >= 3 and kc["duplicates"] >= 5, kc

    # Registration's answers over HTTP: every invalid record rejected (422 per item), every repeat a duplicate.
    assert http_report is not None and kafka_report is not None
    assert http_report["sent"] == counts["messages"] == len(http_sent)
    assert http_report["recorded"] == counts["accepted"]
    assert http_report["duplicate"] == counts["duplicates"]
    assert http_report["rejected"] == counts["invalid"] == sum(1 for m, _ in http_sent
                                                               if m is None or m["kind"] == "invalid")
    assert [http_report[k] for k in ("failed", "forbidden", "unauthorized", "no_token")] == [0, 0, 0, 0]
    assert kafka_report["sent"] == kc["messages"] == len(kafka_sent)

    # The dashboard equals the truth: every village, kecamatan and the district, every month, every indicator.
    # K/S and D/K (K: children known since January) count both runs' children: their truth is one of both runs,
    # generated here again (the same arguments give the same messages: checked on the run's own truth).
    regions = load_regions()
    runs = []
    for seed, start, days, cli_truth in ((11, date(2026, 9, 21), 21, http_truth), (12, date(2026, 8, 3), 14, kafka_truth)):
        sim = build_simulation(regions, DISTRICT, seed=seed, start=start, days=days,
                               population_scale=float(POPULATION_SCALE), faults=FAULT_CONFIG)
        runs.append(list(sim.emissions()))
        own = Truth.for_network(sim.net, [2026])
        for e in runs[-1]:
            own.add(e)
        assert own.result()["periods"] == cli_truth["periods"], "the in-process run differs from the CLI's"
    district.runs.extend(runs)
    expected = across_runs({**truth_table(http_truth), **truth_table(kafka_truth)}, district.runs, sim.net)
    assert set(http_truth["meta"]["indicators"]) >= {
        "visits", "hypertension", "diabetes", "anemia_pregnancy", "kek_pregnancy", "tb_presumptive", "children_weighed",
        "stunting", "wasting", "underweight", "kf_complete", "kn_complete", "immunization_complete", "skdn_k_s",
        "skdn_d_k", "skdn_n_d", "skdn_t", "skdn_2t", "bgm", "severe_wasting", "ttd_adolescent_girls",
        "delivery_facility", "tb_examined", "spm_productive_screened", "spm_elderly_screened",
        "spm_hypertension_care", "spm_diabetes_care"}
    # The new inputs are really there: numerators the dashboard must match, not zeros only.
    shown = {name: sum(expected[p][DISTRICT][name][0] for p in ("2026-09", "2026-10")) for name in expected["2026-09"][DISTRICT]}
    assert all(shown[n] > 0 for n in ("kn_complete", "skdn_k_s", "skdn_d_k", "skdn_n_d", "skdn_t", "bgm",
                                      "ttd_adolescent_girls", "delivery_facility", "tb_examined",
                                      "spm_productive_screened", "spm_elderly_screened", "spm_hypertension_care",
                                      "spm_diabetes_care")), shown
    wait_for_truth(district, expected, timeout=150)

    # Duplicates did not double count (the visits numerators are the accepted visits, not the messages).
    for truth in (http_truth, kafka_truth):
        shown = sum(expected[p][DISTRICT]["visits"][0] for p in truth["periods"])
        assert shown == truth["counts"]["accepted"] < truth["counts"]["accepted"] + truth["counts"]["duplicates"]

    # Kafka: every invalid message of the run was dead-lettered, and nothing valid was.
    kafka_texts = Counter(text for _, text in kafka_sent)
    invalid = {text for m, text in kafka_sent if m is None or m["kind"] == "invalid"}
    dead = {value.decode() for value in dead_letters(system)} & set(kafka_texts)
    assert dead == invalid and len(invalid) == kc["invalid"]

    district.verified.update(expected)


def _local_month_of(text: str) -> str:
    try:
        return json.loads(text)["occurred_at"][:7]
    except (ValueError, KeyError, TypeError):
        return ""


def test_kill_every_service_and_lose_the_broker_mid_month(district: District) -> None:
    """One simulated month sent in five parts around two disruptions; the numbers stay exact.

    A: HTTP; then SIGKILL all five services at once (screening and dashboard still busy with A);
    B: Kafka intake while every service is down; restart them and let them settle (truth of A+B);
    C: HTTP; stop the broker (Tansu keeps its log in memory: everything is gone);
    D: HTTP while there is no broker (registration accepts into its outbox); start an empty broker:
       services see the new epoch, recreate topics, re-read and replay their outboxes; settle (A..D);
    E: HTTP; settle: the whole month, and every month verified earlier on this system, still exact.
    """
    district.full_scenarios_only()
    system = district.system
    regions = load_regions()
    sim = build_simulation(regions, DISTRICT, seed=23, start=date(2026, 6, 15), days=30,
                           population_scale=float(POPULATION_SCALE), faults=FAULT_CONFIG)
    emissions = list(sim.emissions())
    truth = Truth.for_network(sim.net, [2026])
    tokens = drivers.load_tokens(district.tokens_file)
    n = len(emissions)
    a, b, c, d = (int(n * f) for f in (0.3, 0.5, 0.7, 0.85))
    parts = {"A": emissions[:a], "B": emissions[a:b], "C": emissions[b:c], "D": emissions[c:d], "E": emissions[d:]}
    first_seen: set[str] = set()
    t0 = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - t0:6.1f} s] {message}", flush=True)

    def http(part: str, batch_size: int = 500) -> Counter:
        """Send a part with the simulator's HTTP driver; check every answer; return the HTTP status codes."""
        expected = Counter(_expected_answer(e, first_seen) for e in parts[part])
        codes: Counter = Counter()

        async def drive() -> drivers.SendStats:
            async def seen(response: httpx.Response) -> None:
                codes[response.status_code] += 1

            async with httpx.AsyncClient(timeout=60, event_hooks={"response": [seen]}) as client:
                return await drivers.drive_http(parts[part], url=system.url("registration"), tokens=tokens,
                                                batch_size=batch_size, sink=truth.add, client=client)

        stats = asyncio.run(drive())
        log(f"part {part} sent over HTTP: {stats.as_dict()}, status codes {dict(codes)}")
        answers = {"recorded": stats.recorded, "duplicate": stats.duplicate, "rejected": stats.rejected}
        assert stats.failed == stats.forbidden == stats.unauthorized == stats.no_token == 0, (part, stats)
        assert answers == {k: expected[k] for k in answers}, (part, stats)
        return codes

    http("A")
    busy = dashboard_table(district, ["2026-06", "2026-07"], ["visits"])
    log(f"dashboard visits when the services are killed: {sum(t[DISTRICT]['visits'][0] for t in busy.values())}"
        f" of {truth.counts['accepted']} accepted")
    for service in SERVICES:
        system.kill(service, signal.SIGKILL)
    for e in parts["B"]:
        _expected_answer(e, first_seen)
    stats = asyncio.run(drivers.drive_kafka(parts["B"], bootstrap=system.bootstrap, sink=truth.add))
    assert stats.sent == len(parts["B"])
    for service in SERVICES:
        system.start(service)
    for service in SERVICES:
        system.wait_ready(service)
    log("services restarted")
    wait_for_truth(district, truth_table(truth.result()), timeout=150)
    log("settled after the restart (A+B)")

    # Single-visit requests: an invalid record is answered 422 itself (and the intake's group commit is used).
    codes = http("C", batch_size=1)
    assert codes == Counter({202: sum(e.kind != "invalid" for e in parts["C"]),
                             422: sum(e.kind == "invalid" for e in parts["C"])}), codes
    system.stop_broker()
    http("D")
    system.start_broker()
    log("broker started again, empty")
    wait_for_truth(district, truth_table(truth.result()), timeout=180)
    log("settled after the broker loss (A..D)")
    # It was the broker loss that was survived: every service noticed it, and the replay reached the
    # dashboard again (replayed events skipped as already applied) without changing a number.
    for service in SERVICES:
        assert metric(system, service, "jejaring_broker_resets_total") >= 1, f"{service} never noticed the loss"
    assert metric(system, "dashboard", "jejaring_events_duplicate_total") > 0

    http("E")
    result = truth.result()
    counts = result["counts"]
    assert counts["invalid"] >= 10 and counts["duplicates"] >= 20 and counts["accepted"] >= 800, counts
    assert sum(1 for e in emissions if e.offline) >= 50
    expected = truth_table(result)
    assert sorted(expected) == ["2026-06", "2026-07"]
    assert not set(expected) & set(district.verified), "runs must cover months of their own"
    district.runs.append(emissions)  # the months verified earlier now have this run's children in their K
    wait_for_truth(district, across_runs({**district.verified, **expected}, district.runs, sim.net), timeout=150)
    log(f"settled: the whole month and {len(district.verified)} earlier month(s) exact")
    for service in SERVICES:
        assert metric(system, service, "jejaring_outbox_backlog") == 0, f"{service} still has events to publish"

    # The Kafka part's invalid messages are on the dead-letter topic (re-published from registration's
    # outbox after the broker lost them), and none of its valid ones.
    texts = {e.text() for e in parts["B"]}
    invalid = {e.text() for e in parts["B"] if e.kind == "invalid"}
    assert invalid, "part B has no invalid message to dead-letter"
    assert {value.decode() for value in dead_letters(system)} & texts == invalid
    district.verified.update(expected)


def _expected_answer(e: Emission, first_seen: set[str]) -> str:
    """Registration's answer to one emission, from the simulator's own bookkeeping."""
    if e.kind == "invalid":
        return "rejected"
    vid = e.body["visit_id"]
    if vid in first_seen:
        return "duplicate"
    first_seen.add(vid)
    return "recorded"



# The cohort year: no clinic or home visits and no adults at the Posyandu, so that children, pregnancies and
# births over a year stay ~5 k messages; everything else (faults, schedules) as in the other runs.
COHORT_PARAMS = Params(posyandu_elderly=0.0, posyandu_adult=0.0, posyandu_school=0.0, pustu_per_1000=0.0,
                       puskesmas_per_1000=0.0, home_per_1000=0.0)


def test_a_cohort_year_matches_the_ground_truth(district: District) -> None:
    """Almost a calendar year of births, immunisations and monthly weighings over HTTP, faults on: IDL,
    KF lengkap and 2T occur and equal the truth; the months verified earlier stay exact."""
    system = district.system
    year = int(COHORT_YEAR)
    sim = build_simulation(load_regions(), DISTRICT, seed=31, start=date(year, 1, 6), days=357,
                           population_scale=float(POPULATION_SCALE), faults=FAULT_CONFIG, params=COHORT_PARAMS,
                           seasonal=False)
    emissions = list(sim.emissions())
    truth = Truth.for_network(sim.net, [year])
    # One request at a time: a person's visits reach screening in the order sent, which the truth's
    # history-based verdicts (KN, KF, IDL, N/T/2T) assume; Kafka partitions by facility, which would not keep
    # a child's Posyandu, Pustu and Puskesmas visits in that order.
    stats = asyncio.run(drivers.drive_http(emissions, url=system.url("registration"),
                                           tokens=drivers.load_tokens(district.tokens_file), concurrency=1,
                                           sink=truth.add))
    assert stats.failed == stats.forbidden == stats.unauthorized == stats.no_token == 0, stats
    result = truth.result()
    counts = result["counts"]
    assert counts["invalid"] >= 10 and counts["duplicates"] >= 20 and 3_000 <= counts["accepted"] <= 8_000, counts
    assert stats.recorded == counts["accepted"] and stats.rejected == counts["invalid"], stats
    expected = truth_table(result)
    assert sorted(expected) == [f"{year}-{m:02d}" for m in range(1, 13)]
    assert not set(expected) & set(district.verified), "runs must cover months of their own"
    shown = {name: sum(expected[p][DISTRICT][name][0] for p in expected) for name in expected[f"{year}-06"][DISTRICT]}
    assert all(shown[n] > 0 for n in ("immunization_complete", "kf_complete", "skdn_2t", "kn_complete",
                                      "delivery_facility", "skdn_n_d", "skdn_t", "children_weighed")), shown
    district.runs.append(emissions)
    wait_for_truth(district, across_runs({**district.verified, **expected}, district.runs, sim.net), timeout=180)
    district.verified.update(expected)
