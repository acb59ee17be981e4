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
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    first, second, third = lines
    assert first["stage"] == "adult" and {"wfa", "lhfa", "wflh", "bmifa", "acfa"} <= set(first["zscores"])
    ht = [r for r in first["risks"] if r["code"] == "HT"]
    assert ht and ht[0]["severity"] in ("high", "emergency") and ht[0]["evidence"]["systolic_mmhg"] == 182
    assert second["stage"] == "under_five" and second["zscores"]["wfa"] is not None
    assert "error" in third


def _run(lines: list[dict]) -> list[dict]:
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = subprocess.run([sys.executable, "-m", "services.cli", "screening", "evaluate"], input=stdin,
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _visit(n: int, occurred_at: str, **extra) -> dict:
    return {"visit_id": f"00000000-0000-4000-8000-{n:012d}", "facility_id": "P1", "occurred_at": occurred_at,
            "service_point": "puskesmas", **extra}


MOTHER = {"nik": "1801064508920003", "sex": "F", "birth_date": "1992-08-05", "village_code": "18.01.06.2001"}
CHILD = {"mother_nik": "1801064508920003", "sex": "M", "birth_date": "2025-01-10", "village_code": "18.01.06.2001"}


def test_earlier_lines_of_a_person_are_its_history() -> None:
    lines = [
        _visit(1, "2026-03-02T09:00:00+07:00", person=MOTHER,
               pregnancy={"gestational_weeks": 9, "anc": {"by": "doctor", "ultrasound": True}}),
        _visit(2, "2026-05-04T09:00:00+07:00", person=MOTHER, pregnancy={"gestational_weeks": 18}),  # kader visit
        _visit(3, "2026-05-11T09:00:00+07:00", person=MOTHER,
               pregnancy={"gestational_weeks": 19, "anc": {"by": "midwife"}}),
        _visit(4, "2026-09-10T09:00:00+07:00", person=CHILD, measurements={"weight_kg": 9.0}),
        _visit(5, "2026-10-12T09:00:00+07:00", person=CHILD, measurements={"weight_kg": 9.05}),
        _visit(6, "2026-11-10T09:00:00+07:00", person=CHILD, measurements={"weight_kg": 9.1}),
    ]
    out = _run(lines)
    anc = [line["facts"]["anc"] for line in out[:3]]
    assert [a["contact_number"] for a in anc] == [1, None, 2]
    assert anc[0]["k1_murni"] and len({a["pregnancy_id"] for a in anc}) == 1
    codes = [{r["code"] for r in line["risks"]} for line in out[3:]]
    assert "WEIGHT_NOT_GAINED" in codes[1] and "GROWTH_FALTERING_2T" in codes[2]
    assert out[5]["facts"]["growth"]["two_t"] is True and out[3]["facts"]["growth"]["first_weighing"] is True
    assert set(out[0]["zscores"]) == {"wfa", "lhfa", "wflh", "bmifa", "acfa", "hcfa"}


def test_a_later_line_does_not_change_an_earlier_result() -> None:
    early = _visit(1, "2026-03-02T09:00:00+07:00", person=MOTHER,
                   pregnancy={"gestational_weeks": 9, "anc": {"by": "doctor"}})
    alone = _run([early])[0]
    first = _run([early, _visit(2, "2026-03-01T09:00:00+07:00", person=MOTHER,
                                pregnancy={"gestational_weeks": 9, "anc": {"by": "midwife"}})])[0]
    assert alone == first
