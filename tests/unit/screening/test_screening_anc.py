"""ANC: standard contacts only (pregnancy.anc), per pregnancy, the 1-2-3 schedule, doctor contacts, K-milestones."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.screening.domain import History, PregnancyRecord, evaluate
from services.screening.domain.anc import (
    contract_trimester,
    pregnancy_id,
    schedule_gaps,
    state,
)
from services.screening.domain.config import DEFAULT
from shared.contracts.events import AncFacts

ON = date(2026, 11, 20)


def record(weeks_then: int, by: str | None, now_weeks: int, n: int, **kw) -> PregnancyRecord:
    """An earlier visit of the pregnancy whose week is ``now_weeks`` on ON."""
    conception = ON - timedelta(weeks=now_weeks)
    on = conception + timedelta(weeks=weeks_then)
    return PregnancyRecord(visit_id=f"00000000-0000-0000-0000-{n:012d}", occurred_on=on, order=float(n),
                           conception_on=conception, gestational_weeks=weeks_then, anc_by=by, **kw)


def visit(h, weeks: int, by: str | None = "midwife", ultrasound: bool = False, **preg):
    pregnancy = {"gestational_weeks": weeks, **preg}
    if by is not None:
        pregnancy["anc"] = {"by": by, "ultrasound": ultrasound}
    return h.make_visit("pregnancy", h.age_days(years=28), "F", pregnancy=pregnancy, order=1e12)


def screen(h, weeks: int, earlier: list[tuple[int, str | None]], by: str | None = "midwife", **preg):
    history = History(pregnancy=tuple(record(w, b, weeks, n) for n, (w, b) in enumerate(earlier)))
    return evaluate(visit(h, weeks, by, **preg), history)


@pytest.mark.parametrize("weeks,trimester", [(1, 1), (13, 1), (14, 2), (27, 2), (28, 3), (42, 3)])
def test_contract_trimesters(weeks, trimester):
    assert contract_trimester(weeks) == trimester


@pytest.mark.parametrize("weeks,earlier,missed", [
    (12, [], []),  # week 12 is still on time for "1 by week 12"
    (13, [], [(12, 1)]),
    (13, [(8, "doctor")], []),
    (24, [(8, "doctor"), (18, "midwife")], []),  # 3 with this visit
    (25, [(8, "doctor"), (18, "midwife")], [(24, 3), "t2"]),  # this visit is after week 24
    (25, [(8, "doctor"), (18, "midwife"), (22, "midwife")], []),
    (31, [(8, "doctor"), (18, "midwife"), (22, "midwife")], [(30, 4)]),
    (30, [(8, "doctor"), (18, "midwife"), (22, "midwife")], []),
    (38, [(8, "doctor"), (18, "midwife"), (22, "midwife"), (28, "midwife")], [(36, 5)]),  # the 38-39 week gap
    (41, [(8, "doctor"), (18, "midwife"), (22, "midwife"), (28, "midwife"), (33, "doctor")], [(40, 6)]),
    (41, [(8, "doctor"), (18, "midwife"), (22, "midwife"), (28, "midwife"), (33, "doctor"), (37, "midwife")], []),
    (26, [(5, "doctor"), (8, "midwife"), (11, "midwife")], ["t2"]),  # 3 by 24 but none in trimester 2
])
def test_schedule(h, weeks, earlier, missed):
    result = screen(h, weeks, earlier, by=None)  # a kader visit: checked, not counted
    if not missed:
        assert "ANC_DEFAULT" not in h.codes(result)
        return
    got = h.risk(result, "ANC_DEFAULT").evidence["missed"]
    want = [{"trimester": 2, "due": 2} if m == "t2" else {"by_week": m[0], "due": m[1]} for m in missed]
    assert [{k: v for k, v in g.items() if k != "contacts"} for g in got] == want


def test_this_visit_counts_when_a_contact(h):
    earlier = [(8, "doctor"), (18, "midwife")]
    assert "ANC_DEFAULT" not in h.codes(screen(h, 24, earlier, by="midwife"))
    assert "ANC_DEFAULT" in h.codes(screen(h, 25, earlier, by=None))


def test_only_standard_contacts_count(h):
    kader_visits = [(8, None), (18, None), (22, None)]
    r = h.risk(screen(h, 26, kader_visits, by=None), "ANC_DEFAULT")
    assert r.evidence["contacts_total"] == 0


def test_same_day_repeat_counts_once(h):
    conception = ON - timedelta(weeks=26)
    same = conception + timedelta(weeks=18)
    history = History(pregnancy=(
        record(8, "doctor", 26, 1),
        PregnancyRecord("a" * 36, same, 1.0, conception, 18, "midwife"),
        PregnancyRecord("b" * 36, same, 2.0, conception, 18, "midwife"),
        record(22, "midwife", 26, 4),
    ))
    result = evaluate(visit(h, 26, by=None), history)
    assert "ANC_DEFAULT" not in h.codes(result)  # 3 contacts by week 24, 2 of them in trimester 2
    assert facts(result).contacts == 3


def test_contacts_of_another_pregnancy_do_not_count(h):
    old = [PregnancyRecord("c" * 36, ON - timedelta(days=400), 1.0, ON - timedelta(days=600), 28, "midwife")]
    result = evaluate(visit(h, 13, by=None), History(pregnancy=tuple(old)))
    assert h.risk(result, "ANC_DEFAULT").evidence["contacts_total"] == 0


def test_facility_k_number_counts_for_deadlines(h):
    assert "ANC_DEFAULT" not in h.codes(screen(h, 26, [(8, "doctor")], by="midwife", anc_visit_number=4))


@pytest.mark.parametrize("weeks,earlier,due", [
    (12, [], []),
    (13, [(8, "midwife")], ["doctor contact with ultrasound (K1)"]),
    (13, [(8, "doctor")], []),
    (36, [(8, "doctor"), (20, "midwife")], []),
    (37, [(8, "doctor"), (20, "midwife"), (30, "midwife")], ["doctor contact with ultrasound in trimester 3 (K5)"]),
    (37, [(8, "doctor"), (20, "midwife"), (30, "doctor")], []),
])
def test_doctor_contacts(h, weeks, earlier, due):
    result = screen(h, weeks, earlier, by="midwife")
    if not due:
        assert "ANC_DOCTOR_DUE" not in h.codes(result)
    else:
        r = h.risk(result, "ANC_DOCTOR_DUE")
        assert r.evidence["due"] == due and (r.severity, r.recommended_level) == ("low", "puskesmas")


def test_triple_elimination_tests_due_at_contacts(h):
    r = h.risk(screen(h, 10, [], by="midwife", labs={"hiv": "non_reactive"}), "TRIPLE_ELIMINATION_DUE")
    assert r.evidence["missing"] == ["syphilis", "hbsag"]
    assert "TRIPLE_ELIMINATION_DUE" not in h.codes(screen(h, 10, [], by=None))  # not a contact
    full = {"hiv": "non_reactive", "syphilis": "non_reactive", "hbsag": "non_reactive"}
    assert "TRIPLE_ELIMINATION_DUE" not in h.codes(screen(h, 10, [], by="midwife", labs=full))


def facts(result) -> AncFacts:
    return AncFacts.model_validate(result.facts["anc"])


def test_k1_and_k1_murni(h):
    first = facts(screen(h, 10, [], by="doctor", ultrasound=True))
    assert (first.contact, first.contact_number, first.k1, first.k1_murni, first.trimester) == (True, 1, True, True, 1)
    late = facts(screen(h, 14, [], by="midwife"))
    assert (late.k1, late.k1_murni, late.trimester) == (True, False, 2)
    kader = facts(screen(h, 10, [], by=None))
    assert (kader.contact, kader.contact_number, kader.k1) == (False, None, False)


def test_k1_counted_once(h):
    second = facts(screen(h, 20, [(10, "doctor")], by="midwife"))
    assert (second.contact_number, second.k1) == (2, False)
    history = History(pregnancy=(record(10, "doctor", 20, 1, milestones="k1,k1_murni"),))
    assert facts(evaluate(visit(h, 20, "midwife"), history)).k1 is False


def test_facility_number_is_its_word(h):
    f = facts(screen(h, 20, [], by="midwife", anc_visit_number=3))
    assert (f.contact_number, f.k1) == (3, False)


@pytest.mark.parametrize("earlier,weeks,k4", [
    ([(10, "doctor"), (20, "midwife"), (29, "midwife")], 32, True),  # 1-1-2 in contract trimesters
    ([(10, "doctor"), (20, "midwife"), (25, "midwife")], 32, False),  # only one in trimester 3
    ([(14, "doctor"), (20, "midwife"), (29, "midwife")], 32, False),  # none up to 13 weeks
])
def test_k4(h, earlier, weeks, k4):
    assert facts(screen(h, weeks, earlier, by="midwife")).k4 is k4


def test_k4_by_facility_number_and_once(h):
    assert facts(screen(h, 30, [], by="midwife", anc_visit_number=4)).k4 is True
    history = History(pregnancy=tuple(record(w, b, 33, n, milestones="k4" if n == 3 else "")
                                      for n, (w, b) in enumerate([(10, "doctor"), (20, "midwife"),
                                                                  (25, "midwife"), (29, "midwife")])))
    assert facts(evaluate(visit(h, 33, "midwife"), history)).k4 is False


@pytest.mark.parametrize("doctor_t3,k6", [("doctor", True), ("midwife", False)])
def test_k6_needs_two_doctor_contacts(h, doctor_t3, k6):
    earlier = [(10, "doctor"), (16, "midwife"), (22, "midwife"), (29, "midwife"), (33, doctor_t3)]
    f = facts(screen(h, 37, earlier, by="midwife"))
    assert f.k6 is k6 and f.contacts == 6 and f.contacts_by_trimester == [1, 2, 3]


def test_k_milestones_from_late_synced_contact(h):
    """A contact synced late (earlier date, processed later) completes K4 once."""
    conception = ON - timedelta(weeks=32)
    later = [record(10, "doctor", 32, 1), record(20, "midwife", 32, 2), record(31, "midwife", 32, 3)]
    late = h.make_visit("pregnancy", h.age_days(years=28), "F", on=conception + timedelta(weeks=29),
                        pregnancy={"gestational_weeks": 29, "anc": {"by": "midwife"}}, order=0.5)
    assert facts(evaluate(late, History(pregnancy=tuple(later)))).k4 is True


def test_pregnancy_id_is_stable(h):
    first = facts(screen(h, 10, [], by="midwife"))
    assert first.pregnancy_id == UUID(pregnancy_id("p1", ON - timedelta(weeks=10)))
    kept = History(pregnancy=(record(10, "midwife", 20, 1, pregnancy_id=str(first.pregnancy_id)),))
    assert facts(evaluate(visit(h, 20, "midwife"), kept)).pregnancy_id == first.pregnancy_id


def test_redelivered_visit_ignores_its_own_record(h):
    v = visit(h, 10, "midwife")
    own = PregnancyRecord(str(v.visit_id), ON, 1e12, ON - timedelta(weeks=10), 10, "midwife", milestones="k1")
    again = state(v, (own,), DEFAULT)
    assert again.contact and again.number == 1 and "k1" in again.milestones


def test_schedule_gaps_none_before_the_first_deadline():
    assert schedule_gaps((), ON, 10, DEFAULT) is None


@given(st.text(max_size=40), st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_pregnancy_id_is_uuid5_of_person_and_conception(person, conception):
    """The direct SHA-1 computation equals uuid.uuid5 of the namespace and "person/conception"."""
    from uuid import uuid5

    from services.screening.domain.anc import PREGNANCY_NAMESPACE

    assert pregnancy_id(person, conception) == str(uuid5(PREGNANCY_NAMESPACE, f"{person}/{conception.isoformat()}"))
