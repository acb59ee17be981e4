"""Secrets of one installation, generated once under ``var/`` when none is configured.

Outside production a deployment must never run on a public default: a secret that is not
configured is generated on first use, written to ``<var_dir>/<name>`` (mode 0600, created
atomically so concurrent processes agree) and reused by every service and command of that
installation. Its creation is said once, in the log. In production a missing secret refuses start.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)


class MissingSecret(RuntimeError):
    """A secret that production must be given and was not."""


def installation_secret(var_dir: Path, name: str) -> str:
    """The installation's secret ``name``: read from ``var_dir/name``, created there when absent."""
    path = Path(var_dir) / name
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of this installation created it first
        return _read(path)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    log.warning("generated a new installation secret", extra={"secret": name, "path": str(path)})
    return value


def _read(path: Path) -> str:
    for _ in range(50):  # a file just created by another process may still be empty for a moment
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
    raise RuntimeError(f"secret file {path} is empty")
