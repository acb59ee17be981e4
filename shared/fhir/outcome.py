"""OperationOutcome issues and the transaction-response / batch-response Bundles.

An issue names the FHIRPath of its problem in ``expression`` (JSON element names, e.g.
``Bundle.entry[3].resource.valueQuantity.code``). Issue texts never quote a submitted value, so no
NIK or name can travel back in an answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_BUNDLE_BYTES = 5 * 1024 * 1024  # a larger body answers 413 (contracts.md: "documented size limit")
MAX_ENCOUNTERS = 500  # as many visits as one JSON batch; more answers 400 too-costly

STATUS_TEXT = {200: "200 OK", 201: "201 Created", 400: "400 Bad Request", 401: "401 Unauthorized",
               403: "403 Forbidden", 404: "404 Not Found", 409: "409 Conflict", 413: "413 Payload Too Large",
               422: "422 Unprocessable Entity"}


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome issue."""

    severity: str  # fatal | error | warning | information
    code: str  # FHIR issue-type: invalid, structure, required, value, not-found, not-supported, ...
    diagnostics: str
    expression: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"severity": self.severity, "code": self.code, "diagnostics": self.diagnostics}
        if self.expression:
            body["expression"] = [self.expression]
        return body

    @property
    def blocking(self) -> bool:
        return self.severity in ("fatal", "error")


def error(code: str, diagnostics: str, expression: str | None = None) -> Issue:
    return Issue("error", code, diagnostics, expression)


def warning(code: str, diagnostics: str, expression: str | None = None) -> Issue:
    return Issue("warning", code, diagnostics, expression)


def entry_path(index: int, *elements: str | int) -> str:
    """``Bundle.entry[index].resource`` followed by ``elements`` (ints become ``[i]``)."""
    return path(f"Bundle.entry[{index}].resource", *elements)


def path(base: str, *elements: str | int) -> str:
    text = base
    for element in elements:
        text += f"[{element}]" if isinstance(element, int) else f".{element}"
    return text


def from_loc(base: str, loc: Sequence[Any]) -> str:
    """A FHIRPath from a pydantic error location (``resource_type`` is ``resourceType``)."""
    parts = ["resourceType" if p == "resource_type" else p for p in loc if p != "__root__"]
    return path(base, *parts)


def operation_outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    """An OperationOutcome; at least one issue (FHIR requires one)."""
    listed = [i.as_dict() for i in issues] or [{"severity": "information", "code": "informational",
                                                "diagnostics": "all ok"}]
    return {"resourceType": "OperationOutcome", "issue": listed}


def too_large(size: int) -> dict[str, Any]:
    """The 413 answer for a body over ``MAX_BUNDLE_BYTES``."""
    return operation_outcome([error("too-costly", f"the body has {size} bytes; the limit is {MAX_BUNDLE_BYTES}")])


def unauthorised() -> dict[str, Any]:
    """The 401 answer: missing or invalid token."""
    return operation_outcome([Issue("error", "login", "missing or invalid bearer token")])


@dataclass(frozen=True)
class EntryAnswer:
    """The answer for one request entry: an HTTP status, an optional location and issues."""

    status: int
    location: str | None = None
    issues: tuple[Issue, ...] = ()


def response_bundle(bundle_type: str, answers: Sequence[EntryAnswer]) -> dict[str, Any]:
    """The ``transaction-response`` or ``batch-response`` of a request Bundle, one entry per request entry."""
    kind = "transaction-response" if bundle_type == "transaction" else "batch-response"
    entries = []
    for answer in answers:
        response: dict[str, Any] = {"status": STATUS_TEXT.get(answer.status, str(answer.status))}
        if answer.location:
            response["location"] = answer.location
        if answer.issues:
            response["outcome"] = operation_outcome(answer.issues)
        entries.append({"response": response})
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def transaction_failed(issues: Iterable[Issue]) -> dict[str, Any]:
    """The 400 answer of a transaction with any bad entry: every problem, nothing recorded."""
    listed = [i for i in issues if i.blocking]
    return operation_outcome(listed)


def errors_as_issues(errors: Iterable[dict[str, Any]], sources: dict[tuple[str, ...], str], fallback: str,
                     code: str = "invalid") -> list[Issue]:
    """Registration's field errors (``{"loc", "msg"}``) as issues at the FHIRPath each field came from."""
    issues = []
    for e in errors:
        loc = tuple(str(p) for p in e.get("loc", ()))
        where = fallback
        for n in range(len(loc), 0, -1):
            if loc[:n] in sources:
                where = sources[loc[:n]]
                break
        issues.append(error(code, f"{'.'.join(loc) or 'visit'}: {e.get('msg', 'invalid')}", where))
    return issues
