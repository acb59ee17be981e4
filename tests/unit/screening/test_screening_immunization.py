"""Immunisation status against the national schedule: due, overdue, drop-out, next dose, IDL before one year."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from services.screening.domain import History, evaluate
from services.screening.domain.config import DEFAULT
from services.screening.domain.immunization import IDL, SCHEDULE, SERIES, status
from shared.contracts.events import ImmunizationFacts

BIRTH = date(2025, 3, 31)  # a month end: the month arithmetic clips


def on_time(*antigens: str) -> dict[str, date]:
    return {a: BIRTH + relativedelta(months=SCHEDULE[a][0]) for a in antigens}


def reference(birth: date, on: date, earlier: dict[str, date], now: tuple[str, ...], cfg=DEFAULT):
    """A plain restatement of the schedule with dateutil, for comparison."""
    given = {**{a: on for a in now}, **earlier}
    due, overdue, upcoming = [], [], []
    for antigen, (months, previous, interval) in SCHEDULE.items():
        if antigen in given:
            continue
        if antigen == "hb0" and (on - birth).days > cfg.hb0_max_days:
            continue
        if antigen == "bcg" and on >= birth + relativedelta(months=cfg.bcg_max_months):
            continue
        if previous is not None and previous not in given:
            continue
        eligible = birth + relativedelta(months=months)
        if previous is not None:
            eligible = max(eligible, given[previous] + timedelta(days=interval))
        if eligible <= on:
            due.append(antigen)
            by_age = on >= birth + relativedelta(months=months + cfg.immunization_grace_months)
            by_interval = previous is None or on >= given[previous] + timedelta(days=interval) + relativedelta(
                months=cfg.immunization_grace_months)
            if by_age and by_interval:
                overdue.append(antigen)
        else:
            upcoming.append((eligible, antigen))
    next_on = min((d for d, _ in upcoming), default=None)
    return due, overdue, next_on, sorted(a for d, a in upcoming if d == next_on)


def test_on_time_child_has_nothing_overdue():
    on = BIRTH + relativedelta(months=4, days=3)
    earlier = on_time("hb0", "bcg", "opv1", "dpt_hb_hib1", "opv2", "rv1", "pcv1", "dpt_hb_hib2", "opv3", "rv2", "pcv2")
    s = status(BIRTH, on, earlier, ("dpt_hb_hib3", "opv4", "rv3", "ipv1"), DEFAULT)
    assert (s.due, s.overdue, s.drop_out) == ((), (), ())
    assert s.next_due == ("ipv2", "mr1") and s.next_due_on == date(2025, 12, 31)
    assert s.given_now == ("dpt_hb_hib3", "ipv1", "opv4", "rv3")


def test_overdue_after_the_grace_month():
    earlier = on_time("hb0", "bcg", "opv1")
    assert status(BIRTH, date(2025, 5, 31), earlier, (), DEFAULT).overdue == ()  # exactly 2 months: due
    s = status(BIRTH, date(2025, 6, 29), earlier, (), DEFAULT)  # 2 months 29 days: still within the grace month
    assert "dpt_hb_hib1" in s.due and not s.overdue
    s = status(BIRTH, date(2025, 6, 30), earlier, (), DEFAULT)  # 3 months (31 March + 3 months clips to 30 June)
    assert {"dpt_hb_hib1", "opv2", "rv1", "pcv1"} <= set(s.overdue)


def test_drop_out_is_a_started_series_with_an_overdue_dose():
    earlier = on_time("hb0", "bcg", "opv1", "dpt_hb_hib1", "opv2", "rv1", "pcv1")
    s = status(BIRTH, BIRTH + relativedelta(months=5), earlier, (), DEFAULT)
    assert {"dpt_hb_hib", "opv", "pcv", "rv"} <= set(s.drop_out)
    not_started = status(BIRTH, BIRTH + relativedelta(months=5), on_time("hb0", "bcg"), (), DEFAULT)
    assert not_started.overdue and not not_started.drop_out


def test_minimum_interval_after_a_late_dose():
    earlier = {**on_time("hb0", "bcg", "opv1"), "dpt_hb_hib1": BIRTH + relativedelta(months=4)}
    s = status(BIRTH, BIRTH + relativedelta(months=4, days=10), earlier, (), DEFAULT)
    assert "dpt_hb_hib2" not in s.due  # 28 days after dose 1 first
    assert s.next_due_on <= BIRTH + relativedelta(months=4) + timedelta(days=28)


def test_hb0_and_bcg_catch_up_limits():
    assert "hb0" in status(BIRTH, BIRTH + timedelta(days=7), {}, (), DEFAULT).due
    assert "hb0" not in status(BIRTH, BIRTH + timedelta(days=8), {}, (), DEFAULT).due
    assert "bcg" in status(BIRTH, BIRTH + relativedelta(months=11, days=27), {}, (), DEFAULT).due
    assert "bcg" not in status(BIRTH, BIRTH + relativedelta(months=12), {}, (), DEFAULT).due


def _all_idl_but(last: str) -> dict[str, date]:
    return on_time(*(a for a in IDL if a != last))


@pytest.mark.parametrize("on,complete,late", [
    (BIRTH + relativedelta(months=9), True, False),
    (BIRTH + relativedelta(months=11, days=29), True, False),
    (BIRTH + relativedelta(months=12), False, True),  # on the first birthday: too late for IDL
])
def test_idl_completed_at_this_visit_before_one_year(on, complete, late):
    s = status(BIRTH, on, _all_idl_but("mr1"), ("mr1",), DEFAULT)
    assert (s.idl_complete, s.idl_complete_late) == (complete, late)


def test_idl_counted_once():
    earlier = on_time(*IDL)
    s = status(BIRTH, BIRTH + relativedelta(months=10), earlier, ("ipv2",), DEFAULT)
    assert not s.idl_complete and not s.idl_complete_late


def test_series_table_is_consistent():
    for doses in SERIES.values():
        assert all(d in SCHEDULE for d in doses)
    assert IDL <= SCHEDULE.keys()


antigens = st.sampled_from(sorted(SCHEDULE))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 1500), st.dictionaries(antigens, st.integers(0, 1500), max_size=20),
       st.lists(antigens, max_size=4, unique=True), st.dates(date(2020, 1, 1), date(2026, 12, 31)))
def test_status_matches_the_plain_restatement(age, doses, now, birth):
    on = birth + timedelta(days=age)
    earlier = {a: birth + timedelta(days=min(d, age)) for a, d in doses.items() if a not in now}
    s = status(birth, on, earlier, tuple(now), DEFAULT)
    due, overdue, next_on, next_due = reference(birth, on, earlier, tuple(now))
    assert list(s.due) == due and list(s.overdue) == overdue
    assert s.next_due_on == next_on and list(s.next_due) == next_due


def test_rules_and_facts_through_the_engine(h):
    birth = h.ON - relativedelta(months=6)
    doses = tuple((a, birth + relativedelta(months=SCHEDULE[a][0])) for a in ("hb0", "bcg", "opv1", "dpt_hb_hib1"))
    visit = h.make_visit("under_five", (h.ON - birth).days, "M", immunizations=())
    result = evaluate(visit, History(doses=doses))
    r = h.risk(result, "IMMUNIZATION_DROP_OUT")
    assert (r.severity, r.recommended_level) == ("moderate", "posyandu") and "dpt_hb_hib2" in r.evidence["overdue"]
    facts = ImmunizationFacts.model_validate(result.facts["immunization"])
    assert facts.drop_out and not facts.idl_complete and facts.given == []
    assert evaluate(h.make_visit("under_five", 200, "M")).facts["immunization"] is None  # no dose known


@pytest.mark.parametrize("order", [1, -1])
def test_history_repeated_dose_counts_its_earliest_date_and_later_doses_are_ignored(h, order):
    """A dose recorded twice counts from its first date (in any history order); a dose dated after the visit
    (a late-delivered later visit) is not known yet."""
    on = h.ON
    birth = on - relativedelta(months=3, days=10)
    first = birth + relativedelta(months=2)
    doses = [("hb0", birth), ("bcg", birth), ("opv1", birth), ("dpt_hb_hib1", first),
             ("dpt_hb_hib1", first + timedelta(days=20)), ("opv2", first), ("rv1", first), ("pcv1", first),
             ("mr1", on + timedelta(days=30))][::order]
    visit = h.make_visit("under_five", (on - birth).days, "F", weight_kg=6.0)
    facts = ImmunizationFacts.model_validate(evaluate(visit, History(doses=tuple(doses))).facts["immunization"])
    expected = status(birth, on, {"hb0": birth, "bcg": birth, "opv1": birth, "dpt_hb_hib1": first, "opv2": first,
                                  "rv1": first, "pcv1": first}, (), DEFAULT)
    assert facts.due == list(expected.due) and "dpt_hb_hib2" in facts.due
    assert facts.next_due_on == expected.next_due_on
