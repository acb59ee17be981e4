"""Under-five rules: PMK 2/2020 bands at their boundaries, MUAC, oedema, anaemia, T/2T."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.screening.domain import History, evaluate
from services.screening.domain.tables import KBM_G

AGE = 400  # days; lying length expected


def _z_visit(h, indicator: str, z: float, sex: str = "M", age: int = AGE):
    """A visit whose (rounded) z-score for ``indicator`` is exactly ``z``."""
    if indicator == "wfa":
        return h.make_visit("under_five", age, sex, weight_kg=h.measure_for_z("wfa", sex, age, z))
    if indicator == "lhfa":
        return h.make_visit("under_five", age, sex, height_cm=h.measure_for_z("lhfa", sex, age, z), measured_lying=True)
    length = 75.0
    return h.make_visit(
        "under_five", age, sex, weight_kg=h.measure_for_z("wfl", sex, length, z), height_cm=length, measured_lying=True
    )


BANDS = [
    # indicator, code, z values that fire, z values that do not
    ("wfa", "SEVERELY_UNDERWEIGHT", [-3.01, -4.5], [-3.0, -2.99]),
    ("wfa", "UNDERWEIGHT", [-3.0, -2.01], [-3.01, -2.0, -1.99]),
    ("lhfa", "SEVERELY_STUNTED", [-3.01, -5.9], [-3.0, -2.99]),
    ("lhfa", "STUNTED", [-3.0, -2.99, -2.01], [-3.01, -2.0, -1.99]),
    ("wflh", "SEVERELY_WASTED", [-3.01, -4.9], [-3.0, -2.99]),
    ("wflh", "WASTED", [-3.0, -2.01], [-3.01, -2.0, -1.99]),
    ("wflh", "RISK_OF_OVERWEIGHT", [1.01, 2.0], [0.99, 1.0, 2.01]),
    ("wflh", "OVERWEIGHT", [2.01, 3.0], [2.0, 3.01]),
    ("wflh", "OBESE", [3.01, 4.9], [2.99, 3.0]),
]


@pytest.mark.parametrize("indicator,code,fire,quiet", BANDS, ids=[b[1] for b in BANDS])
def test_pmk2_band_boundaries(h, indicator, code, fire, quiet):
    for z in fire:
        result = evaluate(_z_visit(h, indicator, z))
        assert getattr(result.zscores, indicator) == pytest.approx(z, abs=1e-9)
        assert code in h.codes(result), (z, result)
        r = h.risk(result, code)
        assert r.cluster == 2 and r.evidence["z"] == pytest.approx(z) and r.evidence["indicator"] == indicator
    for z in quiet:
        assert code not in h.codes(evaluate(_z_visit(h, indicator, z))), z


def test_band_evidence_carries_measurements(h):
    visit = h.make_visit("under_five", 800, "F", weight_kg=8.0, height_cm=82.0, measured_lying=True)
    r = h.risk(evaluate(visit), "SEVERELY_UNDERWEIGHT")
    assert r.evidence["weight_kg"] == 8.0 and r.evidence["height_cm"] == 82.0
    assert r.evidence["lenhei_cm"] == pytest.approx(81.3)  # lying at 26 months: 0.7 cm subtracted
    assert r.severity == "high" and r.recommended_level == "puskesmas"


def test_severely_wasted_refers_to_rs_under_6_months_or_under_4_kg(h):
    def wasted(months: int, length: float):
        weight = h.measure_for_z("wfl", "M", length, -3.5)
        visit = h.make_visit("under_five", h.age_days(months=months, days=20), "M", weight_kg=weight,
                             height_cm=length, measured_lying=True)
        return weight, h.risk(evaluate(visit), "SEVERELY_WASTED")

    weight, young = wasted(5, 62.0)
    assert weight >= 4 and young.recommended_level == "rs" and young.evidence["refer_rs"] == "age < 6 months"
    weight, light = wasted(8, 56.0)
    assert weight < 4 and light.recommended_level == "rs" and light.evidence["refer_rs"] == "weight < 4 kg"
    weight, older = wasted(8, 65.0)
    assert weight >= 4 and older.recommended_level == "puskesmas" and "refer_rs" not in older.evidence
    assert older.severity == "high"


def test_implausible_zscore_gives_a_flag_not_a_risk(h):
    visit = _z_visit(h, "lhfa", -6.01)
    result = evaluate(visit)
    assert "BIV_LHFA" in result.flags
    assert not {"SEVERELY_STUNTED", "STUNTED"} & h.codes(result)
    assert "SEVERELY_STUNTED" in h.codes(evaluate(_z_visit(h, "lhfa", -6.0)))


@pytest.mark.parametrize("muac,months,fires", [
    (11.4, 12, True), (11.5, 12, False), (11.6, 12, False),
    (11.0, 6, True), (11.0, 5, False), (11.0, 59, True),
])
def test_sam_by_muac(h, muac, months, fires):
    visit = h.make_visit("under_five", h.age_days(months=months, days=3), "F", muac_cm=muac)
    assert ("SAM_MUAC" in h.codes(evaluate(visit))) == fires


def test_oedema_is_sam_and_blocks_weight_zscores(h):
    visit = h.make_visit("under_five", 500, "M", weight_kg=9.0, height_cm=76.0, measured_lying=True, oedema=True)
    result = evaluate(visit)
    assert "SAM_OEDEMA" in h.codes(result)
    assert result.zscores.wfa is None and result.zscores.wflh is None and result.zscores.bmifa is None
    assert result.zscores.lhfa is not None
    assert "OEDEMA_WEIGHT_Z_NOT_COMPUTED" in result.flags


@pytest.mark.parametrize("hb,grade,severity,level", [
    (11.1, None, None, None), (11.0, None, None, None), (10.9, "mild", "low", "pustu"),
    (10.0, "mild", "low", "pustu"), (9.9, "moderate", "moderate", "puskesmas"),
    (7.0, "moderate", "moderate", "puskesmas"), (6.9, "severe", "high", "rs"),
])
def test_child_anaemia(h, hb, grade, severity, level):
    result = evaluate(h.make_visit("under_five", h.age_days(months=18), "F", hb_g_dl=hb))
    if grade is None:
        assert "ANEMIA_CHILD" not in h.codes(result)
    else:
        r = h.risk(result, "ANEMIA_CHILD")
        assert (r.evidence["grade"], r.severity, r.recommended_level) == (grade, severity, level)


def test_child_anaemia_only_from_6_months(h):
    assert "ANEMIA_CHILD" not in h.codes(evaluate(h.make_visit("under_five", h.age_days(months=5), "F", hb_g_dl=9.0)))
    assert "ANEMIA_CHILD" in h.codes(evaluate(h.make_visit("under_five", h.age_days(months=6), "F", hb_g_dl=9.0)))


# Growth monitoring (T / 2T): visit on 2026-11-20; the child is `months` old then.
def _weighing_visit(h, months: int, weight: float, history: list[tuple[date, float]]):
    visit = h.make_visit("under_five", h.age_days(months=months, days=5), "M", weight_kg=weight)
    return evaluate(visit, History(weighings=tuple(history)))


@pytest.mark.parametrize("months", sorted(KBM_G) + [24, 59])
def test_kbm_boundary(h, months):
    kbm = KBM_G[min(months, 11)]
    last = [(date(2026, 10, 18), 8.0)]
    below = _weighing_visit(h, months, 8.0 + (kbm - 1) / 1000, last)
    at = _weighing_visit(h, months, 8.0 + kbm / 1000, last)
    above = _weighing_visit(h, months, 8.0 + (kbm + 1) / 1000, last)
    assert "WEIGHT_NOT_GAINED" in h.codes(below)
    r = h.risk(below, "WEIGHT_NOT_GAINED")
    assert r.evidence["gains_g"] == [kbm - 1] and r.evidence["kbm_g"] == [kbm]
    assert "WEIGHT_NOT_GAINED" not in h.codes(at)
    assert "WEIGHT_NOT_GAINED" not in h.codes(above)


def test_flat_or_falling_weight_is_t(h):
    assert "WEIGHT_NOT_GAINED" in h.codes(_weighing_visit(h, 20, 10.0, [(date(2026, 10, 20), 10.0)]))
    assert "WEIGHT_NOT_GAINED" in h.codes(_weighing_visit(h, 20, 9.8, [(date(2026, 10, 20), 10.0)]))


def test_two_consecutive_t_is_2t(h):
    history = [(date(2026, 9, 15), 10.0), (date(2026, 10, 16), 10.1)]  # +100 g: T (KBM 200)
    result = _weighing_visit(h, 20, 10.15, list(reversed(history)))  # any order
    assert "GROWTH_FALTERING_2T" in h.codes(result)
    assert "WEIGHT_NOT_GAINED" not in h.codes(result)
    r = h.risk(result, "GROWTH_FALTERING_2T")
    assert r.severity == "moderate" and r.recommended_level == "puskesmas"
    assert r.evidence["weighings"] == [["2026-09-15", 10.0], ["2026-10-16", 10.1], ["2026-11-20", 10.15]]
    assert r.evidence["gains_g"] == [100, 50]


def test_t_after_n_is_single_t(h):
    history = [(date(2026, 9, 15), 9.5), (date(2026, 10, 16), 10.0)]  # +500 g: N
    result = _weighing_visit(h, 20, 10.1, history)
    assert "WEIGHT_NOT_GAINED" in h.codes(result) and "GROWTH_FALTERING_2T" not in h.codes(result)


def test_no_weighing_last_month_means_no_trend(h):
    history = [(date(2026, 9, 15), 10.0)]  # skipped October: "O"
    assert not {"WEIGHT_NOT_GAINED", "GROWTH_FALTERING_2T"} & h.codes(_weighing_visit(h, 20, 9.0, history))
    assert not {"WEIGHT_NOT_GAINED"} & h.codes(_weighing_visit(h, 20, 9.0, []))


def test_gap_month_breaks_2t(h):
    history = [(date(2026, 8, 15), 10.0), (date(2026, 10, 16), 10.0)]  # nothing in September
    result = _weighing_visit(h, 20, 10.0, history)
    assert "WEIGHT_NOT_GAINED" in h.codes(result) and "GROWTH_FALTERING_2T" not in h.codes(result)


def test_last_weighing_of_the_month_counts_and_later_ones_are_ignored(h):
    history = [(date(2026, 10, 2), 9.0), (date(2026, 10, 28), 10.0), (date(2026, 11, 25), 12.0)]
    result = _weighing_visit(h, 20, 10.1, history)  # vs 28 Oct: +100 g < 200 g; 25 Nov is after this visit
    assert h.risk(result, "WEIGHT_NOT_GAINED").evidence["weighings"][0] == ["2026-10-28", 10.0]


def test_no_trend_under_one_month(h):
    visit = h.make_visit("under_five", 25, "M", weight_kg=3.3)
    result = evaluate(visit, History(weighings=((h.ON - timedelta(days=24), 3.3),)))
    assert "WEIGHT_NOT_GAINED" not in h.codes(result)


def test_band_classifiers_agree_with_the_band_table():
    """z_bands classifies by direct comparison; Z_BANDS (documented) must say the same at every cut-off."""
    from services.screening.domain.rules_child import _CLASSIFY, Z_BANDS

    points = sorted({x / 100 for x in range(-700, 701)} | {-3.0, -2.0, 1.0, 2.0, 3.0})
    for indicator, classify in _CLASSIFY.items():
        for z in points:
            table = [code for code, ind, test, *_ in Z_BANDS if ind == indicator and test(z)]
            assert table == ([classify(z)] if classify(z) else []), (indicator, z)


def test_band_family_quick_reject_loses_no_band(h):
    """z_bands skips z-scores inside the normal range before classifying: it must find every band the table has."""
    from services.screening.domain.config import DEFAULT
    from services.screening.domain.registry import Ctx
    from services.screening.domain.rules_child import Z_BANDS, z_bands

    visit = h.make_visit("under_five", 400, "F", weight_kg=9.0, height_cm=75.0, head_circumference_cm=45.0)
    points = sorted({x / 100 for x in range(-700, 701)} | {-3.0, -2.0, 1.0, 2.0, 3.0})
    for slot, indicator in enumerate(("wfa", "lhfa", "wflh", "hcfa")):
        for z in points:
            zs = [None] * 6
            zs[(0, 1, 2, 5)[slot]] = z
            ctx = Ctx(visit, History(), DEFAULT, visit.occurred_on - timedelta(days=400), 13, 1, tuple(zs), 75.0, ())
            found = [code for code, _ in z_bands(ctx)]
            table = [code for code, ind, test, *_ in Z_BANDS if ind == indicator and test(z)]
            assert found == table, (indicator, z)
