"""The PWS KIA and PWS Gizi indicators (pregnancy, newborns, under-fives), each on a scenario worked out by hand.

The dashboard counts screening's verdicts (``VisitScreened.facts``); the scenarios give those verdicts directly
(screening's own computation of them is tested in tests/unit/screening/test_screening_facts.py and
test_screening_anc.py), and the recorded visits where an indicator reads them (D, K).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from datetime import datetime, timezone

import pytest

from services.dashboard import export
from services.dashboard.domain import arithmetic, registry
from shared.contracts.events import (
    AncFacts,
    GrowthMonitoringFacts,
    ImmunizationFacts,
    NewbornFacts,
    PwsFacts,
    ServiceFacts,
    VisitFacts,
    VisitRecorded,
    VisitScreened,
)
from shared.envelope import encode
from tests.unit.dashboard.conftest import JONDONG, Dash, at, target


async def send(dash: Dash, *events) -> None:  # noqa: ANN002
    """Exactly these events (no screened visit added for a recorded one)."""
    await dash.send([encode(e, source="/tests") for e in events])


def seen(person: str, when: datetime, stage: str = "pregnancy", *, age_days: int = 9000, **blocks) -> VisitScreened:
    """A screened visit with screening's verdicts ``blocks`` (VisitFacts fields)."""
    return VisitScreened(visit_id=uuid.uuid4(), person_id=person, facility_id="PSY1", village_code=JONDONG,
                         occurred_at=when, stage=stage, sex="F", age_days=age_days, ruleset_version="t",
                         facts=VisitFacts(**blocks))


def anc(person: str, when: datetime, *, contact: bool = True, trimester: int = 2, **milestones: bool) -> VisitScreened:
    pid = uuid.uuid5(uuid.NAMESPACE_URL, person)
    return seen(person, when, anc=AncFacts(pregnancy_id=pid, gestational_weeks=20, trimester=trimester,
                                           contact=contact, **milestones))


def recorded_child(person: str, when: datetime, weight: float | None) -> VisitRecorded:
    m = {"weight_kg": weight} if weight is not None else {}
    return VisitRecorded(visit_id=uuid.uuid4(), person_id=person, facility_id="PSY1", service_point="posyandu",
                         village_code=JONDONG, occurred_at=when, recorded_at=datetime.now(timezone.utc), sex="M",
                         age_days=700, stage="under_five", measurements=m)


def weighing(person: str, when: datetime, trend: str | None, *, two_t: bool = False, bgm: bool = False,
             first: bool = False) -> list:
    """A child weighed at Posyandu: the recorded visit (D, K) and screening's SKDN verdicts (N/T, 2T, BGM)."""
    growth = GrowthMonitoringFacts(weighed=True, first_weighing=first, trend=trend, two_t=two_t, bgm=bgm)
    return [recorded_child(person, when, 11.0), seen(person, when, "under_five", age_days=700, growth=growth)]


def cell(data: dict, indicator: str, ytd: bool = False) -> tuple:
    c = (data["total"]["ytd"]["indicators"] if ytd else data["total"]["indicators"])[indicator]
    return c["numerator"], c["denominator"], c["value"]


async def test_anc_k1_k4_k6_each_in_the_year_reached_and_a_kader_visit_is_no_contact(dash: Dash) -> None:
    await send(dash, target(JONDONG, "pregnant", 12), target(JONDONG, "pregnant", 12, year=2027))
    await send(dash,
               # A: K1 in trimester 1 in November 2026 (K1 murni), K2 in December, K3 in January, K4 in February 2027
               anc("A", at(11, 10), trimester=1, k1=True, k1_murni=True), anc("A", at(12, 5)),
               anc("A", at(1, 20, year=2027), trimester=3), anc("A", at(2, 15, year=2027), trimester=3, k4=True),
               # B: a kader's home visit in November (pregnancy block, no ``anc``): no contact; K1 in trimester 2
               anc("B", at(11, 20), contact=False), anc("B", at(12, 3), k1=True),
               # C: K6 reached in December (the facility's anc_visit_number 6)
               anc("C", at(12, 20), trimester=3, k6=True, k4=False))
    nov = await dash.pws("18.01", "2026-11")
    assert cell(nov, "anc_k1") == (1, 12, 8.3)  # A only
    assert cell(nov, "pregnant_served") == (1, 12, 8.3)  # B's kader visit is not an ANC contact
    assert cell(nov, "anc_k1_murni") == (1, 12, 8.3)
    dec = await dash.pws("18.01", "2026-12")
    assert cell(dec, "anc_k1") == (1, 12, 8.3)  # B in December
    assert cell(dec, "anc_k1", ytd=True) == (2, 12, 16.7)  # A (November) and B (December), once each
    assert dec["total"]["ytd"]["indicators"]["anc_k1"]["target"] == 100.0  # prorated: 100 x 12/12
    assert nov["total"]["ytd"]["indicators"]["anc_k1"]["target"] == 91.7  # 100 x 11/12
    assert cell(dec, "anc_k1_murni", ytd=True) == (1, 12, 8.3)  # B's K1 was in trimester 2
    assert cell(dec, "anc_k4", ytd=True) == (0, 12, 0.0)
    assert cell(dec, "anc_k6") == (1, 12, 8.3)
    assert cell(dec, "pregnant_served") == (3, 12, 25.0)  # A, B, C had a contact in December
    feb = await dash.pws("18.01", "2027-02")
    assert cell(feb, "anc_k4") == (1, 12, 8.3) and cell(feb, "anc_k4", ytd=True) == (1, 12, 8.3)  # A, in 2027
    assert cell(feb, "anc_k1", ytd=True) == (0, 12, 0.0)  # A's K1 counts in 2026 only
    assert cell(feb, "pregnant_served", ytd=True) == (1, 12, 8.3)  # A once (January and February)


async def test_triple_elimination_kf_kn_and_low_birth_weight(dash: Dash) -> None:
    await send(dash, target(JONDONG, "pregnant", 10), target(JONDONG, "maternal", 8), target(JONDONG, "newborn", 8))
    two = ServiceFacts(triple_elimination_tested=["hiv", "syphilis"])
    third = ServiceFacts(triple_elimination_tested=["hbsag"], triple_elimination_complete=True)
    at_once = ServiceFacts(triple_elimination_tested=["hiv", "syphilis", "hbsag"], triple_elimination_complete=True)
    await send(dash,
               seen("C", at(10, 5), services=two), seen("C", at(11, 5), services=third),  # third test in November
               seen("D", at(11, 9), services=at_once),
               seen("E1", at(10, 2), "adult", services=ServiceFacts(postpartum_visit=3)),  # KF1-3 earlier
               seen("E1", at(11, 1), "adult", services=ServiceFacts(postpartum_visit=4, kf_complete=True)),
               seen("E2", at(11, 3), "adult", services=ServiceFacts(postpartum_visit=4)),  # KF4 without KF1-3
               seen("F", at(11, 12), "under_five", age_days=14,
                    newborn=NewbornFacts(birth_weight_g=2400, low_birth_weight=True, neonatal_visit=3, kn_complete=True)),
               seen("G", at(11, 12), "under_five", age_days=5,
                    newborn=NewbornFacts(birth_weight_g=2500, low_birth_weight=False, neonatal_visit=2)),
               seen("H", at(11, 13), "under_five", age_days=4, newborn=NewbornFacts(neonatal_visit=2)))
    oct_, nov = await dash.pws("18.01", "2026-10"), await dash.pws("18.01", "2026-11")
    assert cell(oct_, "triple_elimination_tested") == (0, 10, 0.0)  # two of three tests: not yet
    assert cell(nov, "triple_elimination_tested") == (2, 10, 20.0)  # C (third test) and D (all at once)
    assert cell(nov, "triple_elimination_tested", ytd=True) == (2, 10, 20.0)
    assert cell(nov, "kf_complete") == (1, 8, 12.5)  # E1 only
    assert cell(oct_, "kf_complete") == (0, 8, 0.0)
    assert cell(nov, "kn_complete") == (1, 8, 12.5)  # F
    assert cell(nov, "low_birth_weight") == (1, 2, 50.0)  # F of F and G; H has no birth weight


async def test_immunization_complete_before_the_first_birthday_only(dash: Dash) -> None:
    await send(dash, target(JONDONG, "infant", 10))
    await send(dash,
               seen("I", at(9, 10), "under_five", age_days=280, immunization=ImmunizationFacts(given=["opv4"])),
               seen("I", at(11, 10), "under_five", age_days=340,
                    immunization=ImmunizationFacts(given=["mr1"], idl_complete=True)),
               # J's last dose after the first birthday: complete late, not counted
               seen("J", at(11, 11), "under_five", age_days=380,
                    immunization=ImmunizationFacts(given=["mr1"], idl_complete_late=True)))
    nov = await dash.pws("18.01", "2026-11")
    assert cell(nov, "immunization_complete") == (1, 10, 10.0)
    assert cell(await dash.pws("18.01", "2026-09"), "immunization_complete") == (0, 10, 0.0)
    assert cell(await dash.pws("18.01", "2026-12"), "immunization_complete", ytd=True) == (1, 10, 10.0)


async def test_skdn_is_monthly_and_a_late_weighing_changes_last_month(dash: Dash) -> None:
    await send(dash, target(JONDONG, "under_five", 20))
    await send(dash,
               *weighing("c1", at(10, 10), "N"), *weighing("c2", at(10, 10), "T"),
               *weighing("c3", at(10, 11), None, first=True),  # B: first weighing, neither N nor T
               *weighing("c4", at(10, 12), "T", two_t=True, bgm=True),
               recorded_child("c5", at(10, 12), None))  # seen, not weighed: K, not D
    oct_ = await dash.pws("18.01", "2026-10")
    assert cell(oct_, "children_weighed") == (4, 20, 20.0)  # D/S
    assert cell(oct_, "skdn_n_d") == (1, 4, 25.0)
    assert cell(oct_, "skdn_t") == (2, 4, 50.0)
    assert cell(oct_, "skdn_2t") == (1, 4, 25.0)
    assert cell(oct_, "bgm") == (1, 4, 25.0)
    assert cell(oct_, "skdn_k_s") == (5, 20, 25.0)  # K: c1-c5
    assert cell(oct_, "skdn_d_k") == (4, 5, 80.0)
    await send(dash, *weighing("c1", at(11, 9), "N"), *weighing("c2", at(11, 9), "N"))
    nov = await dash.pws("18.01", "2026-11")
    assert cell(nov, "children_weighed") == (2, 20, 10.0)
    assert cell(nov, "skdn_n_d") == (2, 2, 100.0)
    assert cell(nov, "skdn_k_s") == (5, 20, 25.0)  # K since January: no one new
    assert cell(nov, "skdn_d_k") == (2, 5, 40.0)
    # monthly ratios have no year-to-date value (D/S since January is not a coverage)
    for indicator in ("children_weighed", "skdn_n_d", "skdn_t", "skdn_2t", "bgm", "skdn_d_k"):
        assert cell(nov, indicator, ytd=True) == (None, None, None), indicator
    assert cell(nov, "skdn_k_s", ytd=True) == (5, 20, 25.0)  # cumulative: the same either way
    # a late report: c6 weighed on 28 October (N), synced after November's weighings
    await send(dash, *weighing("c6", at(10, 28), "N"))
    oct_ = await dash.pws("18.01", "2026-10")
    assert cell(oct_, "skdn_n_d") == (2, 5, 40.0)  # October changed: c1 and c6 of five
    assert cell(oct_, "children_weighed") == (5, 20, 25.0)
    assert cell(oct_, "skdn_d_k") == (5, 6, 83.3)
    nov = await dash.pws("18.01", "2026-11")
    assert cell(nov, "skdn_n_d") == (2, 2, 100.0)  # November did not
    assert cell(nov, "skdn_d_k") == (2, 6, 33.3)  # but K grew


async def test_monthly_only_cells_in_the_csv(dash: Dash) -> None:
    await send(dash, target(JONDONG, "under_five", 20), *weighing("c1", at(11, 9), "N"))
    data = await dash.pws("18.01", "2026-11")
    rows = list(csv.DictReader(io.StringIO(export.pws_csv(data, registry.REGISTRY, suppress=False))))
    weighed = next(r for r in rows if r["code"] == "18.01" and r["indicator"] == "children_weighed")
    assert (weighed["numerator"], weighed["denominator"], weighed["value"]) == ("1", "20", "5.0")
    assert (weighed["ytd_numerator"], weighed["ytd_value"], weighed["ytd_target"]) == ("", "", "")
    assert registry.BY_ID["children_weighed"].meta()["ytd"] == "monthly"


async def test_vitamin_a_counts_per_round_february_and_august(dash: Dash) -> None:
    await send(dash, target(JONDONG, "under_five", 10))

    def vit(person: str, when: datetime, in_band: bool | None = True) -> VisitScreened:
        return seen(person, when, "under_five", age_days=700,
                    services=ServiceFacts(vitamin_a=True, vitamin_a_6_59=in_band))

    await send(dash, vit("v1", at(2, 10)), vit("v2", at(2, 11)), vit("v3", at(3, 5)),  # March: sweeping
               vit("v0", at(2, 12), in_band=None),  # under 6 months: not counted
               vit("v1", at(8, 10)))
    assert cell(await dash.pws("18.01", "2026-02"), "vitamin_a") == (2, 10, 20.0)
    assert cell(await dash.pws("18.01", "2026-03"), "vitamin_a", ytd=True) == (3, 10, 30.0)  # the February round
    assert cell(await dash.pws("18.01", "2026-06"), "vitamin_a", ytd=True) == (3, 10, 30.0)
    assert cell(await dash.pws("18.01", "2026-07"), "vitamin_a", ytd=True) == (0, 10, 0.0)  # the August round starts
    assert cell(await dash.pws("18.01", "2026-08"), "vitamin_a", ytd=True) == (1, 10, 10.0)
    await send(dash, vit("v4", at(2, 20)))  # a late February report
    assert cell(await dash.pws("18.01", "2026-03"), "vitamin_a", ytd=True) == (4, 10, 40.0)
    assert cell(await dash.pws("18.01", "2026-08"), "vitamin_a", ytd=True) == (1, 10, 10.0)


async def test_development_screened_and_severe_wasting(dash: Dash) -> None:
    await send(dash, target(JONDONG, "under_five", 10))

    def kpsp(person: str, when: datetime) -> VisitScreened:
        return seen(person, when, "under_five", age_days=700, services=ServiceFacts(kpsp="appropriate"))

    await send(dash, kpsp("d1", at(3, 3)), kpsp("d2", at(3, 4)), kpsp("d1", at(6, 3)))
    mar, jun = await dash.pws("18.01", "2026-03"), await dash.pws("18.01", "2026-06")
    assert cell(mar, "development_screened") == (2, 10, 20.0)
    assert cell(jun, "development_screened", ytd=True) == (2, 10, 20.0)  # d1 once in the year
    assert jun["total"]["ytd"]["indicators"]["development_screened"]["target"] == 50.0  # 100 x 6/12
    await send(dash, seen("s1", at(11, 2), "under_five", age_days=700, pws=PwsFacts(wasting=True, severe_wasting=True)),
               seen("s2", at(11, 2), "under_five", age_days=700, pws=PwsFacts(wasting=True, severe_wasting=False)),
               seen("s3", at(11, 2), "under_five", age_days=700, pws=PwsFacts()))  # not measured
    assert cell(await dash.pws("18.01", "2026-11"), "severe_wasting") == (1, 2, 50.0)


def test_semester_contributions_restart_in_july() -> None:
    rows = {"2026-02": ("v", True), "2026-08": ("v", False)}
    out = arithmetic.contributions(rows, resets=(7,))
    # February: +1; July: the February state taken away; August: +1 measured, not in the numerator
    assert out[("v", "2026-02")] == [1, 1, 1, 1]
    assert out[("v", "2026-07")] == [0, 0, -1, -1]
    assert out[("v", "2026-08")] == [0, 1, 0, 1]
    # a person seen only before July is taken away in July, even without a later visit
    assert arithmetic.contributions({"2026-03": ("v", True)}, resets=(7,))[("v", "2026-07")] == [0, 0, -1, -1]
    assert arithmetic.contributions({"2026-03": ("v", True)}) == {("v", "2026-03"): [1, 1, 1, 1]}


def test_a_ytd_denominator_must_name_a_person_indicator() -> None:
    bad = dataclasses.replace(registry.BY_ID["skdn_d_k"], base="ytd:visits")
    others = [i for i in registry.REGISTRY if i.id != "skdn_d_k"]
    with pytest.raises(ValueError, match="no person-level"):
        registry.validate_registry([*others, bad])


def test_semester_year_to_date_equals_recomputation_from_the_rounds_months() -> None:
    """Summing the deltas from January to M gives each person once by their latest state since the round began."""
    import random

    rng = random.Random(7)
    for _ in range(300):
        rows = {f"2026-{m:02d}": (rng.choice("ab"), rng.random() < 0.5)
                for m in rng.sample(range(1, 13), rng.randint(1, 6))}
        out = arithmetic.contributions(rows, resets=(7,))
        for month in range(1, 13):
            start = 7 if month >= 7 else 1
            held = [rows[p] for p in sorted(rows) if start <= int(p[5:]) <= month]
            for village in "ab":
                got = [sum(t[i] for (v, p), t in out.items() if v == village and int(p[5:]) <= month) for i in (2, 3)]
                want = [int(held[-1][1]), 1] if held and held[-1][0] == village else [0, 0]
                assert got == want, (rows, month, village)
