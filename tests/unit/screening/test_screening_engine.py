"""The engine's public API: adapters, ids, the CLI line format, the registry and its generated docs."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import pytest

from services.screening import domain
from services.screening.admin import LineEvaluator, evaluate_line
from services.screening.docs import render_rules_markdown
from services.screening.domain import (
    RULESET_VERSION,
    History,
    Risk,
    Screening,
    evaluate,
    from_intake,
    from_recorded,
    risk_id,
)
from services.screening.domain.engine import RISK_NAMESPACE, RULES_BY_STAGE
from services.screening.domain.model import (
    LEVELS,
    SEVERITIES,
    completed_months,
    completed_years,
)
from services.screening.domain.registry import RULES
from shared.contracts.events import VisitFacts, VisitRecorded, ZScores
from shared.contracts.intake import IntakeVisit
from shared.lifecycle import age_months, age_years

REPO = Path(__file__).resolve().parents[3]
WIB = timezone(timedelta(hours=7))

INTAKE = {
    "visit_id": "0b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11",
    "facility_id": "P1801060201",
    "occurred_at": "2026-11-20T09:15:00+07:00",
    "service_point": "posyandu",
    "person": {"nik": "1801064508920003", "mother_nik": None, "name": "Siti Aminah", "sex": "F",
               "birth_date": "1992-08-05", "village_code": "18.01.06.2001"},
    "pregnancy": {"gestational_weeks": 14},
    "measurements": {"weight_kg": 52.0, "height_cm": 155.0, "measured_lying": False, "muac_cm": 22.5,
                     "hb_g_dl": 10.2, "systolic_mmhg": 150, "diastolic_mmhg": 95, "glucose_mg_dl": 210,
                     "glucose_fasting": False, "waist_cm": 92, "cough_weeks": 3, "oedema": False},
}


def test_contract_example_line():
    out = evaluate_line(json.dumps(INTAKE))
    assert {"visit_id", "stage", "zscores", "risks"} <= set(out) and set(out) - {"visit_id", "stage", "zscores",
                                                                                  "risks"} == {"facts"}
    assert out["visit_id"] == INTAKE["visit_id"] and out["stage"] == "pregnancy"
    assert out["zscores"] == {"wfa": None, "lhfa": None, "wflh": None, "bmifa": None, "acfa": None, "hcfa": None}
    codes = [r["code"] for r in out["risks"]]
    assert {"KEK", "ANEMIA_PREG", "HT_PREG", "DM_SUSPECT", "TB_PRESUMPTIVE"} <= set(codes)
    for r in out["risks"]:
        assert set(r) == {"code", "severity", "recommended_level", "evidence"}
    VisitFacts.model_validate(out["facts"])  # the facts keep the event's schema
    assert out["facts"]["pws"]["hypertension"] is True and out["facts"]["anc"]["contact"] is False
    json.dumps(out)  # serialisable


def test_child_line_has_zscores():
    child = json.loads(json.dumps(INTAKE))
    child["pregnancy"] = None
    child["person"]["birth_date"] = "2025-01-10"
    child["measurements"] = {"weight_kg": 9.1, "height_cm": 79.0, "measured_lying": True, "muac_cm": 14.0}
    out = evaluate_line(json.dumps(child))
    assert out["stage"] == "under_five"
    assert all(isinstance(v, float) for k, v in out["zscores"].items() if k != "hcfa")
    assert out["zscores"]["hcfa"] is None  # no head circumference given
    child["measurements"]["head_circumference_cm"] = 46.0
    assert isinstance(evaluate_line(json.dumps(child))["zscores"]["hcfa"], float)


def test_invalid_lines():
    bad = json.loads(json.dumps(INTAKE))
    bad["measurements"]["hb_g_dl"] = 99
    out = evaluate_line(json.dumps(bad))
    assert out["visit_id"] == INTAKE["visit_id"]
    assert {"loc": ["measurements", "hb_g_dl"], "msg": out["error"][0]["msg"]} in out["error"]
    assert set(out) == {"visit_id", "error"}
    not_json = evaluate_line("{not json")
    assert not_json["visit_id"] is None and not_json["error"] and "msg" in not_json["error"][0]
    assert evaluate_line("[1, 2]")["visit_id"] is None
    assert evaluate_line(json.dumps({"visit_id": 5}))["visit_id"] is None


def test_from_intake_derives_age_and_stage_in_local_time():
    data = json.loads(json.dumps(INTAKE))
    data["occurred_at"] = "2026-11-30T23:30:00+09:00"  # WIT: still 30 November locally
    data["pregnancy"] = None
    data["person"]["birth_date"] = "2021-12-01"
    visit = from_intake(IntakeVisit.model_validate(data))
    assert visit.occurred_on == date(2026, 11, 30)
    assert visit.age_days == (date(2026, 11, 30) - date(2021, 12, 1)).days
    assert visit.stage == "under_five"  # 59 completed months
    assert visit.visit_id == UUID(INTAKE["visit_id"]) and visit.sex == "F" and visit.pregnancy is None


def test_from_recorded():
    event = VisitRecorded(
        visit_id=uuid4(), person_id="p1", facility_id="F1", service_point="posyandu", village_code="18.01.06.2001",
        occurred_at=datetime(2026, 11, 20, 9, 0, tzinfo=WIB), recorded_at=datetime(2026, 11, 20, 9, 1, tzinfo=WIB),
        sex="M", age_days=400, stage="under_five", measurements={"weight_kg": 7.0, "height_cm": 70.0},
    )
    visit = from_recorded(event)
    assert (visit.visit_id, visit.occurred_on, visit.sex, visit.age_days, visit.stage) == (
        event.visit_id, date(2026, 11, 20), "M", 400, "under_five")
    result = evaluate(visit)
    assert isinstance(result, Screening) and isinstance(result.zscores.contract(), ZScores)
    assert result.zscores.wfa is not None and result.zscores.contract().wfa == result.zscores.wfa
    assert visit.person_id == "p1" and visit.order == event.occurred_at.timestamp()


def test_risk_id_is_deterministic_uuid5():
    vid = UUID(INTAKE["visit_id"])
    assert risk_id(vid, "KEK") == risk_id(vid, "KEK")
    assert risk_id(vid, "KEK") != risk_id(vid, "HT_PREG")
    assert risk_id(vid, "KEK").version == 5
    assert RISK_NAMESPACE == uuid5(NAMESPACE_URL, "jejaring:screening:risk")
    assert risk_id(vid, "KEK") == uuid5(RISK_NAMESPACE, f"{vid}/KEK")


def test_every_risk_is_well_formed(h):
    result = evaluate(h.make_visit(
        "elderly", h.age_days(years=70), "M", weight_kg=80.0, height_cm=160.0, waist_cm=100.0, systolic_mmhg=185,
        diastolic_mmhg=100, glucose_mg_dl=260.0, cough_weeks=3, puma_score=7, srq20_score=9, adl_barthel=10,
        skilas_positive_domains=["vision"],
    ))
    assert len(result.risks) >= 9
    assert len({r.code for r in result.risks}) == len(result.risks)
    for r in result.risks:
        assert isinstance(r, Risk)
        assert r.severity in SEVERITIES and r.recommended_level in LEVELS and 1 <= r.cluster <= 5
        assert r.ruleset_version == RULESET_VERSION and isinstance(r.evidence, dict)


def test_registry_codes_and_metadata():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    for r in RULES:
        assert r.code == r.code.upper() and " " not in r.code
        assert r.source and r.confidence in ("C", "S", "UNCONFIRMED") and r.criteria and r.stages
    unconfirmed = {r.code for r in RULES if r.confidence == "UNCONFIRMED"}
    assert {"WEIGHT_NOT_GAINED", "GROWTH_FALTERING_2T"} <= unconfirmed
    assert "SEVERE_THINNESS" not in unconfirmed  # PMK 2/2020 states it
    assert {"HT", "HT_PREG", "ANEMIA_PREG", "KEK", "STUNTED", "SEVERELY_STUNTED", "TB_PRESUMPTIVE"} <= set(codes)
    assert [r.code for r in RULES_BY_STAGE["under_five"]][:2] == ["LOW_BIRTH_WEIGHT", "SHK_HIGH_TSH"]
    for r in RULES:
        assert r.inputs and all("." in i or i in ("age", "sex", "immunizations", "newborn") for i in r.inputs), r.code


def test_committed_docs_match_the_registry():
    committed = (REPO / "docs" / "screening-rules.md").read_text(encoding="utf-8")
    assert committed == render_rules_markdown(), "regenerate docs/screening-rules.md from render_rules_markdown()"


def test_docs_mention_every_rule_and_unconfirmed_marks():
    text = render_rules_markdown()
    for r in RULES:
        assert f"`{r.code}`" in text
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `")}
    for r in RULES:
        assert ("**[UNCONFIRMED]**" in rows[r.code].split("|")[-3]) == (r.confidence == "UNCONFIRMED"), r.code
        assert all(f"`{i}`" in rows[r.code] for i in r.inputs), r.code
    assert RULESET_VERSION in text


def test_package_is_pure():
    code = (
        "import sys, services.screening.domain as d; "
        "bad = [m for m in ('faststream', 'sqlalchemy', 'fastapi', 'aiokafka', 'asyncpg', 'httpx', 'uvicorn') "
        "if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True,
                         env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert out.stdout.strip() == ""


def test_rules_skipped_without_their_inputs_give_the_same_result(h):
    """Input gating is an optimisation only: running every rule of the stage finds the same risks."""
    from services.screening.domain.config import DEFAULT
    from services.screening.domain.engine import _PLAN, Ctx

    visit = h.make_visit("adult", h.age_days(years=40), "F", systolic_mmhg=150, diastolic_mmhg=95, hb_g_dl=10.0,
                         muac_cm=22.0, visual_acuity="6/18")
    gated = evaluate(visit)
    birth = visit.occurred_on - timedelta(days=visit.age_days)
    ctx = Ctx(visit, History(), DEFAULT, birth, completed_months(birth, visit.occurred_on),
              completed_years(birth, visit.occurred_on), (None,) * 6, None, ())
    everything = set()
    for check, code, cluster, _gate in _PLAN["adult"]:
        found = check(ctx)
        if code is None:
            everything |= {c for c, _ in found if c in cluster}
        elif found is not None:
            everything.add(code)
    assert {r.code for r in gated.risks} == everything


def test_public_api_names():
    for name in ("RULESET_VERSION", "Risk", "Screening", "History", "ScreeningVisit", "evaluate", "from_recorded",
                 "from_intake", "risk_id", "ScreeningConfig", "records_of"):
        assert hasattr(domain, name)
    # The adapters live beside the domain, not in it: the CLI's line format and the generated docs.
    assert callable(evaluate_line) and callable(LineEvaluator) and callable(render_rules_markdown)
    for name in ("evaluate_line", "LineEvaluator", "render_rules_markdown", "result_line"):
        assert not hasattr(domain, name)
    assert History() == History(weighings=(), pregnancy=(), doses=(), services=())


def test_bench_runs():
    from services.screening.bench import bench_evaluate

    assert bench_evaluate(300) > 0


@pytest.mark.parametrize("birth,on", [
    (date(2020, 2, 29), date(2021, 2, 28)), (date(2020, 1, 31), date(2020, 2, 29)),
    (date(2016, 1, 30), date(2016, 2, 29)), (date(2019, 3, 31), date(2019, 4, 30)),
    (date(2020, 12, 31), date(2025, 12, 30)), (date(2021, 5, 5), date(2021, 5, 5)),
])
def test_fast_age_matches_lifecycle(birth, on):
    assert completed_months(birth, on) == age_months(birth, on)
    assert completed_years(birth, on) == age_years(birth, on)
