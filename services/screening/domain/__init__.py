"""Pure screening rule engine: WHO z-scores and ILP screening rules over one typed visit.

No I/O, no broker, no database: the service passes in the visit and the person's history and gets a
``Screening`` back. The rules, their sources and confidence live in ``registry.RULES`` (rendered to
``docs/screening-rules.md`` by ``render_rules_markdown``).
"""

from __future__ import annotations

from .docs import render_rules_markdown
from .engine import evaluate, evaluate_line, risk_id
from .model import (
    RULESET_VERSION,
    History,
    Risk,
    Screening,
    ScreeningVisit,
    from_intake,
    from_recorded,
)

__all__ = [
    "RULESET_VERSION",
    "History",
    "Risk",
    "Screening",
    "ScreeningVisit",
    "evaluate",
    "evaluate_line",
    "from_intake",
    "from_recorded",
    "render_rules_markdown",
    "risk_id",
]
