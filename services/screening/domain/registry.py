"""The rule registry: every rule's code, scope, source and confidence, next to its check function.

A rule's ``check`` is a pure function of the evaluation context returning ``None`` or a finding
``(severity, recommended_level, evidence)``. The registry is the single source of the generated
``docs/screening-rules.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.contracts.intake import Measurements, Pregnancy

from .config import ScreeningConfig
from .model import LEVELS, SEVERITIES, STAGES, History, ScreeningVisit, field_view

Finding = tuple[str, str, dict[str, Any]]

# Stage groups.
UNDER_FIVE = ("under_five",)
CHILD = ("under_five", "preschool")  # balita and anak prasekolah (under 6 years)
SCHOOL = ("preschool", "school_age")
PREGNANCY = ("pregnancy",)
NON_PREGNANT_15 = ("school_age", "adult", "elderly")  # with an age >= 15 guard in the rule
ADULT = ("adult", "elderly")
ELDERLY = ("elderly",)
WOMEN_15_49 = ("school_age", "adult")  # non-pregnant; with sex and age guards in the rule
NOT_UNDER_FIVE = ("preschool", "school_age", "adult", "elderly", "pregnancy")
ANY_STAGE = STAGES

# Rule groups, in the order rules run and are documented.
GROUPS = (
    "Newborns (bayi baru lahir)",
    "Under-fives (balita)",
    "Pregnancy (ibu hamil)",
    "Postpartum (nifas)",
    "Pre-school, school-age and adolescents (anak sekolah & remaja)",
    "Adults and elderly (usia dewasa & lansia)",
    "Elderly (lansia)",
    "Any age",
)
CONFIDENCE = {
    "C": "seen in a Kemenkes/government text or a faithful transcription of one",
    "S": "seen only in a secondary source",
    "UNCONFIRMED": "not verified: an assumption, to be confirmed against the official text",
}
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


UNSET: Any = object()  # a shared value not computed yet


class Ctx:
    """Everything the rules read about one visit, derived once."""

    __slots__ = (
        "acfa",
        "age_days",
        "age_months",
        "age_years",
        "anc",
        "birth",
        "bmifa",
        "clenhei",
        "config",
        "flags",
        "hcfa",
        "history",
        "imm",
        "lhfa",
        "m",
        "memo",
        "preg",
        "sex",
        "tb",
        "trend",
        "visit",
        "wfa",
        "wflh",
    )

    def __init__(
        self, visit: ScreeningVisit, history: History, config: ScreeningConfig, birth: date, age_months: int,
        age_years: int, z: tuple[float | None, ...], clenhei: float | None, flags: tuple[str, ...],
    ) -> None:
        self.visit = visit
        self.m: Measurements = field_view(visit.measurements)  # fast attribute reads (see FieldView)
        self.preg: Pregnancy | None = field_view(visit.pregnancy)
        self.history = history
        self.config = config
        self.sex = visit.sex
        self.age_days = visit.age_days
        self.birth = birth
        self.age_months = age_months
        self.age_years = age_years
        self.wfa, self.lhfa, self.wflh, self.bmifa, self.acfa, self.hcfa = z
        self.clenhei = clenhei
        self.flags = flags
        self.memo: dict[str, Any] | None = None  # family results for a member checked alone (created on use)
        # values several rules and the facts share, computed on first use (UNSET until then)
        self.trend = self.tb = self.imm = self.anc = UNSET


@dataclass(frozen=True)
class Rule:
    """One screening rule and its provenance."""

    code: str
    title: str  # short name, with the Indonesian term
    stages: tuple[str, ...]
    cluster: int | None  # None: by stage (2 mother & child, 3 adult & elderly)
    criteria: str  # what triggers it, for people
    severity: str  # how severity is chosen, for people
    level: str  # recommended level of care, for people
    source: str  # source tags of ilp-domain.md section 7
    confidence: str  # C | S | UNCONFIRMED
    check: Callable[[Ctx], Finding | None]
    group: str = ""
    notes: str = ""
    # Inputs read, as dotted contract names ("measurements.hb_g_dl", "pregnancy.anc", "history.weighings", ...).
    # The rule runs only when one of them is given ("age", "sex", "pregnancy.gestational_weeks": always); a
    # history counts only when it is the rule's sole input or listed in ``triggers``.
    inputs: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    family: str = ""  # rules of one family are found together by one function (see ``family``)


RULES: list[Rule] = []
# family name -> function finding every code of the family at once: ctx -> [(code, finding), ...]
FAMILIES: dict[str, Callable[[Ctx], list[tuple[str, Finding]]]] = {}


def family(name: str) -> Callable[[Callable[[Ctx], list[tuple[str, Finding]]]], Callable[[Ctx], Any]]:
    """Decorator registering the function that finds every rule of a family in one pass.

    Members are registered with ``rule(..., family=name)``; their own ``check`` reads the family's result
    (memoised), so a member checked alone and the engine's one call per family agree by construction.
    """

    def wrap(fn: Callable[[Ctx], list[tuple[str, Finding]]]) -> Callable[[Ctx], Any]:
        if name in FAMILIES:
            raise ValueError(f"duplicate family {name}")
        FAMILIES[name] = fn
        return fn

    return wrap


def _member_check(name: str, code: str) -> Callable[[Ctx], Finding | None]:
    key = "family:" + name

    def check(c: Ctx) -> Finding | None:
        if c.memo is None:
            c.memo = {}
        found = c.memo.get(key)
        if found is None:
            found = c.memo[key] = dict(FAMILIES[name](c))
        return found.get(code)

    check.__name__ = f"check_{code.lower()}"
    return check

def cluster_for(rule: Rule, stage: str) -> int:
    """The ILP cluster of a risk: the rule's own, else by life-cycle stage."""
    if rule.cluster is not None:
        return rule.cluster
    return 3 if stage in ("adult", "elderly") else 2


def register(rule: Rule) -> Rule:
    """Add a rule to the registry, refusing malformed or duplicate ones."""
    if not _CODE_RE.match(rule.code):
        raise ValueError(f"rule code must be UPPER_SNAKE: {rule.code}")
    if any(r.code == rule.code for r in RULES):
        raise ValueError(f"duplicate rule code {rule.code}")
    if rule.confidence not in CONFIDENCE:
        raise ValueError(f"unknown confidence {rule.confidence} for {rule.code}")
    if not set(rule.stages) <= set(STAGES):
        raise ValueError(f"unknown stage in {rule.code}: {rule.stages}")
    if rule.group not in GROUPS:
        raise ValueError(f"unknown group {rule.group!r} for {rule.code}")
    if not rule.inputs:
        raise ValueError(f"{rule.code} names no inputs")
    RULES.append(rule)
    RULES.sort(key=lambda r: GROUPS.index(r.group))  # stable: registration order within a group
    return rule


def rule(
    code: str, *, title: str, stages: tuple[str, ...], cluster: int | None, criteria: str, severity: str,
    level: str, source: str, confidence: str, group: str, inputs: tuple[str, ...], notes: str = "",
    triggers: tuple[str, ...] = (),
) -> Callable[[Callable[[Ctx], Finding | None]], Callable[[Ctx], Finding | None]]:
    """Decorator registering a check function as a rule."""

    def wrap(fn: Callable[[Ctx], Finding | None]) -> Callable[[Ctx], Finding | None]:
        register(Rule(code, title, stages, cluster, criteria, severity, level, source, confidence, fn, group, notes,
                      inputs, triggers))
        return fn

    return wrap


def member(
    code: str, *, family: str, title: str, stages: tuple[str, ...], cluster: int | None, criteria: str,
    severity: str, level: str, source: str, confidence: str, group: str, inputs: tuple[str, ...], notes: str = "",
    triggers: tuple[str, ...] = (),
) -> Rule:
    """Register a rule found by a family function (``family``)."""
    return register(Rule(code, title, stages, cluster, criteria, severity, level, source, confidence,
                         _member_check(family, code), group, notes, inputs, triggers, family))


def validate_finding(code: str, finding: Finding) -> None:
    """Guard used by tests: severities and levels come from the contract vocabularies."""
    severity, level, evidence = finding
    if severity not in SEVERITIES or level not in LEVELS or not isinstance(evidence, dict):
        raise ValueError(f"{code}: bad finding {finding!r}")
