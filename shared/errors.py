"""What an error may say once it leaves a process: its kind and a message without personal data.

SQLAlchemy's error text carries the statement's parameters (``hide_parameters`` is set on every
engine, ``shared.db``), and PostgreSQL adds a ``DETAIL`` line with the offending values (``Key
(nik)=(...)``); an arbitrary exception may quote whatever it was given. Every error text that goes
into a dead letter's headers, a log line or an HTTP answer is made by :func:`safe_reason`.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError

INFRA_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
_QUOTED = re.compile(r"""'[^']*'|"[^"]*"|\([^()]*\)=\([^()]*\)""")
_LONG_DIGITS = re.compile(r"\d{6,}")
MAX_REASON = 500


def is_infra_error(exc: BaseException) -> bool:
    """True for failures of the database or network, which no retry of one message can cure."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, INFRA_ERRORS)


def scrub(text: str) -> str:
    """``text`` without quoted values, ``(column)=(value)`` pairs and long digit runs (NIKs)."""
    return _LONG_DIGITS.sub("#", _QUOTED.sub("…", text))


def safe_reason(exc: BaseException) -> str:
    """A one-line description of ``exc`` that names the problem but no value that caused it."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and type(exc).__module__.startswith("shared"):
        return reason[:MAX_REASON]  # the project's own messages (Reject, EnvelopeError) hold no values
    if isinstance(exc, ValidationError):
        from shared.envelope import validation_reason

        return validation_reason(exc)[:MAX_REASON]
    if isinstance(exc, StatementError):
        orig = exc.orig if exc.orig is not None else exc
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
        return f"{type(orig).__name__}: {scrub(first)}"[:MAX_REASON]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {scrub(text)}".rstrip(": ")[:MAX_REASON]
