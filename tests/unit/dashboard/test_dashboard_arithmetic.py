"""PWS arithmetic without a database: cells, targets, the colour rule, contributions, roll-up."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.dashboard.domain import access as access_domain
from services.dashboard.domain import arithmetic, registry
from shared.time import period_of

IND = registry.BY_ID


def test_percentage_rounds_to_one_decimal_and_needs_a_denominator() -> None:
    assert arithmetic.percentage(1, 3) == 33.3
    assert arithmetic.percentage(2, 3) == 66.7
    assert arithmetic.percentage(5, 0) is None
    assert arithmetic.percentage(5, None) is None


def test_cell_shapes_follow_the_contract() -> None:
    count = arithmetic.cell(IND["visits"], 120, 0, None, period="2026-11")
    assert count == {"numerator": 120, "denominator": None, "value": 120, "target": None, "colour": None}
    measured = arithmetic.cell(IND["stunting"], 5, 40, None, period="2026-11")
    assert (measured["numerator"], measured["denominator"], measured["value"]) == (5, 40, 12.5)
    assert measured["target"] == 14 and measured["colour"] == "green"
    coverage = arithmetic.cell(IND["children_weighed"], 30, 30, 40, period="2026-11")
    assert (coverage["denominator"], coverage["value"], coverage["colour"]) == (40, 75.0, "yellow")
    no_sasaran = arithmetic.cell(IND["children_weighed"], 30, 30, None, period="2026-11")
    assert no_sasaran["denominator"] is None and no_sasaran["value"] is None and no_sasaran["colour"] is None


@pytest.mark.parametrize(("value", "expected"), [(80, "green"), (95, "green"), (64, "yellow"), (79.9, "yellow"),
                                                 (63.9, "red"), (0, "red"), (None, None)])
def test_colour_rule_higher_is_better(value: float | None, expected: str | None) -> None:
    # green >= target, yellow >= 80 % of target, red below (ilp-domain §0); target 80 -> yellow from 64
    assert arithmetic.colour(value, 80, "up") == expected


@pytest.mark.parametrize(("value", "expected"), [(14, "green"), (3, "green"), (17.5, "yellow"), (14.1, "yellow"),
                                                 (17.6, "red")])
def test_colour_rule_mirrored_for_prevalence(value: float, expected: str) -> None:
    # lower is better: yellow while the target is at least 80 % of the value (<= 14 / 0.8 = 17.5)
    assert arithmetic.colour(value, 14, "down") == expected


def test_no_target_no_colour() -> None:
    assert arithmetic.colour(50, None) is None


def test_prorata_targets_accrue_over_the_year_flat_ones_do_not() -> None:
    served = IND["anc_k1"]  # annual coverage target 100 %, the PWS-KIA way
    assert arithmetic.target_for(served, "2026-03", cumulative=False) == 8.3
    assert arithmetic.target_for(served, "2026-03", cumulative=True) == 25.0
    assert arithmetic.target_for(served, "2026-12", cumulative=True) == 100.0
    weighed = IND["children_weighed"]
    assert arithmetic.target_for(weighed, "2026-03", cumulative=False) == 80
    assert arithmetic.target_for(weighed, "2026-03", cumulative=True) == 80
    # year to date at month 6: 40 of 100 served is 40 % against 50 % -> yellow
    cell = arithmetic.cell(served, 40, 40, 100, period="2026-06", cumulative=True)
    assert (cell["value"], cell["target"], cell["colour"]) == (40.0, 50.0, "yellow")


def test_area_cells_sum_target_groups_and_split_month_and_ytd() -> None:
    tallies = {"bp_screened": [10, 10, 30, 30], "visits": [12, 0, 40, 0]}
    monthly, ytd = arithmetic.area_cells(registry.REGISTRY, tallies, {"adult_15_59": 150, "elderly": 50}, "2026-03")
    assert monthly["bp_screened"]["denominator"] == 200 and monthly["bp_screened"]["value"] == 5.0
    assert ytd["bp_screened"]["value"] == 15.0 and ytd["bp_screened"]["target"] == 25.0
    assert monthly["visits"]["value"] == 12 and ytd["visits"]["value"] == 40
    assert monthly["stunting"] == {"numerator": 0, "denominator": 0, "value": None, "target": 14, "colour": None}
    _monthly, no_targets = arithmetic.area_cells(registry.REGISTRY, tallies, {}, "2026-03")
    assert no_targets["bp_screened"]["denominator"] is None


def test_contributions_of_one_person_over_a_year() -> None:
    rows = {"2026-01": ("A", True), "2026-03": ("B", False)}
    got = arithmetic.contributions(rows)
    assert got[("A", "2026-01")] == [1, 1, 1, 1]
    # March: measured in B (negative), and the January state leaves the year-to-date of A
    assert got[("B", "2026-03")] == [0, 1, 0, 1]
    assert got[("A", "2026-03")] == [0, 0, -1, -1]


def brute_force(states: dict[str, dict[str, tuple[str, bool]]], period: str) -> tuple[dict, dict]:
    """Monthly and year-to-date (village -> [numerator, measured]) computed from scratch."""
    monthly: dict = defaultdict(lambda: [0, 0])
    ytd: dict = defaultdict(lambda: [0, 0])
    for rows in states.values():
        if period in rows:
            village, positive = rows[period]
            monthly[village][0] += positive
            monthly[village][1] += 1
        upto = [p for p in rows if p[:4] == period[:4] and p <= period]
        if upto:
            village, positive = rows[max(upto)]
            ytd[village][0] += positive
            ytd[village][1] += 1
    return ({k: v for k, v in monthly.items() if any(v)}, {k: v for k, v in ytd.items() if any(v)})


observation = st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from(["2026-01", "2026-02", "2026-04", "2026-07"]),
                        st.sampled_from(["V1", "V2"]), st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(observation, max_size=25))
def test_incremental_deltas_equal_recomputation(observations: list) -> None:
    """Apply observations one by one as the consumer does; the summed deltas give, for every
    month, exactly the monthly and year-to-date numbers computed from the final states."""
    states: dict[str, dict[str, tuple[str, bool]]] = defaultdict(dict)
    cells: dict = defaultdict(lambda: [0, 0, 0, 0])
    for person, period, village, positive in observations:
        old = dict(states[person])
        states[person][period] = (village, positive)  # the later measurement wins
        for key, d in arithmetic.delta(old, states[person]).items():
            for i in range(4):
                cells[key][i] += d[i]
    for period in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-07", "2026-12"):
        monthly_expected, ytd_expected = brute_force(states, period)
        monthly = {v: c[:2] for (v, p), c in cells.items() if p == period and any(c[:2])}
        ytd: dict = defaultdict(lambda: [0, 0])
        for (v, p), c in cells.items():
            if p <= period:
                ytd[v][0] += c[2]
                ytd[v][1] += c[3]
        assert monthly == monthly_expected
        assert {k: v for k, v in ytd.items() if any(v)} == ytd_expected


def test_delta_is_empty_when_nothing_changed() -> None:
    rows = {"2026-02": ("V1", True)}
    assert arithmetic.delta(rows, dict(rows)) == {}


def test_rollup_sums_villages_into_areas_and_allows_overlap() -> None:
    values = {"18.01.06.2001": {"visits": [3, 0, 5, 0]}, "18.01.06.2002": {"visits": [2, 0, 2, 0]},
              "18.01.04.2001": {"visits": [7, 0, 7, 0], "stunting": [1, 4, 1, 4]}}
    areas = {"18.01.06": ["18.01.06.2001", "18.01.06.2002"], "18.01.04": ["18.01.04.2001"],
             "PKM": ["18.01.06.2002", "18.01.04.2001"], "empty": []}
    got = arithmetic.rollup(values, areas)
    assert got["18.01.06"] == {"visits": [5, 0, 7, 0]}
    assert got["PKM"] == {"visits": [9, 0, 9, 0], "stunting": [1, 4, 1, 4]}
    assert got["empty"] == {}
    kabupaten = arithmetic.rollup(got, {"18.01": ["18.01.06", "18.01.04"]})["18.01"]
    assert kabupaten["visits"] == [12, 0, 14, 0]


def test_periods_and_levels() -> None:
    from datetime import datetime, timedelta, timezone

    # 23:30 WIT on 31 Oct is 14:30 UTC: the month is October in the event's own offset
    moment = datetime(2026, 10, 31, 23, 30, tzinfo=timezone(timedelta(hours=9)))
    assert period_of(moment) == "2026-10"
    assert arithmetic.year_start("2026-11") == "2026-01" and arithmetic.month_number("2026-11") == 11
    assert [access_domain.level_of(c) for c in ("18", "18.01", "18.01.06", "18.01.06.2001", "PKM1")] == [
        "province", "kabupaten", "kecamatan", "desa", "puskesmas"]
