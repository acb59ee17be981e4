"""Registration's pure domain: NIK, pseudonyms, scope, time, the recorded event."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from services.registration import domain
from shared.contracts.intake import IntakeVisit
from shared.regions import load_regions

REGIONS = load_regions()
TODAY = date(2026, 11, 24)


def test_decode_nik_woman_day_plus_40() -> None:
    info = domain.decode_nik("1801064508920003", today=TODAY)
    assert (info.province, info.kabupaten, info.kecamatan) == ("18", "18.01", "18.01.06")
    assert info.birth_date == date(1992, 8, 5) and info.sex == "F"


def test_decode_nik_man_and_century() -> None:
    assert domain.decode_nik("1801060101200001", today=TODAY).birth_date == date(2020, 1, 1)
    assert domain.decode_nik("1801060101300001", today=TODAY).birth_date == date(1930, 1, 1)
    assert domain.decode_nik("1801060101300001", today=TODAY).sex == "M"


@pytest.mark.parametrize("nik, reason", [
    ("1801063102920003", "impossible"),   # 31 February
    ("1801064013920003", "impossible"),   # day 40 -> 0 for a woman's encoding of day 0
    ("1801060113920003", "impossible"),   # month 13
    ("1801060101920000", "serial"),
    ("18010601019200", "16 digits"),
])
def test_decode_nik_rejects_impossible(nik: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        domain.decode_nik(nik, today=TODAY)


def test_check_nik_rejects_unknown_province_and_kabupaten() -> None:
    errors, _ = domain.check_nik("9901060101920001", ("person", "nik"), REGIONS, birth_date=None, sex=None, today=TODAY)
    assert errors and "province" in errors[0].msg and errors[0].loc == ("person", "nik")
    errors, _ = domain.check_nik("1899060101920001", ("person", "nik"), REGIONS, birth_date=None, sex=None, today=TODAY)
    assert errors and "kabupaten" in errors[0].msg


def test_check_nik_mismatch_is_a_warning_not_an_error() -> None:
    errors, warnings = domain.check_nik("1801064508920003", ("nik",), REGIONS, birth_date=date(1992, 8, 6), sex="M",
                                        today=TODAY)
    assert errors == []
    assert warnings == ["nik_birth_date_mismatch", "nik_sex_mismatch"]
    assert domain.check_nik("1801064508920003", ("nik",), REGIONS, birth_date=date(1992, 8, 5), sex="F",
                            today=TODAY) == ([], [])


def test_person_ids_are_keyed_stable_and_distinct() -> None:
    a = domain.person_id_for_nik("1801064508920003", b"secret-1")
    assert a == domain.person_id_for_nik("1801064508920003", b"secret-1")
    assert a != domain.person_id_for_nik("1801064508920003", b"secret-2")
    assert "1801064508920003" not in a and len(a) == 33
    child = domain.provisional_child_id("1801064508920003", date(2026, 1, 2), "F", b"secret-1")
    assert child != domain.provisional_child_id("1801064508920003", date(2026, 1, 2), "M", b"secret-1")
    assert child.startswith("c")


def _visit(**kw) -> IntakeVisit:
    body = {
        "visit_id": str(uuid.uuid4()), "facility_id": "PSY1", "occurred_at": "2026-11-20T09:15:00+07:00",
        "service_point": "posyandu",
        "person": {"nik": "1801064508920003", "name": "Siti Aminah", "sex": "F", "birth_date": "1992-08-05",
                   "village_code": "18.01.06.2001"},
        "measurements": {"systolic_mmhg": 150, "diastolic_mmhg": 95},
    }
    body.update(kw)
    return IntakeVisit.model_validate(body)


def test_future_tolerance_boundary() -> None:
    visit = _visit()
    at = visit.occurred_at
    five = timedelta(minutes=5)
    assert domain.check_time(visit, at - five, five) == []               # exactly 5 minutes ahead: accepted
    assert domain.check_time(visit, at - five - timedelta(seconds=1), five)  # just over: rejected


def test_recorded_visit_carries_no_pii_and_the_right_stage() -> None:
    visit = _visit(pregnancy={"gestational_weeks": 14})
    event = domain.recorded_visit(visit, person_id="pabc", facility=None,
                                  recorded_at=datetime(2026, 11, 20, tzinfo=timezone.utc), data_quality=[])
    dumped = event.model_dump_json()
    assert "1801064508920003" not in dumped and "Siti" not in dumped and "1992-08-05" not in dumped
    assert event.stage == "pregnancy"
    assert event.age_days == (date(2026, 11, 20) - date(1992, 8, 5)).days
    assert event.occurred_at.utcoffset() == timedelta(hours=7)
