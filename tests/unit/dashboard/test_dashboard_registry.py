"""The indicator registry: the contract's minimum set, the definitions (judged by screening's facts on the
screened visit, from the recorded visit's measurements), extension."""

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
    screen,
    screened,
    updated,
    with_screening,
)

CONTRACT_MINIMUM = {
    "visits", "children_weighed", "underweight", "stunting", "wasting", "anemia_pregnancy", "kek_pregnancy",
    "hypertension", "diabetes", "tb_presumptive", "referrals_made", "referrals_completed", "referrals_overdue",
}


def verdict(indicator: str, event) -> bool | None:  # noqa: ANN001
    """The indicator's verdict on a visit: a recorded visit is judged with its screened visit (as delivered)."""
    found = {}
    for e in with_screening([event]):
        found.update({i.id: v for i, v in indicators.verdicts(indicators.REGISTRY, e)})
    return found.get(indicator)


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
    assert verdict("pregnant_served", pregnant("m", at(11))) is None  # no `anc`: a kader visit, not a contact
    kader = pregnant("m", at(11)).model_dump()
    contact = VisitRecorded.model_validate({**kader, "pregnancy": {**kader["pregnancy"], "anc": {"by": "midwife"}}})
    assert verdict("pregnant_served", contact) is True and verdict("anc_k1", contact) is True  # through screening
    # not pregnant: says nothing about pregnancy indicators
    assert verdict("anemia_pregnancy", adult("p", at(11), hb_g_dl=9.0)) is None


def test_child_indicators_from_weighing_and_screening_facts() -> None:
    assert verdict("children_weighed", child("c", at(11), weight_kg=10.5)) is True
    assert verdict("children_weighed", child("c", at(11))) is None
    # z < -2 at the WHO boundaries is screening's (tests/unit/screening/test_screening_facts.py); the
    # dashboard takes its verdict, whatever the z-scores it carries
    assert verdict("stunting", screened("c", at(11), lhfa=-2.01, stunting=True)) is True
    assert verdict("stunting", screened("c", at(11), lhfa=-2.0, stunting=False)) is False
    assert verdict("stunting", screened("c", at(11), wfa=-3, underweight=True)) is None  # not measured for length
    assert verdict("underweight", screened("c", at(11), wfa=-2.5, underweight=True)) is True
    assert verdict("wasting", screened("c", at(11), wflh=-1, wasting=False)) is False
    assert verdict("wasting", screened("c", at(11), wflh=-6, wasting=None)) is None  # implausible: not counted
    # a real child through screening: a 700-day-old boy of 11 kg and 70 cm lying is stunted, not underweight
    stunted = child("c", at(11), weight_kg=11.0, height_cm=70.0, measured_lying=True)
    assert (verdict("stunting", stunted), verdict("underweight", stunted)) == (True, False)


def test_child_with_oedema_counts_below_minus_3_sd_for_the_weight_based_indicators() -> None:
    """Contract, Corrections to v1: oedema counts < -3 SD in wasting and underweight (WHO prevalence rules)."""
    oedema = child("c", at(11), weight_kg=9.0, height_cm=88.0, measured_lying=True, oedema=True)
    assert (verdict("wasting", oedema), verdict("underweight", oedema)) == (True, True)
    assert verdict("stunting", oedema) is False


def test_a_screened_visit_without_facts_counts_for_no_judged_indicator() -> None:
    """An older screening's visit screened (no ``facts``): its z-scores are not re-judged here."""
    old = screened("c", at(11), lhfa=-3.5, wfa=-3.5, wflh=-3.5, risks=("STUNTED",), facts=False)
    for indicator in ("stunting", "underweight", "wasting", "hypertension", "tb_presumptive", "bp_screened"):
        assert verdict(indicator, old) is None, indicator
    assert verdict("risks_detected", old) == 1  # its risks still count


def test_tb_presumptive_counts_the_latest_answer() -> None:
    assert verdict("tb_presumptive", adult("p", at(11), sbp=None, cough_weeks=2)) is True
    assert verdict("tb_presumptive", adult("p", at(11), sbp=None, cough_weeks=1)) is False
    assert verdict("tb_presumptive", adult("p", at(11), sbp=None)) is None


def test_tb_presumptive_is_screenings_full_criteria() -> None:
    """Contract, Corrections to v1: for children also fever >= 2 weeks (juknis); from 6 years any cough with
    another TB symptom."""
    assert verdict("tb_presumptive", child("c", at(11), fever_weeks=2)) is True
    assert verdict("tb_presumptive", child("c", at(11), cough_weeks=1)) is False
    assert verdict("tb_presumptive", adult("p", at(11), sbp=None, cough_weeks=1, tb_symptoms=["night_sweats"])) is True


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
    contact = indicators.Indicator(  # a verdict screening already emits: no threshold of its own
        "tb_close_contact", "Kontak erat TBC", "Kontak erat", "person", VisitScreened,
        lambda e: None if e.facts is None else e.facts.pws.tb_close_contact,
        numerator="kontak erat TBC tanpa gejala", unit="orang", source="[ILP-T 10-skrining-tb]")
    registry = (*indicators.REGISTRY, contact)
    indicators.validate_registry(registry)
    got = {i.id: v for i, v in indicators.verdicts(registry, screen(adult("p", at(11), tb_contact=True)))}
    assert got["tb_close_contact"] is True and got["hypertension"] is True


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


# --- the compiled judges --------------------------------------------------------------------------

def _random_facts(rng, model):  # noqa: ANN001, ANN202
    """A facts block with every bool field drawn (True, False or None where optional), the rest valid."""
    import typing
    import uuid

    values = {}
    for name, field in model.model_fields.items():
        args = typing.get_args(field.annotation)
        if field.annotation is bool:
            values[name] = rng.random() < 0.5
        elif bool in args:
            values[name] = rng.choice([True, False, None])
        elif name == "pregnancy_id":
            values[name] = uuid.UUID(int=rng.getrandbits(128))
        elif name == "gestational_weeks":
            values[name] = rng.randint(4, 41)
        elif name == "trimester":
            values[name] = rng.randint(1, 3)
        elif name == "trend":
            values[name] = rng.choice(["N", "T", None])
        elif name == "kpsp":
            values[name] = rng.choice(["appropriate", "doubtful", "deviant", None])
    return model(**values)


def generated_events(n: int, seed: int = 7) -> list:
    """Screened visits with screening's facts drawn at random (each block present or not, each verdict
    True, False or None), recorded visits of every stage, referral events of every status."""
    import random
    import uuid

    from shared.contracts.events import (
        AncFacts,
        GrowthMonitoringFacts,
        ImmunizationFacts,
        NewbornFacts,
        PwsFacts,
        ServiceFacts,
        VisitFacts,
    )

    rng = random.Random(seed)
    stages = ["pregnancy", "under_five", "preschool", "school_age", "adult", "elderly"]
    out: list = []
    for i in range(n):
        person, when = f"p{i}", at(rng.randint(1, 12), rng.randint(1, 28))
        facts = None
        if rng.random() < 0.9:
            blocks = {"pws": _random_facts(rng, PwsFacts), "services": _random_facts(rng, ServiceFacts)}
            for name, model in (("growth", GrowthMonitoringFacts), ("anc", AncFacts), ("newborn", NewbornFacts),
                                ("immunization", ImmunizationFacts)):
                if rng.random() < 0.5:
                    blocks[name] = _random_facts(rng, model)
            facts = VisitFacts(**blocks)
        stage = rng.choice(stages)
        out.append(VisitScreened(
            visit_id=uuid.UUID(int=rng.getrandbits(128)), person_id=person, facility_id="PSY1",
            village_code="18.01.06.1001", occurred_at=when, stage=stage, sex=rng.choice(["M", "F"]),
            age_days=rng.randint(0, 30000), risk_codes=rng.sample(["a", "b", "c", "d"], rng.randint(0, 4)),
            ruleset_version="t", facts=facts))
        recorded = adult(person, when, sbp=None, dbp=None) if stage != "under_five" else child(
            person, when, **({"weight_kg": 9.5} if rng.random() < 0.5 else {}))
        if rng.random() < 0.3:
            recorded = recorded.model_copy(update={"data_quality": ["nik_birth_date_mismatch"]})
        out.append(recorded)
        if i % 10 == 0:
            rid = uuid.uuid4()
            out += [made(rid, when), *(updated(rid, when, status, when)
                                       for status in ("received", "attended", "completed", "cancelled", "overdue"))]
    return out


def test_the_compiled_judges_give_what_each_judge_gives() -> None:
    events = generated_events(3000)
    targeted = indicators.with_targets(indicators.REGISTRY, {"hypertension": 12.5})
    for registry in (indicators.REGISTRY, targeted, indicators.REGISTRY[::-1]):
        seen: dict[str, set] = {}
        for event in events:
            compiled = indicators.verdicts(registry, event)
            assert compiled == indicators.judged(registry, event), event
            assert [type(v) for _i, v in compiled] == [type(v) for _i, v in indicators.judged(registry, event)]
            for indicator, v in compiled:
                seen.setdefault(indicator.id, set()).add(v)
        # the events exercise every judge: each indicator gave a verdict, the measured ones both ways
        assert set(seen) == {i.id for i in registry}
        for indicator in registry:
            if indicator.kind == "person" and getattr(indicator.judge, "shape", ("",))[0] == "fact":
                assert seen[indicator.id] == {True, False}, indicator.id


def test_every_facts_judge_of_the_registry_is_compiled_inline() -> None:
    """The screening facts' judges carry the shape the compiler inlines; the others are called as they are."""
    shapes = [getattr(i.judge, "shape", None) for i in indicators.REGISTRY if i.event is VisitScreened]
    assert sum(1 for s in shapes if s) >= 20
    # a judge without a shape (any callable) is called
    odd = indicators.Indicator("odd", "Odd", "Odd", "count", VisitScreened, lambda e: len(e.flags) * 2,
                               numerator="odd", unit="kunjungan")
    event = screened("x", at(3))
    event = event.model_copy(update={"flags": ["f1", "f2"]})
    assert indicators.verdicts((odd,), event) == [(odd, 4)]
    assert indicators.verdicts((odd,), screened("x", at(3))) == []
