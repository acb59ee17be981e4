"""The signal lifecycle (contract "Outbreak signals").

    signalled -> verified -> closed            (investigation started, then closed)
    signalled -> closed                         (a false alarm dismissed directly)
    signalled -> escalated -> verified -> closed (automatic, 24 h after the signal was raised)

``escalated`` is set only by the clock, never by a request. ``outcome`` (``outbreak`` |
``false_alarm``) is required with ``closed`` and only there (422); any other step is a conflict
(409). The escalation deadline counts from ``raised_at``, the wall clock when the signal was
raised, not from the visits' event time: a signal raised today by a late report for a past week
still gets its full 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import get_args

from shared.contracts.events import SignalStatus
from shared.contracts.signal_requests import step_errors

STATUSES = get_args(SignalStatus)
TRANSITIONS: dict[str, frozenset[str]] = {
    "signalled": frozenset({"verified", "closed", "escalated"}),
    "escalated": frozenset({"verified"}),
    "verified": frozenset({"closed"}),
    "closed": frozenset(),
}
OPEN = frozenset({"signalled", "escalated", "verified"})
ESCALATION_HOURS = 24.0


def escalate_at(raised_at: datetime, hours: float = ESCALATION_HOURS) -> datetime:
    """When an unverified signal is escalated."""
    return raised_at + timedelta(hours=hours)


def due_for_escalation(status: str, escalate_at_: datetime, now: datetime) -> bool:
    """Whether the clock escalates a signal at ``now``."""
    return status == "signalled" and now >= escalate_at_


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True)
class Request:
    """A requested step on a signal; ``request_id`` makes a retried request recognisable."""

    status: str
    outcome: str | None = None
    note: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a request leads to; ``kind`` maps to the HTTP answer."""

    kind: str  # applied (200) | replay (200, unchanged) | conflict (409) | invalid (422) | forbidden (403)
    message: str = ""


def decide(current: str, request: Request, earlier_request_id: str | None = None) -> Outcome:
    """Judge ``request`` on a signal in state ``current``.

    ``earlier_request_id`` is the request id recorded with the step ``request.status`` if that step
    was already taken: the same id again is a retry (answered as applied, nothing changes).
    """
    errors = step_errors(request.status, request.outcome)
    if errors:
        return Outcome("invalid", errors[0][1])
    if request.request_id is not None and earlier_request_id == request.request_id:
        return Outcome("replay")
    if not can_transition(current, request.status):
        return Outcome("conflict", f"{request.status} is impossible from {current}")
    return Outcome("applied")
