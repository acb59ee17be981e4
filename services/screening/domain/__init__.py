"""Pure screening rule engine: WHO z-scores, ILP screening rules and PWS facts over one typed visit.

No I/O, no broker, no database: the service passes in the visit and the person's history and gets a
``Screening`` back. The rules, their sources, inputs and confidence live in ``registry.RULES`` (rendered to
``docs/screening-rules.md`` by ``render_rules_markdown``); configurable values in ``config.ScreeningConfig``.
"""

from __future__ import annotations

from .config import DEFAULT, ScreeningConfig
from .docs import render_rules_markdown
from .engine import LineEvaluator, evaluate, evaluate_line, result_line, risk_id
from .history import PersonHistory, VisitRecords, records_of
from .model import (
    RULESET_VERSION,
    History,
    PregnancyRecord,
    Risk,
    Screening,
    ScreeningVisit,
    ServiceRecord,
    from_intake,
    from_recorded,
)

__all__ = [
    "DEFAULT",
    "RULESET_VERSION",
    "History",
    "LineEvaluator",
    "PersonHistory",
    "PregnancyRecord",
    "Risk",
    "Screening",
    "ScreeningConfig",
    "ScreeningVisit",
    "ServiceRecord",
    "VisitRecords",
    "evaluate",
    "evaluate_line",
    "from_intake",
    "from_recorded",
    "records_of",
    "render_rules_markdown",
    "result_line",
    "risk_id",
]
