"""Pure screening rule engine: WHO z-scores, ILP screening rules and PWS facts over one typed visit.

No I/O, no broker, no database: the service passes in the visit and the person's history and gets a
``Screening`` back. The rules, their sources, inputs and confidence live in ``registry.RULES`` (rendered to
``docs/screening-rules.md`` by ``services.screening.docs``); configurable values in ``config.ScreeningConfig``.
"""

from __future__ import annotations

from .config import DEFAULT, ScreeningConfig
from .engine import evaluate, risk_id
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
    "PersonHistory",
    "PregnancyRecord",
    "Risk",
    "Screening",
    "ScreeningConfig",
    "ScreeningVisit",
    "ServiceRecord",
    "VisitRecords",
    "evaluate",
    "from_intake",
    "from_recorded",
    "records_of",
    "risk_id",
]
