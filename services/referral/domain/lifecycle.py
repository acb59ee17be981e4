"""The referral lifecycle: states, who may move them, deadlines and the overdue rule.

    made -> received -> attended -> completed (with rujuk balik feedback)
    made -> attended (the person arrives before the destination acknowledged)
    made | received | attended -> cancelled

``overdue`` is not a state but a flag on a referral that was still waiting (made or received) at
its ``due_at``, in event time. It is raised once, either by the checker when the wall clock is past
``due_at + grace`` and the referral is still waiting, or by a late ``attended``/``cancelled`` whose
``at`` is after ``due_at``. A waiting referral settled with ``at <= due_at`` after the alarm (a
late sync) is marked ``overdue_cleared``; the alarm event itself stays in the event history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, get_args

from shared.contracts.events import ReferralStatus, Severity

STATES = tuple(s for s in get_args(ReferralStatus) if s != "overdue")  # overdue is a flag on a state
TRANSITIONS: dict[str, frozenset[str]] = {
    "made": frozenset({"received", "attended", "cancelled"}),
    "received": frozenset({"attended", "cancelled"}),
    "attended": frozenset({"completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
OPEN = frozenset({"made", "received", "attended"})  # a repeated detection attaches to these
WAITING = frozenset({"made", "received"})  # the overdue clock runs in these
SETTLING = frozenset({"attended", "cancelled"})  # these stop the overdue clock
TERMINAL = frozenset({"completed", "cancelled"})
ROLES: dict[str, frozenset[str]] = {  # who may request each status
    "received": frozenset({"destination"}),
    "attended": frozenset({"destination"}),
    "completed": frozenset({"destination"}),
    "cancelled": frozenset({"origin", "destination"}),
}
SEVERITY_ORDER = get_args(Severity)
DEFAULT_DEADLINE_DAYS: dict[str, float] = {"emergency": 1, "high": 3, "moderate": 7, "low": 30}
CLOCK_TOLERANCE = timedelta(minutes=5)


def can_transition(current: str, new: str) -> bool:
    """Whether ``current -> new`` is a legal lifecycle step."""
    return new in TRANSITIONS.get(current, frozenset())


def due_at(made_at: datetime, urgency: str, deadline_days: Mapping[str, float]) -> datetime:
    """When a referral must have been attended: ``made_at`` (event time) plus the urgency's deadline."""
    return made_at + timedelta(days=deadline_days[urgency])


def more_urgent(a: str, b: str) -> str:
    """The more urgent of two severities."""
    return max(a, b, key=SEVERITY_ORDER.index)


@dataclass(frozen=True)
class Step:
    """One recorded status change."""

    status: str
    at: datetime
    note: str | None = None
    feedback: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Snapshot:
    """What the lifecycle needs of a stored referral."""

    status: str
    made_at: datetime
    due_at: datetime
    overdue: bool = False
    steps: Mapping[str, Step] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What a requested change leads to; ``kind`` maps to the HTTP answer."""

    kind: str  # applied (200) | replay (200) | forbidden (403) | conflict (409) | invalid (422)
    message: str = ""
    raise_overdue: bool = False  # emit the overdue alarm (with at = due_at) before the change
    clear_overdue: bool = False  # settled in time after an alarm from a late sync


def same_step(a: Step, b: Step) -> bool:
    """Whether two requests are the same (a retried POST): status, instant, note, feedback."""
    def key(s: Step) -> tuple:
        return s.status, s.at, s.note or None, dict(s.feedback or {})

    return key(a) == key(b)


def decide(ref: Snapshot, step: Step, roles: frozenset[str], now: datetime) -> Outcome:
    """Judge a facility's request ``step`` made with ``roles`` (origin and/or destination)."""
    if not roles:
        return Outcome("forbidden", "the token's facility is neither the origin nor the destination")
    if not roles & ROLES[step.status]:
        who = " or ".join(sorted(ROLES[step.status]))
        return Outcome("forbidden", f"only the {who} may set {step.status}")
    earlier = ref.steps.get(step.status)
    if earlier is not None:
        if same_step(earlier, step):
            return Outcome("replay")
        return Outcome("conflict", f"already {step.status} with other details; now {ref.status}")
    if not can_transition(ref.status, step.status):
        return Outcome("conflict", f"impossible from {ref.status}")
    if step.at > now + CLOCK_TOLERANCE:
        return Outcome("invalid", "at is in the future")
    if step.at < ref.made_at - CLOCK_TOLERANCE:
        return Outcome("invalid", "at is before the referral was made")
    settling = step.status in SETTLING and ref.status in WAITING
    return Outcome(
        "applied",
        raise_overdue=settling and step.at > ref.due_at and not ref.overdue,
        clear_overdue=settling and step.at <= ref.due_at and ref.overdue,
    )


def overdue_cutoff(now: datetime, grace: timedelta) -> datetime:
    """The checker flags waiting referrals whose ``due_at`` is before this instant."""
    return now - grace
