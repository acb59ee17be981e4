"""Screening's admin command: ``jejaring screening evaluate`` runs the service's rules on intake
visits given as JSON lines, one result line each (the contract's output shape, plus ``facts``).

Earlier lines of the same person are that person's history, in input order (contract Extensions):
the rows each screened line adds come from ``domain.records_of``, as in the service.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TextIO

from pydantic import ValidationError

from services.screening import domain
from services.screening.domain import DEFAULT, ScreeningConfig
from services.screening.domain.history import PersonHistory
from services.screening.domain.model import Screening
from shared.contracts.intake import IntakeVisit


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]


def _raw_visit_id(line: str) -> str | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    value = data.get("visit_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _person_key(visit: IntakeVisit) -> str:
    """A local pseudonym of the intake person (NIK, or mother's NIK, birth date and sex for a child)."""
    p = visit.person
    raw = f"nik:{p.nik}" if p.nik else f"child:{p.mother_nik}:{p.birth_date.isoformat()}:{p.sex}"
    return "cli-" + hashlib.sha256(raw.encode()).hexdigest()[:24]


def result_line(visit_id: str, result: Screening) -> dict[str, Any]:
    """The ``jejaring screening evaluate`` output of one screened visit."""
    zs = result.zscores
    return {
        "visit_id": visit_id,
        "stage": result.stage,
        "zscores": {"wfa": zs.wfa, "lhfa": zs.lhfa, "wflh": zs.wflh, "bmifa": zs.bmifa, "acfa": zs.acfa,
                    "hcfa": zs.hcfa},
        "risks": [
            {"code": r.code, "severity": r.severity, "recommended_level": r.recommended_level, "evidence": r.evidence}
            for r in result.risks
        ],
        "facts": result.facts,
    }


class LineEvaluator:
    """Intake JSON lines in order; earlier lines of a person are its history (kept in memory)."""

    def __init__(self, config: ScreeningConfig = DEFAULT) -> None:
        self.config = config
        self.people: dict[str, PersonHistory] = {}

    def evaluate(self, line: str) -> dict[str, Any]:
        """One intake JSON line -> the output dict (or an error dict); a valid line joins its person's history."""
        try:
            intake = IntakeVisit.model_validate_json(line)
        except ValidationError as exc:
            return {"visit_id": _raw_visit_id(line), "error": _errors(exc)}
        key = _person_key(intake)
        person = self.people.setdefault(key, PersonHistory())
        visit = domain.from_intake(intake, key)
        result = domain.evaluate(visit, person.frozen(), self.config)
        person.add(visit, domain.records_of(visit, result, self.config.kn_windows, self.config.kf_windows))
        return result_line(str(intake.visit_id), result)


def evaluate_line(line: str, config: ScreeningConfig = DEFAULT) -> dict[str, Any]:
    """One intake JSON line on its own (no history) -> the output dict (or an error dict)."""
    return LineEvaluator(config).evaluate(line)


def evaluate(lines: TextIO, out: TextIO, config: ScreeningConfig | None = None) -> int:
    """Evaluate every non-empty line of ``lines`` in order; write one JSON result line each to ``out``.

    ``config``: the rule set's configuration, by default the service's (``ScreeningSettings``).
    """
    if config is None:
        from services.screening.settings import ScreeningSettings

        config = ScreeningSettings().screening_config()
    evaluator = LineEvaluator(config)
    for line in lines:
        if line.strip():
            out.write(json.dumps(evaluator.evaluate(line), ensure_ascii=False) + "\n")
    return 0
