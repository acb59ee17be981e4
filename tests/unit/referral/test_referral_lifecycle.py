"""The lifecycle state machine and the overdue rule, pure; plus a hypothesis state machine."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from pydantic import ValidationError

from services.referral.domain import lifecycle
from services.referral.domain.lifecycle import Snapshot, Step
from services.referral.domain.messages import StatusChange

WIB = timezone(timedelta(hours=7))
MADE = datetime(2026, 11, 20, 9, 0, tzinfo=WIB)
DUE = MADE + timedelta(days=3)
NOW = MADE + timedelta(days=1)
DEST, ORIGIN, BOTH = frozenset({"destination"}), frozenset({"origin"}), frozenset({"origin", "destination"})
FEEDBACK = {"diagnosis": "Hipertensi esensial", "instructions": "Amlodipin 5 mg", "follow_up_date": "2026-12-20"}


def snap(status: str = "made", **kw) -> Snapshot:
    return Snapshot(status=status, made_at=MADE, due_at=DUE, **kw)


def test_transitions_are_a_dag_from_made() -> None:
    assert set(lifecycle.TRANSITIONS) == set(lifecycle.STATES)
    for terminal in lifecycle.TERMINAL:
        assert not lifecycle.TRANSITIONS[terminal]
    assert lifecycle.can_transition("made", "attended") and not lifecycle.can_transition("made", "completed")
    assert not lifecycle.can_transition("completed", "cancelled")


@pytest.mark.parametrize(("status", "roles", "kind"), [
    ("received", DEST, "applied"), ("received", ORIGIN, "forbidden"), ("cancelled", ORIGIN, "applied"),
    ("cancelled", DEST, "applied"), ("attended", frozenset(), "forbidden"), ("completed", DEST, "conflict"),
])
def test_roles_and_legality(status: str, roles: frozenset, kind: str) -> None:
    feedback = FEEDBACK if status == "completed" else None
    assert lifecycle.decide(snap(), Step(status, NOW, None, feedback), roles, NOW).kind == kind


def test_identical_repeat_is_a_replay_and_a_different_one_a_conflict() -> None:
    done = Step("received", NOW, "ok")
    ref = snap("received", steps={"received": done})
    assert lifecycle.decide(ref, Step("received", NOW.astimezone(timezone.utc), "ok"), DEST, NOW).kind == "replay"
    assert lifecycle.decide(ref, Step("received", NOW + timedelta(minutes=1), "ok"), DEST, NOW).kind == "conflict"
    later = replace(ref, status="completed")
    assert lifecycle.decide(later, done, DEST, NOW).kind == "replay"  # a retry after the referral moved on


def test_times_must_be_plausible() -> None:
    assert lifecycle.decide(snap(), Step("received", NOW + timedelta(hours=1)), DEST, NOW).kind == "invalid"
    assert lifecycle.decide(snap(), Step("received", MADE - timedelta(days=1)), DEST, NOW).kind == "invalid"


def test_settling_late_raises_and_settling_in_time_clears() -> None:
    late = lifecycle.decide(snap(), Step("attended", DUE + timedelta(hours=1)), DEST, DUE + timedelta(hours=2))
    assert late.raise_overdue and not late.clear_overdue
    synced = lifecycle.decide(snap(overdue=True), Step("attended", DUE - timedelta(hours=1)), DEST,
                              DUE + timedelta(days=3))
    assert synced.clear_overdue and not synced.raise_overdue
    cancel_late = lifecycle.decide(snap(overdue=True), Step("cancelled", DUE + timedelta(hours=1)), ORIGIN,
                                   DUE + timedelta(days=2))
    assert not cancel_late.raise_overdue and not cancel_late.clear_overdue
    done = lifecycle.decide(snap("attended"), Step("completed", DUE + timedelta(days=9), None, FEEDBACK), DEST,
                            DUE + timedelta(days=9))
    assert not done.raise_overdue


def test_deadlines_per_urgency() -> None:
    days = lifecycle.DEFAULT_DEADLINE_DAYS
    assert [lifecycle.due_at(MADE, u, days) - MADE for u in lifecycle.SEVERITY_ORDER] == [
        timedelta(days=30), timedelta(days=7), timedelta(days=3), timedelta(days=1)]
    assert lifecycle.due_at(MADE, "high", days).utcoffset() == timedelta(hours=7)
    assert lifecycle.more_urgent("moderate", "emergency") == "emergency"


# -- the HTTP body -------------------------------------------------------------------------------
def test_feedback_required_with_completed_and_only_there() -> None:
    ok = StatusChange.model_validate({"status": "completed", "at": NOW.isoformat(), "feedback": FEEDBACK})
    assert ok.feedback_json() == FEEDBACK
    for body in (
        {"status": "completed", "at": NOW.isoformat()},
        {"status": "received", "at": NOW.isoformat(), "feedback": FEEDBACK},
        {"status": "completed", "at": NOW.isoformat(), "feedback": {**FEEDBACK, "diagnosis": ""}},
        {"status": "completed", "at": NOW.isoformat(), "feedback": {**FEEDBACK, "follow_up_date": "2026-01-01"}},
        {"status": "completed", "at": NOW.isoformat(), "feedback": {**FEEDBACK, "icd10": "hypertension"}},
        {"status": "completed", "at": NOW.isoformat(), "feedback": {**FEEDBACK, "extra": 1}},
        {"status": "completed", "at": NOW.isoformat(), "feedback": {"diagnosis": "x"}},
        {"status": "received", "at": "2026-11-20T09:00:00"},  # no offset
        {"status": "overdue", "at": NOW.isoformat()},  # not for facilities
    ):
        with pytest.raises(ValidationError):
            StatusChange.model_validate(body)


# -- any sequence of requests and redeliveries leaves a valid state --------------------------------
STATUSES = ("received", "attended", "completed", "cancelled")
ROLESETS = (DEST, ORIGIN, BOTH, frozenset())


class Lifecycle(RuleBasedStateMachine):
    """Drives ``decide`` the way the use case does, checking invariants after every step."""

    @initialize(due_days=st.integers(1, 30))
    def start(self, due_days: int) -> None:
        self.ref = Snapshot(status="made", made_at=MADE, due_at=MADE + timedelta(days=due_days))
        self.now = MADE + timedelta(minutes=10)
        self.cleared = False
        self.events: list[str] = []
        self.sent: list[Step] = []

    def apply(self, step: Step, roles: frozenset) -> None:
        outcome = lifecycle.decide(self.ref, step, roles, self.now)
        if outcome.kind != "applied":
            return
        if outcome.raise_overdue:
            self.events.append("overdue")
            self.ref = replace(self.ref, overdue=True)
        self.cleared = self.cleared or outcome.clear_overdue
        self.events.append(step.status)
        self.ref = replace(self.ref, status=step.status, steps={**self.ref.steps, step.status: step})
        self.sent.append(step)

    @rule(status=st.sampled_from(STATUSES), roles=st.sampled_from(ROLESETS),
          minutes_ago=st.integers(-10, 60 * 24 * 40), note=st.sampled_from([None, "n"]))
    def request(self, status: str, roles: frozenset, minutes_ago: int, note: str | None) -> None:
        at = max(self.now - timedelta(minutes=minutes_ago), MADE - timedelta(minutes=10))
        self.apply(Step(status, at, note, FEEDBACK if status == "completed" else None), roles)

    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        if self.sent:
            before = (self.ref, list(self.events))
            step = data.draw(st.sampled_from(self.sent))
            assert lifecycle.decide(self.ref, step, BOTH, self.now).kind == "replay"
            assert (self.ref, self.events) == before

    @rule(hours=st.integers(1, 24 * 20))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @invariant()
    def valid(self) -> None:
        if not hasattr(self, "ref"):
            return
        assert self.ref.status in lifecycle.STATES
        path = ["made"] + [e for e in self.events if e != "overdue"]
        assert all(lifecycle.can_transition(a, b) for a, b in zip(path, path[1:], strict=False))
        assert len(set(path)) == len(path)
        assert self.events.count("overdue") <= 1
        assert ("overdue" in self.events) == self.ref.overdue
        if self.ref.status == "completed":
            assert "attended" in self.ref.steps and self.ref.steps["completed"].feedback
        pairs = zip(path, path[1:], strict=False)
        settle = next((b for a, b in pairs if a in lifecycle.WAITING and b in lifecycle.SETTLING), None)
        if settle is not None:
            if self.ref.steps[settle].at > self.ref.due_at:
                assert self.ref.overdue  # settled late: the alarm was raised
            elif self.ref.overdue:
                assert self.cleared  # settled in time after an alarm (late sync): marked cleared


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
