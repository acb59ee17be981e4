"""Screening's admin command: ``jejaring screening evaluate`` runs the service's rules on intake
visits given as JSON lines, one result line each (the contract's output shape)."""

from __future__ import annotations

import json
from typing import TextIO

from services.screening.domain import evaluate_line


def evaluate(lines: TextIO, out: TextIO) -> int:
    """Evaluate every non-empty line of ``lines``; write one JSON result line each to ``out``."""
    for line in lines:
        if line.strip():
            out.write(json.dumps(evaluate_line(line), ensure_ascii=False) + "\n")
    return 0
