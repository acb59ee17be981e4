"""A person's requested step on an outbreak signal: the body of the dashboard's
``POST /v1/signals/<id>/events``, forwarded to surveillance's internal API, which both check alike.

Only the body is judged here (the 422 cases); whether the step is possible from the signal's state
is surveillance's lifecycle to judge (409).
"""

from __future__ import annotations

from typing import get_args

from shared.contracts.events import SignalOutcome

REQUESTABLE = ("verified", "closed")
OUTCOMES = get_args(SignalOutcome)


def step_errors(status: object, outcome: object) -> list[tuple[str, str]]:
    """Field errors ``(field, message)`` of a requested step; empty when the body is well formed."""
    if status not in REQUESTABLE:
        return [("status", f"status must be one of {', '.join(REQUESTABLE)}")]
    if outcome is not None and outcome not in OUTCOMES:
        return [("outcome", f"outcome must be one of {', '.join(OUTCOMES)}")]
    if status == "closed" and outcome is None:
        return [("outcome", "outcome (outbreak or false_alarm) is required with closed")]
    if status != "closed" and outcome is not None:
        return [("outcome", "outcome is only given with closed")]
    return []
