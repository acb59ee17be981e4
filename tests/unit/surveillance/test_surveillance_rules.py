"""Threshold methods one below, at and one above their threshold; and every catalogue rule at its own."""

from __future__ import annotations

import pytest

from services.surveillance.domain import catalogue, rules
from services.surveillance.domain.rules import Rule


def baseline(*counts: int) -> list[tuple[str, int]]:
    return [(f"2026-W{10 + i:02d}", n) for i, n in enumerate(counts)]


def signals(rule: Rule, count: int, history: list[tuple[str, int]] = ()) -> bool:
    return rules.decide(rule, count, history).signal


def around(rule: Rule, history: list[tuple[str, int]], threshold: int) -> None:
    """Below the threshold no signal, at it and above it a signal; the decision names the threshold."""
    assert rules.decide(rule, threshold, history).threshold == threshold
    assert [signals(rule, n, history) for n in (threshold - 1, threshold, threshold + 1)] == [False, True, True]


def test_single_case() -> None:
    around(Rule("single"), [], 1)


def test_fixed_nilai_ambang() -> None:
    around(Rule("fixed", threshold=15), [], 15)


@pytest.mark.parametrize(("history", "threshold"), [
    (baseline(2, 3, 2, 1), 4),      # mean 2 -> 4
    (baseline(1, 2, 2, 2), 4),      # mean 1.75 -> 3.5 -> 4
    (baseline(3, 3, 3, 3), 6),
    (baseline(0, 0, 0, 0), 3),      # no history: the floor
    (baseline(1, 0, 0, 0), 3),      # mean 0.25 -> 0.5: still the floor
])
def test_doubling_against_the_mean_of_previous_weeks(history, threshold: int) -> None:
    around(Rule("doubling", weeks=4, factor=2, min_cases=3), history, threshold)


@pytest.mark.parametrize(("history", "threshold"), [
    (baseline(2, 4, 2, 4), 6),      # mean 3, sd 1.155: 5.31 -> more than that is 6
    (baseline(2, 2, 2, 2), 3),      # sd 0: more than the mean
    (baseline(0, 2, 0, 2), 4),      # mean 1, sd 1.155: 3.31 -> 4
    (baseline(0, 0, 0, 0), 2),      # the floor
])
def test_mean_plus_two_sd(history, threshold: int) -> None:
    around(Rule("mean_sd", weeks=4, k=2, min_cases=2), history, threshold)


def test_an_exact_integer_limit_is_not_lost_to_floating_point() -> None:
    # counts 1, 2, 3: mean 2, sd 1; with k = 3 the limit is exactly 5, so 6 is the first count above it.
    rule = Rule("mean_sd", weeks=3, k=3, min_cases=1)
    around(rule, baseline(1, 2, 3), 6)


def test_mean_and_sd_are_reported() -> None:
    decision = rules.decide(Rule("mean_sd", weeks=4), 9, baseline(2, 4, 2, 4))
    assert decision.mean == 3 and round(decision.sd, 3) == 1.155 and decision.baseline == tuple(baseline(2, 4, 2, 4))


def test_rules_refuse_impossible_parameters() -> None:
    with pytest.raises(ValueError):
        Rule("median")
    with pytest.raises(ValueError):
        Rule("mean_sd", weeks=1)
    with pytest.raises(ValueError):
        Rule("fixed", threshold=0)
    with pytest.raises(ValueError):
        rules.decide(Rule("doubling", weeks=4), 3, baseline(1, 2))
    with pytest.raises(ValueError):
        Rule("single").with_changes({"colour": "red"})


CATALOGUE_RULES = [(d.code, level, rule) for d in catalogue.DISEASES.values() for level, rule in d.rules.items()
                   if rule is not None]


@pytest.mark.parametrize(("disease", "level", "rule"), CATALOGUE_RULES, ids=[f"{d}-{lv}" for d, lv, _ in CATALOGUE_RULES])
def test_every_catalogue_rule_at_its_threshold(disease: str, level: str, rule: Rule) -> None:
    quiet = baseline(*[0] * rule.baseline_weeks)
    floor = {"single": 1, "fixed": rule.threshold}.get(rule.method, rule.min_cases)
    around(rule, quiet, floor)
    if rule.baseline_weeks:
        busy = baseline(*[rule.min_cases * 2] * rule.baseline_weeks)  # mean 2 x floor: doubling needs 4 x floor
        expected = rules.threshold_of(rule, [n for _, n in busy])[0]
        assert expected > floor
        around(rule, busy, expected)


def test_single_case_diseases_are_watched_per_village_only() -> None:
    for disease in catalogue.DISEASES.values():
        if disease.single_case:
            assert disease.rule("puskesmas") is None, disease.code
        else:
            assert disease.rule("village") and disease.rule("puskesmas"), disease.code
            assert disease.rule("village").min_cases <= disease.rule("puskesmas").min_cases, disease.code
