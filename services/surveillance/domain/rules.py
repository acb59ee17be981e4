"""Threshold methods: this week's count against a fixed value or the area's own previous weeks.

Every method yields an integer **threshold**, the smallest count that raises a signal, so each rule
is tested one below, at and one above it:

- ``single``: one case is a signal (threshold 1).
- ``fixed``: ``threshold`` cases in the week (a *nilai ambang* from a local SKDR table).
- ``doubling``: at least ``factor`` (2) times the mean of the previous ``weeks`` weeks, i.e.
  ``ceil(factor x mean)`` — Permenkes 1501/2010 art. 6(c): *peningkatan kejadian kesakitan dua
  kali atau lebih dibandingkan dengan periode sebelumnya*.
- ``mean_sd``: more than the mean plus ``k`` (2) sample standard deviations of the previous
  ``weeks`` weeks, i.e. ``floor(mean + k x sd) + 1`` (the classic EWARS alert threshold).

``doubling`` and ``mean_sd`` never go below ``min_cases``, so an area with no history (mean 0)
needs a few cases, not one, and a quiet week cannot make 0 -> 1 an outbreak.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

METHODS = ("single", "fixed", "doubling", "mean_sd")
LEVELS = ("village", "puskesmas")
EPSILON = 1e-9  # mean + k*sd is a float; an exact integer must not drift below itself


@dataclass(frozen=True)
class Rule:
    """One threshold rule of one disease at one level (village or Puskesmas area)."""

    method: str
    threshold: int = 1  # fixed
    weeks: int = 4  # doubling, mean_sd: how many previous weeks form the baseline
    factor: float = 2.0  # doubling
    k: float = 2.0  # mean_sd
    min_cases: int = 1  # doubling, mean_sd: never a signal below this count
    source: str = ""
    confidence: str = "UNCONFIRMED"  # C | S | UNCONFIRMED (ilp-domain.md)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; one of {', '.join(METHODS)}")
        if self.threshold < 1 or self.min_cases < 1:
            raise ValueError("threshold and min_cases are at least 1")
        if self.method in ("doubling", "mean_sd") and self.weeks < (2 if self.method == "mean_sd" else 1):
            raise ValueError(f"{self.method} needs at least {2 if self.method == 'mean_sd' else 1} baseline weeks")
        if self.factor <= 0 or self.k < 0:
            raise ValueError("factor must be positive and k not negative")

    @property
    def baseline_weeks(self) -> int:
        """How many previous weeks this rule reads (0 for single and fixed)."""
        return self.weeks if self.method in ("doubling", "mean_sd") else 0

    def params(self) -> dict[str, int | float]:
        """The parameters that matter for this method (as carried in the signal event)."""
        return {
            "single": {},
            "fixed": {"threshold": self.threshold},
            "doubling": {"weeks": self.weeks, "factor": self.factor, "min_cases": self.min_cases},
            "mean_sd": {"weeks": self.weeks, "k": self.k, "min_cases": self.min_cases},
        }[self.method]

    def with_changes(self, changes: Mapping[str, object]) -> "Rule":
        """A copy with some fields replaced (configuration overrides); unknown fields are an error."""
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown rule fields {sorted(unknown)}")
        values = {name: getattr(self, name) for name in self.__dataclass_fields__} | dict(changes)
        return Rule(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Decision:
    """A rule applied to one area's week: the threshold, the comparison, and whether it signals."""

    signal: bool
    count: int
    threshold: int
    baseline: tuple[tuple[str, int], ...] = ()
    mean: float | None = None
    sd: float | None = None
    rule: Rule = field(default_factory=lambda: Rule("single"))


def threshold_of(rule: Rule, baseline: Sequence[int]) -> tuple[int, float | None, float | None]:
    """The smallest signalling count for ``rule`` given the previous weeks' counts; with mean and sd."""
    if rule.method == "single":
        return 1, None, None
    if rule.method == "fixed":
        return rule.threshold, None, None
    if len(baseline) != rule.weeks:
        raise ValueError(f"{rule.method} needs exactly {rule.weeks} baseline weeks, got {len(baseline)}")
    mean = Fraction(sum(baseline), len(baseline))
    if rule.method == "doubling":
        value = math.ceil(mean * Fraction(rule.factor).limit_denominator(10**6))
        return max(rule.min_cases, value), float(mean), None
    sd = statistics.stdev(baseline)
    value = math.floor(float(mean) + rule.k * sd + EPSILON) + 1
    return max(rule.min_cases, value), float(mean), sd


def decide(rule: Rule, count: int, baseline: Sequence[tuple[str, int]] = ()) -> Decision:
    """Apply ``rule`` to ``count`` cases this week and the previous weeks ``(week, count)``, oldest first."""
    counts = [n for _, n in baseline]
    threshold, mean, sd = threshold_of(rule, counts)
    return Decision(signal=count >= threshold, count=count, threshold=threshold, baseline=tuple(baseline),
                    mean=mean, sd=sd, rule=rule)
