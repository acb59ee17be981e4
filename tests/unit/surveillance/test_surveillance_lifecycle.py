"""The signal lifecycle: every (state, request) pair, the outcome rule (422), retries, the escalation clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.surveillance.domain import lifecycle
from services.surveillance.domain.lifecycle import Request
from shared.contracts import signal_requests

RAISED = datetime(2026, 12, 2, 10, tzinfo=timezone.utc)
ALLOWED = {("signalled", "verified"), ("signalled", "closed"), ("escalated", "verified"), ("verified", "closed")}


@pytest.mark.parametrize("current", lifecycle.STATUSES)
@pytest.mark.parametrize("status", signal_requests.REQUESTABLE)
def test_every_requested_step(current: str, status: str) -> None:
    outcome = "outbreak" if status == "closed" else None
    expected = "applied" if (current, status) in ALLOWED else "conflict"
    assert lifecycle.decide(current, Request(status, outcome)).kind == expected


def test_escalated_is_only_reached_by_the_clock() -> None:
    assert lifecycle.decide("signalled", Request("escalated")).kind == "invalid"
    assert lifecycle.can_transition("signalled", "escalated")
    assert not lifecycle.can_transition("escalated", "closed")  # contract: escalated -> verified -> closed


@pytest.mark.parametrize(("status", "outcome", "field"), [
    ("closed", None, "outcome"),
    ("verified", "outbreak", "outcome"),
    ("verified", "false_alarm", "outcome"),
    ("closed", "maybe", "outcome"),
    ("signalled", None, "status"),
    ("reopened", None, "status"),
])
def test_outcome_with_closed_and_only_there(status, outcome, field: str) -> None:
    assert [f for f, _ in signal_requests.step_errors(status, outcome)] == [field]
    assert lifecycle.decide("signalled", Request(status, outcome)).kind == "invalid"


def test_a_retry_with_the_same_request_id_changes_nothing_and_another_step_conflicts() -> None:
    assert lifecycle.decide("verified", Request("verified", request_id="r1"), earlier_request_id="r1").kind == "replay"
    assert lifecycle.decide("verified", Request("verified", request_id="r2"), earlier_request_id="r1").kind == "conflict"
    assert lifecycle.decide("verified", Request("verified"), earlier_request_id="r1").kind == "conflict"
    closed = Request("closed", "false_alarm", request_id="r3")
    assert lifecycle.decide("closed", closed, earlier_request_id="r3").kind == "replay"


def test_escalation_is_due_24_hours_after_raising() -> None:
    due = lifecycle.escalate_at(RAISED)
    assert due == RAISED + timedelta(hours=24)
    assert not lifecycle.due_for_escalation("signalled", due, due - timedelta(seconds=1))
    assert lifecycle.due_for_escalation("signalled", due, due)
    for status in ("verified", "closed", "escalated"):
        assert not lifecycle.due_for_escalation(status, due, due + timedelta(days=3))


def test_the_event_contract_refuses_an_outcome_outside_closed() -> None:
    from pydantic import ValidationError

    from shared.contracts.events import OutbreakSignal
    from tests.unit.surveillance.factories import NOW

    base = dict(signal_id="116275f6-d29a-5336-a55f-3896faaef37b", area_kind="village", area_code="18.01.06.2003",
                village_code="18.01.06.2003", district_code="18.01", disease="suspected_dengue",
                rule={"method": "single"}, week="2026-W49", week_start="2026-11-30",
                counts={"this_week": 1, "threshold": 1}, evidence={}, raised_at=NOW, escalate_at=NOW, changed_at=NOW,
                revision=1)
    assert OutbreakSignal(**base, status="closed", outcome="outbreak").outcome == "outbreak"
    for status, outcome in (("closed", None), ("verified", "outbreak")):
        with pytest.raises(ValidationError):
            OutbreakSignal(**base, status=status, outcome=outcome)
    with pytest.raises(ValidationError):
        OutbreakSignal(**{**base, "week": "2026-W54"}, status="signalled")
