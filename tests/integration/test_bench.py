"""``make bench`` end to end, shortened: the real pipeline, every key docs/performance.md lists, sane values.

Numbers are not judged here (performance is measured by ``make bench``, not by tests); this checks
that the benchmark runs on a fresh machine and reports what it promises.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.dashboard.domain.registry import REGISTRY
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("jejaring_bench", ROOT / "bench" / "run.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_make_bench_defaults_cover_the_rates_and_both_databases():
    args = bench.arguments().parse_args([])
    assert args.rates == [100, 1000, 5000]
    assert args.databases == ["sqlite", "postgresql"]
    assert args.out == ROOT / "bench" / "results"
    assert args.province_scale == 1.0 and args.province_persons == 1_000_000 and args.province_requests == 50
    assert args.warmup == 1000 and args.raw_messages == 50_000 and args.rules_visits == 20_000 and args.fhir_repeat == 5


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench-results")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--databases", "sqlite", "--sustained", "400",
         "--rates", "100", "300", "--seconds", "1", "--clients", "4", "--out", str(out),
         "--warmup", "100", "--raw-messages", "5000", "--rules-visits", "2000", "--fhir-repeat", "1",
         "--province-scale", "0.05", "--province-persons", "20000", "--province-requests", "5",
         "--province-events", "2000", "--no-browser"],
        check=True, cwd=ROOT, timeout=600, stdout=subprocess.DEVNULL,
    )
    [path] = out.glob("*.json")
    return json.loads(path.read_text())


def test_report_has_every_key_the_documentation_lists(report):
    for key in ("max_throughput_visits_per_s", "raw_broker_msgs_per_s", "ratio_to_raw", "rates", "services",
                "machine", "single_visit_requests_per_s", "single_visit_p99_ms", "signal_latency_ms"):
        assert key in report, key
    fhir = report["fhir_bundle_vs_json"]  # the same 100 visits as one Bundle and as one JSON batch
    assert fhir["visits"] == 100 and fhir["recorded_fhir_ms"] > 0 and fhir["recorded_json_ms"] > 0
    assert fhir["recorded_ratio"] == pytest.approx(fhir["recorded_fhir_ms"] / fhir["recorded_json_ms"], abs=0.01)
    assert 0 < report["signal_latency_ms"] < 10_000  # tipping visit sent -> signal on the dashboard
    latency = report["runs"][0]["signal_latency"]
    assert len(latency["samples_ms"]) == 5 and latency["p50_ms"] <= latency["max_ms"]
    assert [r["rate"] for r in report["rates"]] == [100, 300]
    for rate in report["rates"]:
        assert set(rate) >= {"rate", "achieved_per_s", "p50_ms", "p95_ms", "p99_ms"}
        assert rate["complete"] and rate["achieved_per_s"] > 0
        assert 0 < rate["p50_ms"] <= rate["p95_ms"] <= rate["p99_ms"]
    assert set(report["services"]) == set(SERVICES)
    for stats in report["services"].values():
        assert stats["cpu_seconds"] > 0 and stats["peak_rss_mb"] > 0
    machine = report["machine"]
    assert machine["cores"] >= 1 and machine["memory_gb"] > 0 and machine["database"] == "sqlite"
    assert machine["speed_probe_ms"]["start"] > 0 and machine["speed_probe_ms"]["end"] > 0


def test_report_values_are_consistent(report):
    [run] = report["runs"]
    assert run["check"]["consistent"], run["check"]  # the dashboard shows every visit applied, once
    assert report["max_throughput_visits_per_s"] > 0 and report["raw_broker_msgs_per_s"] > 0
    assert report["ratio_to_raw"] == pytest.approx(
        report["max_throughput_visits_per_s"] / report["raw_broker_msgs_per_s"], abs=1e-4)
    assert run["single_visit"]["non_2xx"] == 0 and report["single_visit_requests_per_s"] > 0


def test_report_has_the_province_read_model(report):
    """A (small) Lampung in the read model: every view's p95, the apply path's rate, sizes and rows."""
    views = {f"{level}_{month}" for level in ("province", "kabupaten", "kecamatan", "desa") for month in ("dec", "jun")}
    assert set(report["dashboard_p95_ms"]) == views | {"province_csv_dec"}
    assert all(0 < ms < 60_000 for ms in report["dashboard_p95_ms"].values())
    assert report["rebuild_events_per_s"] > 0
    province = report["province"]
    assert province["database"] == "sqlite" and province["scale"] == 0.05
    assert province["database_mb"] > 0 and province["peak_rss_mb"] > 0
    [run] = province["runs"]
    rows = run["rows"]
    assert rows["kabupaten"] == 15 and rows["kecamatan"] >= 15
    assert province["rows"]["cells"] == rows["villages"] * 12 * len(REGISTRY)  # every village, month, indicator
    assert province["rows"]["person_status"] == 20_000 * 3
    answers = run["answers"]
    assert answers["province_dec"]["rows"] == 15 and answers["province_dec"]["villages"] == rows["villages"]
    assert answers["desa_dec"]["villages"] == 1 and answers["desa_dec"]["rows"] == 0
    for name, answer in answers.items():  # the year-to-date comes in the same answer
        assert 0 < answer["visits"] <= answer["visits_ytd"], name
    for view in run["dashboard"].values():
        assert 0 < view["p50_ms"] <= view["p95_ms"] and view["bytes"] > 0
    assert run["apply"]["events"] == 2000 and run["apply"]["events_per_s"] > 0
    rebuild = run["rebuild"]  # the real command: the same number of events re-read from the broker
    assert rebuild["events"] == rebuild["applied"] == 2000 and rebuild["skipped"] == 0
    assert rebuild["events_per_s"] == report["rebuild_events_per_s"] > 0
