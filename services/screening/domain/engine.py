"""The evaluation engine: z-scores, every registered rule of the visit's stage in registry order, the facts.

A rule runs only when one of its inputs (``Rule.inputs``) is given at the visit or in the history; ``age`` and
``pregnancy.gestational_weeks`` are always given, so a rule naming them always runs (and returns early itself).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import Any
from uuid import UUID, uuid5

from shared.contracts.intake import Measurements, Newborn, Pregnancy, PregnancyLabs

# isort: off
from . import (  # noqa: F401  (register the rules, in this order within each group)
    rules_newborn, rules_child, rules_anaemia, rules_child_services, rules_tb, rules_pregnancy, rules_anc,
    rules_postpartum, rules_school, rules_adult, rules_catin, rules_screens, rules_elderly,
)
# isort: on
from . import facts as _facts
from .config import DEFAULT, ScreeningConfig
from .model import (
    RULESET_VERSION,
    STAGES,
    History,
    Risk,
    Screening,
    ScreeningVisit,
    Z,
    completed_months,
)
from .registry import FAMILIES, RULES, Ctx, Rule, cluster_for
from .zscores import MAX_AGE_DAYS, who2006, who2006_hcfa, who2007_bmifa

# Fixed namespace of risk ids: uuid5(NAMESPACE_URL, "jejaring:screening:risk"), written out so it never moves.
RISK_NAMESPACE = UUID("17a6e821-1e24-53e0-b614-f88ffb2b357d")

RULES_BY_STAGE: dict[str, tuple[Rule, ...]] = {s: tuple(r for r in RULES if s in r.stages) for s in STAGES}


ALWAYS = frozenset({"age", "sex", "pregnancy.gestational_weeks"})


def _gate(rule: Rule) -> frozenset[str] | None:
    """The input names that trigger a rule, or None when it always runs.

    A history is context: it triggers a rule only when the rule names nothing else, or names it in
    ``triggers`` (programme rules that track a person from earlier visits).
    """
    names = frozenset(rule.triggers or rule.inputs)
    if names & ALWAYS:
        return None
    own = frozenset(n for n in names if not n.startswith("history.")) if not rule.triggers else names
    return own or names


Step = tuple[Callable[[Ctx], Any], str | None, Any, frozenset[str] | None]


def _steps(stage: str, rules: tuple[Rule, ...]) -> tuple[Step, ...]:
    """(check, code, cluster, gate) per rule; one (family function, None, {code: cluster}, gate) per family."""
    steps: list[Step] = []
    seen: dict[str, int] = {}
    for r in rules:
        if not r.family:
            steps.append((r.check, r.code, cluster_for(r, stage), _gate(r)))
            continue
        if r.family not in seen:
            seen[r.family] = len(steps)
            steps.append((FAMILIES[r.family], None, {}, frozenset()))
        fn, _, clusters, gate = steps[seen[r.family]]
        clusters[r.code] = cluster_for(r, stage)
        member_gate = _gate(r)
        steps[seen[r.family]] = (fn, None, clusters, None if gate is None or member_gate is None else gate | member_gate)
    return tuple(steps)


_PLAN: dict[str, tuple[Step, ...]] = {s: _steps(s, rules) for s, rules in RULES_BY_STAGE.items()}


def _names(prefix: str, model: type) -> dict[str, str]:
    return {k: f"{prefix}.{k}" for k in model.model_fields}


_M_NAMES = _names("measurements", Measurements)
_P_NAMES = _names("pregnancy", Pregnancy)
_L_NAMES = _names("pregnancy.labs", PregnancyLabs)
_N_NAMES = _names("newborn", Newborn)


_PLANS: dict[tuple, tuple[tuple, tuple]] = {}
_PLANS_MAX = 8192  # distinct (stage, inputs) signatures kept; forms repeat, so a few hundred are typical


def _given(model: Any) -> frozenset[str]:
    """The fields of a pydantic model that are not None (C-level iteration: the hot path)."""
    values = model.__dict__
    return frozenset(compress(values, map(is_not, values.values(), repeat(None))))


def _flags(model: Any) -> bytes:
    """Which fields of a pydantic model are not None, one byte each in field order (C-level: the hot path)."""
    return bytes(map(is_not, model.__dict__.values(), repeat(None)))


def _stage_fields(steps: tuple[Step, ...]) -> Callable[[dict], tuple]:
    """The values of the measurement fields some gate of a stage names, from a model's ``__dict__``."""
    names = sorted({n.split(".", 1)[1] for *_, gate in steps if gate for n in gate if n.startswith("measurements.")})
    if len(names) > 1:
        return itemgetter(*names)
    return (lambda values: (values[names[0]],)) if names else (lambda values: ())


# Only the measurements a gate of the stage names can change its plan: the signature reads those alone.
_GATED: dict[str, Callable[[dict], tuple]] = {s: _stage_fields(steps) for s, steps in _PLAN.items()}


def _signature(visit: ScreeningVisit, history: History) -> tuple:
    """What decides which rules run: the stage, the non-null fields of each block, which histories exist."""
    p, nb, dev = visit.pregnancy, visit.newborn, visit.development
    return (visit.stage, bytes(map(is_not, _GATED[visit.stage](visit.measurements.__dict__), repeat(None))),
            None if p is None else (_flags(p), None if p.labs is None else _flags(p.labs)),
            None if nb is None else _flags(nb), dev is not None and dev.kpsp is not None,
            bool(visit.immunizations), bool(history.weighings), bool(history.pregnancy), bool(history.doses),
            bool(history.services))


_RANK = {r.code: n for n, r in enumerate(RULES)}


def _rank(risk: Risk) -> int:
    return _RANK[risk.code]


def _plan(visit: ScreeningVisit, history: History) -> tuple[tuple, tuple]:
    """(single rules, families) of the visit's stage that its inputs trigger, in registry order (cached)."""
    key = _signature(visit, history)
    plan = _PLANS.get(key)
    if plan is None:
        present = present_inputs(visit, history)
        steps = [(check, code, cluster) for check, code, cluster, gate in _PLAN.get(visit.stage, ())
                 if gate is None or not gate.isdisjoint(present)]
        plan = (tuple(s for s in steps if s[1] is not None), tuple((s[0], s[2]) for s in steps if s[1] is None))
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


def present_inputs(visit: ScreeningVisit, history: History) -> set[str]:
    """The input names given (not null) at this visit or in the history (``Rule.inputs`` vocabulary)."""
    out = {_M_NAMES[k] for k in _given(visit.measurements)}
    p = visit.pregnancy
    if p is not None:
        out.update(_P_NAMES[k] for k in _given(p))
        if p.labs is not None:
            out.update(_L_NAMES[k] for k in _given(p.labs))
    nb = visit.newborn
    if nb is not None:
        out.add("newborn")
        out.update(_N_NAMES[k] for k in _given(nb))
    if visit.development is not None and visit.development.kpsp is not None:
        out.add("development.kpsp")
    if visit.immunizations:
        out.add("immunizations")
    for name in ("weighings", "pregnancy", "doses", "services"):
        if getattr(history, name):
            out.add(f"history.{name}")
    return out
_EMPTY_Z = Z()
_fromordinal = date.fromordinal
_NO_Z = (None, None, None, None, None, None)


def risk_id(visit_id: UUID, code: str) -> UUID:
    """The deterministic id of the risk ``code`` found at visit ``visit_id``."""
    return uuid5(RISK_NAMESPACE, f"{visit_id}/{code}")


def _anthropometry(visit: ScreeningVisit) -> tuple[tuple[float | None, ...], float | None, tuple[str, ...]]:
    """(z tuple wfa, lhfa, wflh, bmifa, acfa, hcfa; corrected length/height; flags) for the visit.

    WHO 2006 below 60 months by days (also a pre-school child on day 1826), WHO 2007 BMI-for-age from 60
    months for the pre-school and school-age stages.
    """
    m = visit.measurements
    stage = visit.stage
    if stage in ("under_five", "preschool") and visit.age_days <= MAX_AGE_DAYS:
        wfa, lhfa, wflh, bmifa, acfa, clen, flags = who2006(
            visit.sex, visit.age_days, m.weight_kg, m.height_cm, m.measured_lying, m.muac_cm, m.oedema
        )
        hcfa = None
        if m.head_circumference_cm is not None:
            hcfa, flag = who2006_hcfa(visit.sex, visit.age_days, m.head_circumference_cm)
            if flag:
                flags.append(flag)
        return (wfa, lhfa, wflh, bmifa, acfa, hcfa), clen, tuple(flags)
    if stage in ("preschool", "school_age"):
        z, flags = who2007_bmifa(visit.sex, visit.age_days, m.weight_kg, m.height_cm, m.oedema)
        return (None, None, None, z, None, None), None, tuple(flags)
    return _NO_Z, None, ()


def evaluate(visit: ScreeningVisit, history: History = History(),  # noqa: B008 (frozen default)
             config: ScreeningConfig = DEFAULT) -> Screening:
    """Screen one visit: WHO z-scores, flags, the risks of every rule of its stage and the PWS facts."""
    z, clen, flags = _anthropometry(visit)
    on = visit.occurred_on
    birth = _fromordinal(on.toordinal() - visit.age_days)  # on - age_days, without a timedelta
    months = completed_months(birth, on)
    ctx = Ctx(visit, history, config, birth, months, months // 12, z, clen, flags)  # years = months // 12
    singles, families = _plan(visit, history)
    new = tuple.__new__
    risks = []
    for check, code, cluster in singles:  # a loop, not a comprehension: no closure cells per visit
        f = check(ctx)
        if f is not None:
            risks.append(new(Risk, (code, cluster, f[0], f[1], f[2], RULESET_VERSION)))
    for check, clusters in families:
        for found, f in check(ctx):
            if found in clusters:
                risks.append(new(Risk, (found, clusters[found], f[0], f[1], f[2], RULESET_VERSION)))
    if families and len(risks) > 1:
        risks.sort(key=_rank)
    return new(Screening, (visit.stage, _EMPTY_Z if z is _NO_Z else new(Z, z), flags, tuple(risks), _facts.build(ctx)))
