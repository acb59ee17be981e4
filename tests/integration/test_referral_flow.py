"""Referrals end to end on the real broker: a risk becomes a referral, the destination receives,
attends and completes it with rujuk balik feedback, an old emergency goes overdue once, and the
dashboard counts made / completed / overdue. Four processes, SQLite and PostgreSQL."""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta, timezone

import httpx

from tests.integration.conftest import visit
from tests.integration.harness import System

WIB = timezone(timedelta(hours=7))
FEEDBACK = {"diagnosis": "Hipertensi esensial", "icd10": "I10", "instructions": "Amlodipin 5 mg 1x1, kontrol di Pustu",
            "follow_up_date": (date.today() + timedelta(days=30)).isoformat()}


def person(birth: date = date(1990, 3, 14)) -> dict:
    """A woman with a structurally valid NIK of Kec. Kalianda and a random serial."""
    nik = f"180106{birth.day + 40:02d}{birth.month:02d}{birth.year % 100:02d}{random.randint(1, 9999):04d}"
    return {"nik": nik, "name": "Ibu Uji", "sex": "F", "birth_date": birth.isoformat(), "village_code": "18.01.06.2001"}


def totals(system: System, period: str) -> dict[str, int]:
    answer = httpx.get(system.url("dashboard") + "/v1/pws", params={"region": "18.01", "period": period},
                       headers={"Authorization": f"Bearer {system.viewer_token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    indicators = answer.json()["total"]["indicators"]
    return {k: indicators[k]["value"] for k in ("referrals_made", "referrals_completed", "referrals_overdue")}


def wait(predicate, what: str, timeout: float = 60.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def referrals(system: System, token: str, **params) -> list[dict]:
    answer = httpx.get(system.url("referral") + "/v1/referrals", params=params,
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["referrals"]


def record(system: System, body: dict) -> str:
    answer = httpx.post(system.url("registration") + "/v1/visits", json=body,
                        headers={"Authorization": f"Bearer {system.facility_token}"}, timeout=10)
    assert answer.status_code == 202, answer.text
    return answer.json()["person_id"]


def update(system: System, referral_id: str, body: dict, token: str) -> httpx.Response:
    return httpx.post(system.url("referral") + f"/v1/referrals/{referral_id}/events", json=body,
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_risk_to_referral_to_rujuk_balik(system: System) -> None:
    now = datetime.now(WIB)
    body = visit(person=person(), occurred_at=(now - timedelta(minutes=10)).isoformat(),
                 measurements={"systolic_mmhg": 150, "diastolic_mmhg": 95})  # grade 1: moderate, Puskesmas
    made_period, done_period = body["occurred_at"][:7], now.strftime("%Y-%m")
    before_made, before_done = totals(system, made_period), totals(system, done_period)
    person_id = record(system, body)

    token = system.facility_token  # Puskesmas Kalianda: the destination
    inbox = wait(lambda: [r for r in referrals(system, token, direction="received", status="made")
                          if r["person_id"] == person_id], "the referral at the Puskesmas")
    [referral] = inbox
    assert (referral["risk_code"], referral["origin_facility_id"]) == ("HT", "PSY1801062001A")
    assert (referral["destination_facility_id"], referral["urgency"]) == ("PKM180106", "moderate")
    assert datetime.fromisoformat(referral["due_at"]) == datetime.fromisoformat(body["occurred_at"]) + timedelta(days=7)
    rid = referral["referral_id"]
    wait(lambda: totals(system, made_period)["referrals_made"] == before_made["referrals_made"] + 1, "made counted")

    # the Pustu acts for its Posyandu (the origin) but may not receive for the Puskesmas
    assert update(system, rid, {"status": "received", "at": now.isoformat()}, system.pustu_token).status_code == 403
    steps = [{"status": "received", "at": (now - timedelta(minutes=5)).isoformat()},
             {"status": "attended", "at": (now - timedelta(minutes=3)).isoformat(), "note": "TD 152/96"},
             {"status": "completed", "at": (now - timedelta(minutes=1)).isoformat(), "feedback": FEEDBACK}]
    for step in steps:
        answer = update(system, rid, step, token)
        assert answer.status_code == 200 and answer.json()["result"] == "applied", answer.text
    retry = update(system, rid, steps[-1], token)  # a retried HTTP call
    assert retry.status_code == 200 and retry.json()["result"] == "unchanged"
    late = update(system, rid, {"status": "cancelled", "at": now.isoformat()}, token)
    assert late.status_code == 409 and late.json()["current_status"] == "completed"
    wait(lambda: totals(system, done_period)["referrals_completed"] == before_done["referrals_completed"] + 1,
         "completed counted")
    sent = [r for r in referrals(system, system.pustu_token, direction="sent") if r["referral_id"] == rid]
    assert sent and sent[0]["feedback"]["diagnosis"] == FEEDBACK["diagnosis"]
    assert [h["status"] for h in sent[0]["history"]] == ["made", "received", "attended", "completed"]

    # a repeat detection after completion opens a new referral; while open, repeats attach
    record(system, {**body, "visit_id": visit()["visit_id"], "occurred_at": datetime.now(WIB).isoformat()})
    record(system, {**body, "visit_id": visit()["visit_id"], "occurred_at": datetime.now(WIB).isoformat()})
    fresh = wait(lambda: [r for r in referrals(system, token, direction="received", status="made")
                          if r["person_id"] == person_id and r["detections"] == 2], "the new referral with a repeat")
    assert len(fresh) == 1 and fresh[0]["referral_id"] != rid
    time.sleep(1.5)
    assert totals(system, done_period)["referrals_completed"] == before_done["referrals_completed"] + 1


def test_an_old_emergency_goes_overdue_exactly_once(system: System) -> None:
    occurred = datetime.now(WIB) - timedelta(days=3)
    body = visit(person=person(date(1985, 6, 2)), occurred_at=occurred.isoformat(),
                 measurements={"systolic_mmhg": 190, "diastolic_mmhg": 100})  # grade 3: emergency
    due = occurred + timedelta(days=1)
    made_period, overdue_period = occurred.strftime("%Y-%m"), due.strftime("%Y-%m")
    before_made, before_overdue = totals(system, made_period), totals(system, overdue_period)
    person_id = record(system, body)

    found = wait(lambda: [r for r in referrals(system, system.facility_token, direction="sent", status="overdue")
                          if r["person_id"] == person_id], "the overdue referral (sent, seen by the Puskesmas)")
    [referral] = found
    # straight to the facility with emergency, skipping the Pustu and the Puskesmas
    assert (referral["destination_facility_id"], referral["urgency"]) == ("RS1801", "emergency")
    wait(lambda: totals(system, overdue_period)["referrals_overdue"] == before_overdue["referrals_overdue"] + 1,
         "overdue counted")
    assert totals(system, made_period)["referrals_made"] == before_made["referrals_made"] + 1
    time.sleep(3)  # several checker rounds later: still one alarm
    assert totals(system, overdue_period)["referrals_overdue"] == before_overdue["referrals_overdue"] + 1
