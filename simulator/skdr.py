"""Ground truth of outbreak signals: the SKDR signals surveillance should raise for the messages sent.

Independent of surveillance's code: only the rule parameters (which diseases, which method and
floor per level) are read from its catalogue, ``services.surveillance.domain.catalogue.DISEASES``
(when it can be imported; otherwise no signals are computed). Following docs/surveillance.md:

* a visit is a case of each disease named by its ``syndromes`` or by an ICD-10 code of its
  ``diagnoses`` starting with one of the disease's prefixes;
* a person counts once per disease and ISO week (the week of ``occurred_at`` in its own offset),
  in their village and in the Puskesmas area whose catchment holds the village;
* per area, disease and week: the rule's threshold from the area's previous weeks (0 where nobody
  was counted, nothing before the run) — ``single`` 1, ``fixed`` its value, ``doubling``
  ``max(min_cases, ceil(factor x mean))``, ``mean_sd`` ``max(min_cases, floor(mean + k x sd) + 1)``
  — and a signal when the week's count reaches it (single-case diseases: village only).

It assumes what the live pace gives: each week's cases are counted before the next week's (a batch
sent faster than it is processed may let a later week be judged on an incomplete baseline). Weeks
older than surveillance's ``JEJARING_SIGNAL_MAX_AGE_WEEKS`` when they arrive raise nothing there;
``max_age_weeks`` with ``now_week`` leaves them out here too.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from typing import Any


def default_catalogue() -> Mapping[str, Any] | None:
    """Surveillance's default disease catalogue (rule parameters), if importable."""
    try:
        from services.surveillance.domain.catalogue import DISEASES
    except Exception:  # noqa: BLE001 - any import problem means "not available"
        return None
    return DISEASES


def threshold(rule: Any, previous: list[int]) -> int:
    """The smallest count that signals (``previous``: the baseline weeks' counts, oldest first)."""
    if rule.method == "single":
        return 1
    if rule.method == "fixed":
        return rule.threshold
    mean = Fraction(sum(previous), len(previous))
    if rule.method == "doubling":
        return max(rule.min_cases, math.ceil(mean * Fraction(rule.factor).limit_denominator(10**6)))
    sd = statistics.stdev(previous)
    return max(rule.min_cases, math.floor(float(mean) + rule.k * sd + 1e-9) + 1)


def previous_weeks(week: str, n: int) -> list[str]:
    """The ``n`` ISO weeks before ``week``, oldest first."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1).toordinal()
    out = []
    for back in range(n, 0, -1):
        y, w, _ = date.fromordinal(monday - 7 * back).isocalendar()
        out.append(f"{y:04d}-W{w:02d}")
    return out


class ExpectedSignals:
    """Accumulates accepted visits; ``result()`` lists the signals the rules give."""

    def __init__(self, catchment: Mapping[str, str] | None = None, diseases: Mapping[str, Any] | None | str = "auto"
                 ) -> None:
        """``catchment``: village -> Puskesmas facility id; ``diseases``: a catalogue, None, or "auto"."""
        self.catchment = dict(catchment or {})
        self.diseases = default_catalogue() if diseases == "auto" else diseases
        self.prefixes = [(p, code) for code, d in (self.diseases or {}).items() for p in d.icd10]
        self.persons: set[tuple[str, str, tuple]] = set()
        self.counts: Counter[tuple[str, str, str, str]] = Counter()  # (kind, area, disease, week)

    def diseases_of(self, visit: Mapping[str, Any]) -> set[str]:
        found = {s for s in visit.get("syndromes") or () if s in (self.diseases or {})}
        for code in visit.get("diagnoses") or ():
            found |= {d for prefix, d in self.prefixes if code.upper().startswith(prefix)}
        return found

    def add(self, visit: Mapping[str, Any], person: tuple) -> None:
        """One accepted visit (intake JSON) of the person identified by ``person``."""
        if self.diseases is None or not (visit.get("syndromes") or visit.get("diagnoses")):
            return
        year, number, _ = date.fromisoformat(visit["occurred_at"][:10]).isocalendar()
        week = f"{year:04d}-W{number:02d}"
        village = visit["person"]["village_code"]
        for disease in self.diseases_of(visit):
            if (disease, week, person) in self.persons:
                continue
            self.persons.add((disease, week, person))
            self.counts[("village", village, disease, week)] += 1
            if village in self.catchment:
                self.counts[("puskesmas", self.catchment[village], disease, week)] += 1

    def result(self, *, now_week: str | None = None, max_age_weeks: int | None = None) -> list[dict[str, Any]]:
        """Every expected signal: area, disease, week, the threshold (the count when raised) and the
        week's final count; sorted by week, disease, area kind and code."""
        if self.diseases is None:
            return []
        oldest = previous_weeks(now_week, max_age_weeks)[0] if now_week and max_age_weeks else None
        series: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
        for (kind, area, disease, week), n in self.counts.items():
            series[(kind, area, disease)][week] = n
        out = []
        for (kind, area, disease), weeks in series.items():
            rule = self.diseases[disease].rule(kind)
            if rule is None:
                continue
            for week, n in weeks.items():
                if oldest is not None and week < oldest:
                    continue
                history = [weeks.get(w, 0) for w in previous_weeks(week, rule.baseline_weeks)]
                limit = threshold(rule, history)
                if n >= limit:
                    out.append({"area_kind": kind, "area_code": area, "disease": disease, "week": week,
                                "threshold": limit, "count": n, "rule": rule.method})
        return sorted(out, key=lambda s: (s["week"], s["disease"], s["area_kind"], s["area_code"]))
