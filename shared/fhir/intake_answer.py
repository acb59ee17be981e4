"""The answer to a posted Bundle: which visits to record, then the response Bundle or OperationOutcome.

``plan`` says what to record (nothing, for a transaction with any bad entry); ``respond`` turns
registration's per-visit outcomes (anything with ``status``, ``visit_id``, ``errors`` and
``forbidden``, e.g. ``services.registration.usecases.Outcome``) into the HTTP status and body:
a ``transaction-response`` or ``batch-response`` with one entry per request entry, or, for a
transaction that failed, ``400`` (``403`` when the token's scope was the problem) with an
OperationOutcome listing every problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.fhir.inbound import MappedVisit, Mapping
from shared.fhir.outcome import (
    EntryAnswer,
    Issue,
    entry_path,
    error,
    errors_as_issues,
    operation_outcome,
    response_bundle,
    transaction_failed,
)


class VisitOutcome(Protocol):
    visit_id: str | None
    status: str  # recorded | duplicate | rejected
    errors: list[dict]
    forbidden: bool


@dataclass(frozen=True)
class Plan:
    """What to record: the visit dicts, their mapped visits, and whether it is all or nothing."""

    visits: list[MappedVisit]
    all_or_nothing: bool
    answer: tuple[int, dict[str, Any]] | None = None  # set when nothing is to be recorded

    @property
    def raws(self) -> list[dict[str, Any]]:
        return [v.visit for v in self.visits if v.visit is not None]


def plan(mapping: Mapping) -> Plan:
    """The visits to record, or the answer when the Bundle is rejected whole."""
    if mapping.problems:
        return Plan([], True, (mapping.bundle.status, operation_outcome(mapping.problems)))
    transaction = mapping.bundle.type == "transaction"
    if transaction and mapping.blocking():
        return Plan([], True, (400, transaction_failed(mapping.blocking())))
    return Plan([v for v in mapping.visits if v.visit is not None], transaction)


def _outcome_issues(visit: MappedVisit, outcome: VisitOutcome) -> list[Issue]:
    code = "forbidden" if outcome.forbidden else "invalid"
    return errors_as_issues(outcome.errors, visit.sources, visit.expression, code)


def _status_of(outcome: VisitOutcome) -> int:
    if outcome.status == "recorded":
        return 201
    if outcome.status == "duplicate":
        return 200
    if outcome.forbidden:
        return 403
    if any(list(e.get("loc", ())) == ["visit_id"] for e in outcome.errors):
        return 409
    return 422


def respond(mapping: Mapping, chosen: Plan, outcomes: Sequence[VisitOutcome]) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body after recording ``chosen.visits`` with these ``outcomes`` (same order)."""
    if chosen.answer is not None:
        return chosen.answer
    by_encounter = {v.index: o for v, o in zip(chosen.visits, outcomes)}
    if chosen.all_or_nothing and any(o.status == "rejected" for o in outcomes):
        issues = [i for v, o in zip(chosen.visits, outcomes) if o.status == "rejected" for i in _outcome_issues(v, o)]
        return (403 if any(o.forbidden for o in outcomes) else 400), transaction_failed(issues)
    answers: dict[int, list[EntryAnswer]] = {}
    invalid = {e.index for e in mapping.bundle.entries if e.issues}
    for visit in mapping.visits:
        outcome = by_encounter.get(visit.index)
        if outcome is None:
            status = 400 if visit.entries & invalid else 422
            issues = visit.issues
        else:
            status, issues = _status_of(outcome), list(visit.issues)
            if outcome.status == "rejected":
                issues += _outcome_issues(visit, outcome)
        location = f"Encounter/{outcome.visit_id}" if outcome is not None and status in (200, 201) else None
        for index in sorted(visit.entries):
            own = issues if index == visit.index else [i for i in issues if _within(i, index)]
            if status >= 400 and not own:
                own = [error("processing", f"not recorded: its visit ({entry_path(visit.index)}) was not",
                             entry_path(index))]
            answers.setdefault(index, []).append(EntryAnswer(status, location if index == visit.index else None,
                                                             tuple(own)))
    for index, issues in mapping.unused.items():
        blocking = [i for i in issues if i.blocking]
        status = (400 if index in invalid else 422) if blocking else 200
        answers[index] = [EntryAnswer(status, None, tuple(issues))]
    entries = [_merge(answers.get(e.index, [EntryAnswer(200)])) for e in mapping.bundle.entries]
    return 200, response_bundle(mapping.bundle.type or "batch", entries)


def _within(issue: Issue, index: int) -> bool:
    prefix = entry_path(index)
    return bool(issue.expression) and (issue.expression == prefix or issue.expression.startswith(prefix + ".")
                                       or issue.expression.startswith(prefix + "["))


def _merge(answers: list[EntryAnswer]) -> EntryAnswer:
    """A resource shared by several visits (their Patient): created if any was, else the first answer."""
    if len(answers) == 1:
        return answers[0]
    for wanted in (201, 200):
        for a in answers:
            if a.status == wanted:
                return a
    return answers[0]
