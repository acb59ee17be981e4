"""The evaluation engine: z-scores, then every registered rule of the visit's stage, in registry order."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid5

from pydantic import ValidationError

from shared.contracts.events import ZScores
from shared.contracts.intake import IntakeVisit

from . import rules_adult, rules_child, rules_pregnancy, rules_school  # noqa: F401  (register the rules)
from .model import (
    RULESET_VERSION,
    STAGES,
    History,
    Risk,
    Screening,
    ScreeningVisit,
    birth_date_of,
    completed_months,
    completed_years,
    from_intake,
)
from .registry import RULES, Ctx, Finding, Rule, cluster_for
from .zscores import who2006, who2007_bmifa

# Fixed namespace of risk ids: uuid5(NAMESPACE_URL, "jejaring:screening:risk"), written out so it never moves.
RISK_NAMESPACE = UUID("17a6e821-1e24-53e0-b614-f88ffb2b357d")

RULES_BY_STAGE: dict[str, tuple[Rule, ...]] = {s: tuple(r for r in RULES if s in r.stages) for s in STAGES}
# (check, code, cluster) per stage, resolved once.
_PLAN: dict[str, tuple[tuple[Callable[[Ctx], Finding | None], str, int], ...]] = {
    s: tuple((r.check, r.code, cluster_for(r, s)) for r in rules) for s, rules in RULES_BY_STAGE.items()
}
_EMPTY_Z = ZScores()
_NO_Z = (None, None, None, None, None)


def risk_id(visit_id: UUID, code: str) -> UUID:
    """The deterministic id of the risk ``code`` found at visit ``visit_id``."""
    return uuid5(RISK_NAMESPACE, f"{visit_id}/{code}")


def _anthropometry(visit: ScreeningVisit) -> tuple[tuple[float | None, ...], float | None, tuple[str, ...]]:
    """(z tuple wfa, lhfa, wflh, bmifa, acfa; corrected length/height; flags) for the visit's stage."""
    m = visit.measurements
    if visit.stage == "under_five":
        wfa, lhfa, wflh, bmifa, acfa, clen, flags = who2006(
            visit.sex, visit.age_days, m.weight_kg, m.height_cm, m.measured_lying, m.muac_cm, m.oedema
        )
        return (wfa, lhfa, wflh, bmifa, acfa), clen, tuple(flags)
    if visit.stage in ("preschool", "school_age"):
        z, flags = who2007_bmifa(visit.sex, visit.age_days, m.weight_kg, m.height_cm, m.oedema)
        return (None, None, None, z, None), None, tuple(flags)
    return _NO_Z, None, ()


def evaluate(visit: ScreeningVisit, history: History = History()) -> Screening:  # noqa: B008 (frozen default)
    """Screen one visit: WHO z-scores, flags and the risks of every rule of its stage."""
    z, clen, flags = _anthropometry(visit)
    birth = birth_date_of(visit)
    on = visit.occurred_on
    ctx = Ctx(visit, history, birth, completed_months(birth, on), completed_years(birth, on), z, clen, flags)
    risks = []
    for check, code, cluster in _PLAN.get(visit.stage, ()):
        finding = check(ctx)
        if finding is not None:
            risks.append(Risk(code, cluster, finding[0], finding[1], finding[2], RULESET_VERSION))
    zscores = _EMPTY_Z if z is _NO_Z else ZScores(wfa=z[0], lhfa=z[1], wflh=z[2], bmifa=z[3], acfa=z[4])
    return Screening(visit.stage, zscores, flags, tuple(risks))


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]


def _raw_visit_id(line: str) -> str | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    value = data.get("visit_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def evaluate_line(line: str) -> dict[str, Any]:
    """One intake JSON line -> the ``jejaring screening evaluate`` output dict (or an error dict)."""
    try:
        visit = IntakeVisit.model_validate_json(line)
    except ValidationError as exc:
        return {"visit_id": _raw_visit_id(line), "error": _errors(exc)}
    result = evaluate(from_intake(visit))
    zs = result.zscores
    return {
        "visit_id": str(visit.visit_id),
        "stage": result.stage,
        "zscores": {"wfa": zs.wfa, "lhfa": zs.lhfa, "wflh": zs.wflh, "bmifa": zs.bmifa, "acfa": zs.acfa},
        "risks": [
            {"code": r.code, "severity": r.severity, "recommended_level": r.recommended_level, "evidence": r.evidence}
            for r in result.risks
        ],
    }
