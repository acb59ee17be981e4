"""Under-five services (cluster 2): immunisation against the national schedule, KPSP, vitamin A, deworming.

Programme rules that need a history (immunisation, vitamin A, deworming) fire only for a child whose record
carries that programme (a dose at this visit or an earlier one): a visit without these inputs is screened as
before.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from operator import itemgetter

from . import immunization
from .model import add_months
from .registry import CHILD, UNDER_FIVE, UNSET, Ctx, Finding, family, member, rule

GROUP = "Under-fives (balita)"
_DAY = itemgetter(1)


def _on_or_before(doses: list, on: date) -> list:
    return [d for d in doses if d[1] <= on]


def _imm(c: Ctx) -> immunization.ImmunizationStatus | None:
    doses, on = c.history.doses, c.visit.occurred_on
    if not doses and not c.visit.immunizations:
        return None
    earlier: dict[str, date] = dict(doses)
    if len(earlier) != len(doses) or (earlier and max(earlier.values()) > on):  # a repeated antigen, or a later dose
        latest_first = sorted(doses, key=_DAY, reverse=True)
        if latest_first[0][1] > on:
            latest_first = _on_or_before(latest_first, on)
        earlier = dict(latest_first)  # the earliest dose of each antigen wins (it comes last)
    return immunization.status(c.birth, on, earlier, c.visit.immunizations, c.config, c.age_months)


def imm_status(c: Ctx) -> immunization.ImmunizationStatus | None:
    """The child's immunisation status (memoised), None when no dose is known."""
    found = c.imm
    if found is UNSET:
        found = c.imm = _imm(c)
    return found


def _imm_evidence(s: immunization.ImmunizationStatus) -> dict:
    return {"overdue": list(s.overdue), "due": list(s.due), "drop_out_series": list(s.drop_out),
            "next_due": list(s.next_due), "next_due_on": s.next_due_on.isoformat() if s.next_due_on else None}


_IMM_INPUTS = ("immunizations", "history.doses")  # the history triggers too: a child tracked by earlier doses


@family("immunization")
def immunization_findings(c: Ctx) -> list[tuple[str, Finding]]:
    """Drop-out, else overdue doses."""
    s = imm_status(c)
    if s is None or not s.overdue:
        return []
    if s.drop_out:
        return [("IMMUNIZATION_DROP_OUT", ("moderate", "posyandu", _imm_evidence(s)))]
    return [("IMMUNIZATION_OVERDUE", ("low", "posyandu", _imm_evidence(s)))]


member(
    "IMMUNIZATION_DROP_OUT", family="immunization", title="Immunisation drop-out (DO)", stages=UNDER_FIVE, cluster=2,
    group=GROUP, criteria="a started series (DPT-HB-Hib, OPV, PCV, RV, MR; or DPT-HB-Hib1 to MR1) has a dose overdue "
    "(due for more than the grace month)",
    severity="moderate", level="posyandu", source="[ILP-T 06-imunisasi-rutin]; grace period [UNCONFIRMED]",
    confidence="C", inputs=_IMM_INPUTS, triggers=_IMM_INPUTS, notes="Kader drop-out follow-up (DOFU) by home visit.",
)
member(
    "IMMUNIZATION_OVERDUE", family="immunization", title="Immunisation overdue", stages=UNDER_FIVE, cluster=2,
    group=GROUP, criteria="a scheduled dose is overdue (due for more than the grace month) and the series is not a "
    "drop-out", severity="low", level="posyandu", source="[ILP-T 06-imunisasi-rutin]; grace period [UNCONFIRMED]",
    confidence="C", inputs=_IMM_INPUTS, triggers=_IMM_INPUTS,
    notes="HB0 after 7 days and BCG after 12 months are no longer due.",
)


def _nutrition_problem(c: Ctx) -> bool:
    return any(z is not None and z < -2 for z in (c.wfa, c.lhfa, c.wflh)) or bool(c.m.oedema)


@rule(
    "KPSP_DOUBTFUL", title="Development doubtful (KPSP meragukan)", stages=CHILD, cluster=2, group=GROUP,
    criteria="KPSP doubtful (score 7-8)",
    severity="low; moderate when doubtful again within 4 weeks", level="pustu (re-test in 2 weeks); puskesmas "
    "when doubtful again; rs with a nutrition problem (z < -2 or oedema)",
    source="[S36] [S37] (KPSP interpretation); [ILP-T 08-balita-masalah-gizi] (rs with a nutrition problem)",
    confidence="S", inputs=("development.kpsp", "history.services"),
    notes="Stimulate more often, check for illness, re-evaluate after 2 weeks.",
)
def kpsp_doubtful(c: Ctx) -> Finding | None:
    dev = c.visit.development
    if dev is None or dev.kpsp != "doubtful":
        return None
    on = c.visit.occurred_on
    ev: dict = {"kpsp": "doubtful", "age_months": c.age_months, "retest_on": (on + timedelta(days=14)).isoformat()}
    if _nutrition_problem(c):
        ev["nutrition_problem"] = True
        return "moderate", "rs", ev
    again = any(r.kind == "kpsp" and r.value == "doubtful" and 0 < (on - r.occurred_on).days <= 28
                for r in c.history.services)
    if again:
        ev["doubtful_again"] = True
        return "moderate", "puskesmas", ev
    return "low", "pustu", ev


@rule(
    "KPSP_DEVIANT", title="Developmental deviation (KPSP penyimpangan)", stages=CHILD, cluster=2, group=GROUP,
    criteria="KPSP deviant (score <= 6)", severity="moderate", level="rs",
    source="[S36] [S37] (KPSP); [ILP-T 08-balita-masalah-gizi] (development menyimpang -> RS)", confidence="S",
    inputs=("development.kpsp",), notes="Full history, physical and neurological exam; referral to hospital.",
)
def kpsp_deviant(c: Ctx) -> Finding | None:
    dev = c.visit.development
    if dev is None or dev.kpsp != "deviant":
        return None
    return "moderate", "rs", {"kpsp": "deviant", "age_months": c.age_months}


@lru_cache(maxsize=1024)  # visits of one day share it
def _round_start(on: date, months: tuple[int, ...]) -> date:
    """The first day of the latest round month on or before ``on``."""
    this_year = [m for m in months if m <= on.month]
    return date(on.year, max(this_year), 1) if this_year else date(on.year - 1, max(months), 1)


@family("child_programmes")
def child_programmes(c: Ctx) -> list[tuple[str, Finding]]:
    """Vitamin A and deworming due, for a child tracked by either (given now, or recorded before)."""
    m, months, cfg = c.m, c.age_months, c.config
    vitamin = 6 <= months < 60 and not m.vitamin_a_given
    worm = cfg.deworming_from_months <= months < 60 and not m.deworming_given
    if not vitamin and not worm:
        return []
    on = c.visit.occurred_on
    vitamin_since = worm_since = on
    if vitamin:
        vitamin_since = _round_start(on, cfg.vitamin_a_months)
        if months <= 7 + cfg.vitamin_a_max_gap_months:  # older: the 6-month birthday precedes the latest round
            six = add_months(c.birth, 6)
            vitamin_since = max(vitamin_since, six)
    if worm:
        worm_since = date.fromordinal(on.toordinal() - cfg.deworming_interval_days)
    vitamin_tracked, worm_tracked = m.vitamin_a_given is not None, m.deworming_given is not None
    vitamin_recent = worm_recent = False
    for r in c.history.services:
        day = r.occurred_on
        if day > on:
            continue
        if r.kind == "vitamin_a":
            vitamin_tracked = True
            vitamin_recent = vitamin_recent or day >= vitamin_since
        elif r.kind == "deworming":
            worm_tracked = True
            worm_recent = worm_recent or day >= worm_since
    out: list[tuple[str, Finding]] = []
    if vitamin and vitamin_tracked and not vitamin_recent:
        out.append(("VITAMIN_A_DUE", ("low", "posyandu", {"since": vitamin_since.isoformat(), "age_months": months})))
    if worm and worm_tracked and not worm_recent:
        out.append(("DEWORMING_DUE", ("low", "posyandu", {"since": worm_since.isoformat(), "age_months": months})))
    return out


member(
    "VITAMIN_A_DUE", family="child_programmes", title="Vitamin A not received this round", stages=UNDER_FIVE,
    cluster=2, group=GROUP,
    criteria="6-59 months, no vitamin A since the latest round (February or August) or since turning 6 months",
    severity="low", level="posyandu", source="[ILP-T 07-vitamin-a]", confidence="C",
    inputs=("measurements.vitamin_a_given", "history.services"),
    triggers=("measurements.vitamin_a_given", "history.services"),
    notes="Only for a child whose vitamin A is recorded (this visit or earlier). Kader sweeping.",
)
member(
    "DEWORMING_DUE", family="child_programmes", title="Deworming not received this year", stages=UNDER_FIVE,
    cluster=2, group=GROUP, criteria="12-59 months, no deworming in the last 365 days", severity="low",
    level="posyandu", source="[ILP-T 07-vitamin-a] (at least once a year, in August); from 12 months [UNCONFIRMED]",
    confidence="C", inputs=("measurements.deworming_given", "history.services"),
    triggers=("measurements.deworming_given", "history.services"),
    notes="Only for a child whose deworming is recorded (this visit or earlier).",
)
