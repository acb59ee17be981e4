"""The indicator registry: the contract's minimum set, the judges' thresholds, extension."""

from __future__ import annotations

import pytest

from services.dashboard.domain import registry as indicators
from shared.contracts.events import ReferralUpdated, VisitRecorded, VisitScreened
from tests.unit.dashboard.conftest import (
    adult,
    at,
    child,
    made,
    pregnant,
    risk,
    screened,
    updated,
)

CONTRACT_MINIMUM = {
    "visits", "children_weighed", "underweight", "stunting", "wasting", "anemia_pregnancy", "kek_pregnancy",
    "hypertension", "diabetes", "tb_presumptive", "referrals_made", "referrals_completed", "referrals_overdue",
}


def verdict(indicator: str, event) -> bool | None:  # noqa: ANN001
    return {i.id: v for i, v in indicators.verdicts(indicators.REGISTRY, event)}.get(indicator)


def test_registry_holds_the_contract_minimum_with_unique_ids_and_indonesian_labels() -> None:
    ids = [i.id for i in indicators.REGISTRY]
    assert CONTRACT_MINIMUM <= set(ids)
    assert len(ids) == len(set(ids))
    indicators.validate_registry(indicators.REGISTRY)
    for indicator in indicators.REGISTRY:
        assert indicator.label and indicator.short and indicator.source and indicator.numerator
        assert (indicator.base is None) == (indicator.denominator is None)


def test_contract_count_and_person_kinds() -> None:
    kinds = {i.id: i.kind for i in indicators.REGISTRY}
    assert {k for k, v in kinds.items() if v == "count"} >= {"visits", "referrals_made", "referrals_completed",
                                                               "referrals_overdue"}
    assert kinds["stunting"] == kinds["hypertension"] == "person"
    # no denominator in the contract -> value is the count
    assert indicators.BY_ID["tb_presumptive"].base is None and indicators.BY_ID["visits"].base is None
    assert indicators.BY_ID["children_weighed"].target_groups == ("under_five",)


@pytest.mark.parametrize(("sbp", "dbp", "expected"), [(139, 89, False), (140, 80, True), (120, 90, True), (139, 90, True)])
def test_hypertension_threshold_is_140_or_90(sbp: int, dbp: int, expected: bool) -> None:
    assert verdict("hypertension", adult("p", at(11), sbp=sbp, dbp=dbp)) is expected


def test_hypertension_needs_age_15_and_both_pressures() -> None:
    teen = adult("p", at(11)).model_copy(update={"age_days": 14 * 365})
    assert verdict("hypertension", teen) is None
    assert verdict("hypertension", adult("p", at(11), sbp=None, dbp=None)) is None


@pytest.mark.parametrize(("glucose", "fasting", "expected"), [(199, False, False), (200, False, True),
                                                               (125, True, False), (126, True, True)])
def test_diabetes_random_200_fasting_126(glucose: int, fasting: bool, expected: bool) -> None:
    event = adult("p", at(11), sbp=None, glucose_mg_dl=glucose, glucose_fasting=fasting)
    assert verdict("diabetes", event) is expected


def test_pregnancy_indicators() -> None:
    assert verdict("anemia_pregnancy", pregnant("m", at(11), hb_g_dl=10.9)) is True
    assert verdict("anemia_pregnancy", pregnant("m", at(11), hb_g_dl=11.0)) is False
    assert verdict("kek_pregnancy", pregnant("m", at(11), muac_cm=23.4)) is True
    assert verdict("kek_pregnancy", pregnant("m", at(11), muac_cm=23.5)) is False
    assert verdict("pregnant_served", pregnant("m", at(11))) is True
    # not pregnant: says nothing about pregnancy indicators
    assert verdict("anemia_pregnancy", adult("p", at(11), hb_g_dl=9.0)) is None


def test_child_indicators_from_weighing_and_zscores() -> None:
    assert verdict("children_weighed", child("c", at(11), weight_kg=10.5)) is True
    assert verdict("children_weighed", child("c", at(11))) is None
    assert verdict("stunting", screened("c", at(11), lhfa=-2.01)) is True
    assert verdict("stunting", screened("c", at(11), lhfa=-2.0)) is False
    assert verdict("stunting", screened("c", at(11), wfa=-3)) is None  # not measured for length/height
    assert verdict("underweight", screened("c", at(11), wfa=-2.5)) is True
    assert verdict("wasting", screened("c", at(11), wflh=-1)) is False


def test_tb_presumptive_counts_the_latest_answer() -> None:
    assert verdict("tb_presumptive", adult("p", at(11), sbp=None, cough_weeks=2)) is True
    assert verdict("tb_presumptive", adult("p", at(11), sbp=None, cough_weeks=1)) is False
    assert verdict("tb_presumptive", adult("p", at(11), sbp=None)) is None


def test_count_indicators() -> None:
    import uuid

    rid = uuid.uuid4()
    assert verdict("visits", adult("p", at(11))) is True
    # risks are counted from the screened visit, one per listed risk; the risk events are not read
    assert verdict("risks_detected", screened("c", at(11), risks=("stunting", "underweight"))) == 2
    assert verdict("risks_detected", screened("c", at(11))) is None
    assert verdict("risks_detected", risk(at(11))) is None
    assert verdict("referrals_made", made(rid, at(11))) is True
    assert verdict("referrals_completed", updated(rid, at(11), "completed", at(11, 16))) is True
    assert verdict("referrals_completed", updated(rid, at(11), "received", at(11, 16))) is None
    assert verdict("referrals_overdue", updated(rid, at(11), "overdue", at(11, 16))) is True


def test_adding_an_indicator_is_one_entry() -> None:
    obesity = indicators.Indicator(
        "central_obesity", "Obesitas sentral", "Obesitas sentral", "person", VisitRecorded,
        lambda e: None if e.measurements.waist_cm is None else e.measurements.waist_cm > (80 if e.sex == "F" else 90),
        numerator="lingkar perut > 80/90 cm", denominator="diukur lingkar perut", base="measured",
        direction="down", source="[ILP-T 01-skrining-obesitas]")
    registry = (*indicators.REGISTRY, obesity)
    indicators.validate_registry(registry)
    got = {i.id: v for i, v in indicators.verdicts(registry, adult("p", at(11), waist_cm=92))}
    assert got["central_obesity"] is True and got["hypertension"] is True


def test_registry_rejects_inconsistent_entries() -> None:
    with pytest.raises(ValueError, match="unknown target group"):
        indicators.Indicator("x", "X", "X", "person", VisitRecorded, lambda e: True, numerator="n", denominator="d",
                         base="target:toddlers")
    with pytest.raises(ValueError, match="no denominator"):
        indicators.Indicator("x", "X", "X", "count", ReferralUpdated, lambda e: True, numerator="n", denominator="d",
                         base="measured")
    with pytest.raises(ValueError, match="target needs"):
        indicators.Indicator("x", "X", "X", "person", VisitScreened, lambda e: True, numerator="n", target=10)
    with pytest.raises(ValueError, match="duplicate"):
        indicators.validate_registry((*indicators.REGISTRY, indicators.REGISTRY[0]))


def test_targets_are_configurable() -> None:
    registry = indicators.with_targets(indicators.REGISTRY, {"stunting": 20, "children_weighed": None})
    by_id = {i.id: i for i in registry}
    assert by_id["stunting"].target == 20 and by_id["children_weighed"].target is None
    assert indicators.BY_ID["stunting"].target == 14  # the registry itself is untouched
    with pytest.raises(ValueError, match="unknown indicator"):
        indicators.with_targets(indicators.REGISTRY, {"nope": 1})


def test_docs_list_every_indicator_with_its_target() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "dashboard.md").read_text(encoding="utf-8")
    for indicator in indicators.REGISTRY:
        line = next((row for row in doc.splitlines() if row.startswith(f"| `{indicator.id}` |")), None)
        assert line is not None, f"{indicator.id} missing from docs/dashboard.md"
        target = "—" if indicator.target is None else f"{indicator.target:g} %"
        assert f"| {target} |" in line, f"{indicator.id}: target in docs differs from the registry"


def test_data_quality_warnings_count_visits_with_nik_disagreements() -> None:
    from tests.unit.dashboard.conftest import adult, at

    indicator = indicators.BY_ID["data_quality_warnings"]
    clean = adult("p1", at(11))
    flagged = clean.model_copy(update={"data_quality": ["nik_birth_date_mismatch"]})
    assert indicator.kind == "count"
    assert indicator.judge(flagged) is True
    assert indicator.judge(clean) is False
