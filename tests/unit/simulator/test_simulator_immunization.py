"""Routine immunisation plans (simulator.immunization) on hand-computed cases and a large sample, the doses a run
sends, and the ground truth's IDL and KF lengkap at their boundaries."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from simulator import immunization, postnatal
from simulator.faults import Emission
from simulator.prevalence import HB0_RECORDED, IMMUNIZATION_SESSION_KEPT, KN_VISIT
from simulator.truth import IDL, Truth

SECOND_TUESDAY = (1, 1)  # open_weekday 1 (Tuesday), open_week 1 (the second)


def second_tuesday(d: date) -> date:
    return immunization.next_hari_buka(d, SECOND_TUESDAY[0], SECOND_TUESDAY[1])


@pytest.fixture
def everyone_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(immunization, "HB0_RECORDED", 1.0)
    monkeypatch.setattr(immunization, "IMMUNIZATION_SESSION_KEPT", 1.0)
    monkeypatch.setattr(immunization, "IMMUNIZATION_AT_PUSKESMAS", 0.0)


def test_a_plan_follows_the_schedule_on_the_posyandu_days(everyone_kept: None) -> None:
    # born Wed 15 Jan 2025; the Posyandu opens on the second Tuesday of the month. By hand:
    # 1 mo (15 Feb): Feb's day is the 11th, before it -> 11 Mar; 2 mo: 15 Mar, but >= 28 days after 11 Mar ->
    # 8 Apr (that month's second Tuesday); 3 mo: 15 Apr -> >= 6 May -> 13 May; 4 mo: 15 May -> >= 10 Jun -> 10 Jun;
    # 9 mo: 15 Oct (14 Oct is before it) -> 11 Nov; 12 mo: 15 Jan 2026 (13 Jan before) -> 10 Feb; 18 mo: 15 Jul 2026
    # (14 Jul before) -> 11 Aug
    plan = immunization.plan(7, date(2025, 1, 15), second_tuesday)
    assert plan.hb0
    assert [s.day for s in plan.sessions] == [date(2025, 3, 11), date(2025, 4, 8), date(2025, 5, 13),
                                              date(2025, 6, 10), date(2025, 11, 11), date(2026, 2, 10),
                                              date(2026, 8, 11)]
    assert [s.antigens for s in plan.sessions] == [a for _, a in immunization.SESSIONS]
    assert {s.place for s in plan.sessions} == {"posyandu"}
    # the IDL antigens are HB0 (at KN1) and those of the 1-9 month sessions, complete at 9 mo 27 days
    assert {"hb0"} | {a for s in plan.sessions[:5] for a in s.antigens} >= IDL


def test_hari_buka_as_the_simulation_opens_the_posyandu() -> None:
    assert immunization.hari_buka(date(2025, 2, 1), 1, 1) == date(2025, 2, 11)
    assert immunization.hari_buka(date(2026, 2, 1), 5, 3) == date(2026, 2, 28)  # fourth Saturday
    assert immunization.next_hari_buka(date(2025, 2, 12), 1, 1) == date(2025, 3, 11)
    assert immunization.next_hari_buka(date(2025, 3, 11), 1, 1) == date(2025, 3, 11)


def test_puskesmas_sessions_on_a_working_day_of_the_due_week(everyone_kept: None,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(immunization, "IMMUNIZATION_AT_PUSKESMAS", 1.0)
    for key in range(300):
        born = date(2025, 1, 1) + timedelta(days=key % 365)
        sessions = immunization.plan(key, born, second_tuesday).sessions
        assert {s.place for s in sessions} == {"puskesmas"}
        previous = None
        for (months, _), s in zip(immunization.SESSIONS, sessions):
            due = immunization.add_months(born, months)
            if previous is not None:
                due = max(due, previous + timedelta(days=28))
            assert s.day.weekday() != 6 and due <= s.day <= due + timedelta(days=6)
            previous = s.day


def test_plans_of_many_children_keep_the_intervals_the_birthday_and_the_coverage() -> None:
    rng = random.Random(5)
    idl = dropped_by_dpt3 = dpt1 = 0
    n = 20_000
    for key in range(n):
        born = date(2024, 1, 1) + timedelta(days=rng.randrange(730))
        weekday, week = rng.randrange(6), rng.randrange(4)
        plan = immunization.plan(key, born, lambda d: immunization.next_hari_buka(d, weekday, week))
        assert plan == immunization.plan(key, born, lambda d: immunization.next_hari_buka(d, weekday, week))
        sessions = plan.sessions
        # drop-out: the sessions are the schedule's first ones, each on/after its due age and <= LATE_DAYS late
        assert [s.antigens for s in sessions] == [a for _, a in immunization.SESSIONS[:len(sessions)]]
        for (months, _), s in zip(immunization.SESSIONS, sessions):
            due = immunization.add_months(born, months)
            assert due <= s.day <= due + timedelta(days=immunization.LATE_DAYS) and s.day.weekday() != 6
        assert all((b.day - a.day).days >= immunization.MIN_INTERVAL_DAYS for a, b in zip(sessions, sessions[1:]))
        if len(sessions) >= 5:  # MR1 is always before the first birthday
            assert sessions[4].day < immunization.add_months(born, 12)
        kn1 = any(pv.number == 1 for pv in postnatal.neonatal(key, born))  # HB0 is recorded at KN1
        idl += kn1 and plan.hb0 and len(sessions) >= 5
        dpt1 += len(sessions) >= 2
        dropped_by_dpt3 += 2 <= len(sessions) < 4
    expected = KN_VISIT * HB0_RECORDED * IMMUNIZATION_SESSION_KEPT ** 5
    assert 0.68 < expected < 0.74  # about SPM balita 71.98 % [KEB-ILP]
    assert abs(idl / n - expected) < 0.015
    assert abs(dropped_by_dpt3 / dpt1 - (1 - IMMUNIZATION_SESSION_KEPT ** 2)) < 0.01  # DPT1-DPT3 drop-out


def test_birth_ranges_and_may_fall_in_hold_every_session_of_a_window() -> None:
    rng = random.Random(9)
    for key in range(3_000):
        first = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        last = first + timedelta(days=rng.choice((1, 5, 14, 30, 357)))
        born = first - timedelta(days=rng.randrange(-30, 700))
        plan = immunization.plan(key, born, lambda d: immunization.next_hari_buka(d, key % 6, key % 4))
        inside = any(first <= s.day < last for s in plan.sessions) or first <= born + timedelta(days=1) < last
        if inside:
            assert immunization.may_fall_in(born, first, last), (born, first, last)
            assert any(lo <= born.toordinal() < hi for lo, hi in immunization.birth_ranges(first, last))


def test_a_run_sends_doses_by_the_schedule(small_run) -> None:  # noqa: ANN001
    _, emissions = small_run
    seen: set[str] = set()
    by_child: dict[tuple, list[tuple[date, tuple[str, ...]]]] = defaultdict(list)
    points = set()
    for e in emissions:
        if e.kind != "valid" or e.body["visit_id"] in seen or not e.body.get("immunizations"):
            continue
        seen.add(e.body["visit_id"])
        b = e.body
        given = tuple(b["immunizations"])
        if given == ("hb0",):
            assert b["newborn"]["neonatal_visit"] == 1  # HB0 at the KN1 visit
        else:
            assert given in {a for _, a in immunization.SESSIONS}
            points.add(b["service_point"])
        p = b["person"]
        by_child[(p.get("nik"), p.get("mother_nik"), p["birth_date"], p["sex"])].append(
            (date.fromisoformat(b["occurred_at"][:10]), given))
    assert len(by_child) >= 20 and points == {"posyandu", "puskesmas"}
    for visits in by_child.values():
        antigens = [a for _, given in visits for a in given]
        assert len(antigens) == len(set(antigens))  # no dose twice
        days = sorted(d for d, _ in visits)
        assert all((b - a).days >= 28 for a, b in zip(days, days[1:]))


# -- the ground truth at the boundaries ---------------------------------------------------------------

A = "18.72.01.1001"
TARGETS = {(A, 2025): {"infant": 9, "maternal": 10}, (A, 2026): {"infant": 9, "maternal": 10}}
_n = iter(range(10_000))


def visit(when: str, who: dict, m: dict | None = None, **extra) -> dict:  # noqa: ANN003
    return {"visit_id": f"i{next(_n)}", "facility_id": "POSY187201100011", "occurred_at": f"{when}T09:00:00+07:00",
            "service_point": "posyandu", "person": who, "measurements": m or {}, **extra}


def cells(*bodies: dict) -> dict:
    t = Truth(TARGETS, zscores=None)
    for b in bodies:
        t.add(Emission(0.0, 0.0, "valid", None, b["facility_id"], "PKM1872011", b, False))
    return {p: {k: (c["numerator"], c["denominator"]) for k, c in villages[A].items()}
            for p, villages in t.cells().items()}


BABY = {"nik": "1872017101250004", "sex": "F", "birth_date": "2025-01-31", "village_code": A}  # a month-end birthday
EARLY = [("2025-02-01", ["hb0"]), ("2025-03-04", ["bcg", "opv1"]), ("2025-04-01", ["dpt_hb_hib1", "opv2"]),
         ("2025-05-06", ["dpt_hb_hib2", "opv3"]), ("2025-06-03", ["dpt_hb_hib3", "opv4", "ipv1"])]


def idl_with_mr1_on(day: str) -> dict:
    return cells(*(visit(d, BABY, immunizations=a) for d, a in EARLY), visit(day, BABY, immunizations=["mr1"]))


def test_idl_complete_just_before_the_first_birthday_only() -> None:
    assert idl_with_mr1_on("2025-11-04")["2025-11"]["immunization_complete"] == (1, 9)  # at 9 months
    assert idl_with_mr1_on("2026-01-30")["2026-01"]["immunization_complete"] == (1, 9)  # the day before
    assert idl_with_mr1_on("2026-01-31")["2026-01"]["immunization_complete"] == (0, 9)  # on the first birthday
    assert idl_with_mr1_on("2026-02-02")["2026-02"]["immunization_complete"] == (0, 9)  # after it
    # counted in the month of the last dose, not in the months of the earlier ones
    c = idl_with_mr1_on("2025-11-04")
    assert all(c[p]["immunization_complete"] == (0, 9) for p in ("2025-02", "2025-03", "2025-06"))


MOM = {"nik": "1872014404960006", "sex": "F", "birth_date": "1996-04-04", "village_code": A}
KF1_3 = [("2026-03-02", 1), ("2026-03-06", 5), ("2026-03-21", 20)]  # delivered 1 March 2026


def kf_with_fourth_on_day(days: int) -> dict:
    on = date(2026, 3, 1) + timedelta(days=days)
    return cells(*(visit(d, MOM, {"postpartum_days": n}) for d, n in KF1_3),
                 visit(on.isoformat(), MOM, {"postpartum_days": days}))


def test_kf4_is_days_29_to_42() -> None:
    assert kf_with_fourth_on_day(28)["2026-03"]["kf_complete"] == (0, 10)  # still KF3
    assert kf_with_fourth_on_day(29)["2026-03"]["kf_complete"] == (1, 10)
    assert kf_with_fourth_on_day(42)["2026-04"]["kf_complete"] == (1, 10)
    assert kf_with_fourth_on_day(43)["2026-04"]["kf_complete"] == (0, 10)  # after the nifas period


def test_the_simulated_kf_visits_keep_their_windows() -> None:
    for key in range(3_000):
        delivered = date(2025, 1, 1) + timedelta(days=key % 365)
        for pv in postnatal.postpartum(key, delivered):
            first, last = {n: (a, b) for n, a, b in postnatal.KF_WINDOWS}[pv.number]
            assert first <= pv.days <= last and pv.day == delivered + timedelta(days=pv.days)
            assert pv.day.weekday() != 6
