"""``jejaring screening evaluate``: intake JSON lines in, the contract's result lines out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_evaluate_reads_lines_and_writes_contract_shaped_results() -> None:
    adult = {"visit_id": "0b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11", "facility_id": "P1",
             "occurred_at": "2026-11-20T09:15:00+07:00", "service_point": "posyandu",
             "person": {"nik": "1801064508920003", "sex": "F", "birth_date": "1992-08-05", "village_code": "18.01.06.2001"},
             "measurements": {"systolic_mmhg": 182, "diastolic_mmhg": 95}}
    child = {**adult, "visit_id": "1b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11",
             "person": {"mother_nik": "1801064508920003", "sex": "M", "birth_date": "2025-11-20",
                        "village_code": "18.01.06.2001"},
             "measurements": {"weight_kg": 7.2, "height_cm": 70.0, "measured_lying": True}}
    stdin = "\n".join([json.dumps(adult), "", json.dumps(child), "{broken"]) + "\n"
    result = subprocess.run([sys.executable, "-m", "services.cli", "screening", "evaluate"], input=stdin,
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    first, second, third = lines
    assert first["stage"] == "adult" and set(first["zscores"]) == {"wfa", "lhfa", "wflh", "bmifa", "acfa"}
    ht = [r for r in first["risks"] if r["code"] == "HT"]
    assert ht and ht[0]["severity"] in ("high", "emergency") and ht[0]["evidence"]["systolic_mmhg"] == 182
    assert second["stage"] == "under_five" and second["zscores"]["wfa"] is not None
    assert "error" in third
