"""Structured logging with structlog: JSON lines, with the event id bound on every line.

``bind_event(event_id)`` puts the id in a context variable, so every line logged while that event
is handled carries it, whichever module logs. NIK and names are never logged: log ids only, and
error texts through ``shared.errors.safe_reason``; as a last line of defence every rendered line has
its runs of 16 digits (a NIK's shape) masked (:func:`mask_nik`).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

NIK_LIKE = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")


def mask_nik(_logger: object, _method: str, event: dict) -> dict:
    """structlog processor: any run of exactly 16 digits in a line's values becomes ``################``."""
    for key, value in event.items():
        if isinstance(value, str) and NIK_LIKE.search(value):
            event[key] = NIK_LIKE.sub("#" * 16, value)
    return event


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Route stdlib and structlog records through one JSON (or console) renderer."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        structlog.processors.format_exc_info,
        mask_nik,
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access", "httpx", "httpcore"):  # httpx: one line per internal call
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


@contextmanager
def bind_event(event_id: str | None) -> Iterator[None]:
    """Bind ``event_id`` to every log line inside the block."""
    with structlog.contextvars.bound_contextvars(event_id=event_id):
        yield
