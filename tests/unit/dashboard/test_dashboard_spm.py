"""The SPM and ILP coverage indicators end to end (recorded visit -> screening's facts -> read model), each on a
scenario whose numbers are worked by hand in the test."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from services.dashboard.domain import registry
from shared.contracts.events import VisitRecorded
from tests.unit.dashboard.conftest import MAJA, TENGKUJUH, Dash, at, target

YEAR = 365.25
FULL_PRODUCTIVE = {"systolic_mmhg": 120, "diastolic_mmhg": 80, "glucose_mg_dl": 110.0, "weight_kg": 60.0,
                   "height_cm": 160.0, "waist_cm": 80.0}
FULL_ELDERLY = {**FULL_PRODUCTIVE, "cholesterol_total_mg_dl": 190.0, "adl_barthel": 20, "skilas_positive_domains": []}
NEW = ("ttd_adolescent_girls", "spm_productive_screened", "spm_elderly_screened", "spm_hypertension_care",
       "spm_diabetes_care", "tb_examined", "delivery_facility")


def visit(person: str, when: datetime, *, years: float = 40, sex: str = "F", point: str = "posyandu",
          village: str = TENGKUJUH, diagnoses: list[str] | None = None, **m) -> VisitRecorded:
    age = int(years * YEAR) + 1
    stage = "school_age" if years < 18 else "adult" if years < 60 else "elderly"
    return VisitRecorded(visit_id=uuid.uuid4(), person_id=person, facility_id="PSY1", facility_type="posyandu",
                         service_point=point, village_code=village, occurred_at=when,
                         recorded_at=datetime.now(timezone.utc), sex=sex, age_days=age, stage=stage,
                         measurements=m, diagnoses=diagnoses)


def cell(c: dict) -> tuple:
    return c["numerator"], c["denominator"], c["value"]


def test_the_new_entries_sit_after_bp_screened_with_their_targets() -> None:
    ids = [i.id for i in registry.REGISTRY]
    start = ids.index("bp_screened") + 1
    assert tuple(ids[start:start + len(NEW)]) == NEW
    by = registry.BY_ID
    assert by["spm_productive_screened"].target_groups == ("adult_15_59",)
    assert by["spm_elderly_screened"].target_groups == ("elderly",)
    assert by["spm_hypertension_care"].target_groups == ("hypertension_estimated",)
    assert by["spm_diabetes_care"].target_groups == ("diabetes_estimated",)
    assert by["ttd_adolescent_girls"].target_groups == ("adolescent_girl",)
    assert by["tb_examined"].base == "measured"
    assert by["delivery_facility"].target_groups == ("maternal",)
    for name in NEW[1:]:
        assert by[name].target == 100 and "Permenkes 4/2019" in by[name].source
    for name in ("hypertension", "diabetes"):  # v1 ids unchanged
        assert by[name].base == "measured" and by[name].direction == "down"


async def test_spm_productive_screened_counts_each_person_once_in_the_month_of_the_screening(dash: Dash) -> None:
    await dash.apply(target(TENGKUJUH, "adult_15_59", 120))
    await dash.apply(
        visit("p4", at(10, 5), **FULL_PRODUCTIVE),  # October
        visit("p1", at(11, 3), **FULL_PRODUCTIVE),
        visit("p1", at(11, 20), systolic_mmhg=118, diastolic_mmhg=76),  # later, BP only: p1 still counts
        visit("p2", at(11, 4), systolic_mmhg=118, diastolic_mmhg=76),  # BP only: not the SPM screening
        visit("p5", at(11, 10), **FULL_PRODUCTIVE),
        visit("p3", at(11, 11), years=14.9, **FULL_PRODUCTIVE),  # under 15
        visit("p6", at(11, 12), years=60.1, **FULL_PRODUCTIVE),  # 60 and over: lansia, not usia produktif
    )
    nov = await dash.total("spm_productive_screened", "2026-11")
    assert cell(nov) == (2, 120, 1.7)  # p1, p5: 2 / 120 = 1.67 %
    assert nov["target"] == 8.3  # 100 / 12
    ytd = await dash.total("spm_productive_screened", "2026-11", ytd=True)
    assert cell(ytd) == (3, 120, 2.5)  # p4 (Oct), p1, p5: 3 / 120
    assert ytd["target"] == 91.7  # 100 x 11 / 12
    assert cell(await dash.total("spm_productive_screened", "2026-10")) == (1, 120, 0.8)  # p4: 1 / 120


async def test_spm_elderly_screened_needs_the_whole_lansia_screening(dash: Dash) -> None:
    await dash.apply(target(TENGKUJUH, "elderly", 40))
    no_cholesterol = {k: v for k, v in FULL_ELDERLY.items() if k != "cholesterol_total_mg_dl"}
    await dash.apply(visit("e1", at(11, 2), years=65, **FULL_ELDERLY),
                     visit("e2", at(11, 2), years=70, **no_cholesterol),
                     visit("e3", at(11, 2), years=59.5, **FULL_ELDERLY))  # under 60
    assert cell(await dash.total("spm_elderly_screened", "2026-11")) == (1, 40, 2.5)  # e1: 1 / 40


async def test_spm_hypertension_care_against_the_estimated_sufferers(dash: Dash) -> None:
    await dash.apply(target(TENGKUJUH, "hypertension_estimated", 25))
    await dash.apply(
        visit("h1", at(11), point="puskesmas", systolic_mmhg=150, diastolic_mmhg=95),  # yes
        visit("h2", at(11), point="posyandu", systolic_mmhg=150, diastolic_mmhg=95),  # not at a facility
        visit("h3", at(11), point="pustu", systolic_mmhg=120, diastolic_mmhg=80, diagnoses=["I10"]),  # known: yes
        visit("h4", at(11), point="puskesmas", systolic_mmhg=120, diastolic_mmhg=80),  # not a sufferer
    )
    assert cell(await dash.total("spm_hypertension_care", "2026-11")) == (2, 25, 8.0)  # h1, h3: 2 / 25
    # the v1 indicator keeps its definition: hypertensive among those measured, anywhere (h1, h2 of four)
    assert cell(await dash.total("hypertension", "2026-11")) == (2, 4, 50.0)


async def test_spm_diabetes_care_against_the_estimated_sufferers(dash: Dash) -> None:
    await dash.apply(target(TENGKUJUH, "diabetes_estimated", 8))
    await dash.apply(
        visit("d1", at(11), point="puskesmas", glucose_mg_dl=250.0),  # yes
        visit("d2", at(11), point="posyandu", glucose_mg_dl=250.0),  # not at a facility
        visit("d3", at(11), point="rs", glucose_mg_dl=130.0, glucose_fasting=True),  # fasting >= 126: yes
        visit("d4", at(11), point="puskesmas", glucose_mg_dl=150.0),  # random < 200: no
    )
    assert cell(await dash.total("spm_diabetes_care", "2026-11")) == (2, 8, 25.0)  # d1, d3: 2 / 8
    assert cell(await dash.total("diabetes", "2026-11")) == (3, 4, 75.0)  # v1: d1, d2, d3 of four


async def test_tb_examined_is_the_share_of_presumptive_people_examined(dash: Dash) -> None:
    await dash.apply(
        visit("t1", at(11, 3), cough_weeks=3),  # presumptive ...
        visit("t1", at(11, 10), point="puskesmas", tb_test={"method": "tcm", "result": "negative"}),  # ... examined
        visit("t2", at(11, 4), cough_weeks=4),  # presumptive, not examined
        visit("t4", at(11, 5), cough_weeks=1),  # screened, not presumptive: in neither
    )
    assert cell(await dash.total("tb_examined", "2026-11")) == (1, 2, 50.0)  # t1 of t1, t2
    assert (await dash.total("tb_presumptive", "2026-11"))["value"] == 2  # the presumptive count beside it


async def test_ttd_adolescent_girls_counts_girls_given_tablets_once(dash: Dash) -> None:
    await dash.apply(target(TENGKUJUH, "adolescent_girl", 50), target(MAJA, "adolescent", 80))
    await dash.apply(
        visit("g4", at(10, 6), years=12, ttd_tablets=4),
        visit("g1", at(11, 6), years=13, ttd_tablets=4),
        visit("g2", at(11, 6), years=13, ttd_tablets=0),  # none given
        visit("b1", at(11, 6), years=13, sex="M", ttd_tablets=4),  # a boy
        visit("g3", at(11, 6), years=19, ttd_tablets=4),  # not an adolescent
        visit("g4", at(11, 7), years=12, ttd_tablets=4),
        visit("g4", at(11, 21), years=12, ttd_tablets=4),  # twice in November: once
    )
    nov = await dash.total("ttd_adolescent_girls", "2026-11")
    assert cell(nov) == (2, 50, 4.0) and nov["target"] is None  # g1, g4: 2 / 50; the adolescent target is not used
    assert cell(await dash.total("ttd_adolescent_girls", "2026-11", ytd=True)) == (2, 50, 4.0)  # g4 once in the year
    assert cell(await dash.total("ttd_adolescent_girls", "2026-10")) == (1, 50, 2.0)


async def test_delivery_facility_counts_each_delivery_once_against_the_maternal_target(dash: Dash) -> None:
    await dash.apply(target(TENGKUJUH, "maternal", 20))
    await dash.apply(
        visit("m1", at(11, 2), years=25, postpartum_days=1, delivery={"place": "puskesmas", "attendant": "midwife"}),
        visit("m1", at(11, 5), years=25, postpartum_days=4),  # KF2 without the delivery block: still counted
        visit("m2", at(11, 3), years=30, postpartum_days=1, delivery={"place": "home", "attendant": "traditional"}),
        visit("m3", at(11, 9), years=22, postpartum_days=2, delivery={"place": "midwife_practice"}),
        visit("m4", at(10, 28), years=28, postpartum_days=1, delivery={"place": "hospital", "attendant": "doctor"}),
    )
    nov = await dash.total("delivery_facility", "2026-11")
    assert cell(nov) == (2, 20, 10.0) and nov["target"] == 8.3  # m1, m3: 2 / 20; m2 at home
    assert cell(await dash.total("delivery_facility", "2026-11", ytd=True)) == (3, 20, 15.0)  # + m4 (October)
