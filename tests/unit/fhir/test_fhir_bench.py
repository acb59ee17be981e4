"""The Bundle-vs-JSON micro-benchmark runs and reports every key (numbers are for bench runs, not asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SPEC = importlib.util.spec_from_file_location("fhir_intake_bench", Path(__file__).resolve().parents[3] / "bench" / "fhir_intake.py")


def test_bundle_vs_json_reports_both_paths() -> None:
    module = importlib.util.module_from_spec(SPEC)
    SPEC.loader.exec_module(module)
    report = module.bundle_vs_json(n=5, repeat=1)
    assert report["visits"] == 5 and report["bundle_entries"] == 80
    assert all(report[k] > 0 for k in ("validate_json_ms", "validate_fhir_ms", "recorded_json_ms", "recorded_fhir_ms"))
