"""Bearer tokens, the same in every service: parsing, hashing, ids, expiry, failure limits.

Tokens are random strings shown once when issued; services keep only their SHA-256 hash, with a
public id (``tok_…``, what operators list and revoke), a kind (facility, viewer, admin), a scope
and an expiry. Session ids of the dashboard are hashed the same way.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from shared.time import utc


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token (or a session id) is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


# -- token lifecycle -------------------------------------------------------------------------------

TokenKind = Literal["facility", "viewer", "admin"]
PREFIXES: dict[str, str] = {"facility": "jjf_", "viewer": "jjv_", "admin": "jja_"}
ID_PREFIX = "tok_"
DEFAULT_TTL_DAYS = 365


def new_token(kind: TokenKind) -> tuple[str, str]:
    """``(token_id, token)`` for a new token of ``kind``: the id is public, the token secret."""
    return ID_PREFIX + secrets.token_hex(8), PREFIXES[kind] + secrets.token_urlsafe(32)


def is_token_id(text: str) -> bool:
    """Whether ``text`` is a token's public id (``tok_`` and 16 hex digits) rather than a token."""
    rest = text[len(ID_PREFIX):]
    return text.startswith(ID_PREFIX) and len(rest) == 16 and all(c in "0123456789abcdef" for c in rest)


def expiry(created_at: datetime, ttl_days: float) -> datetime:
    """When a token issued at ``created_at`` for ``ttl_days`` stops being accepted."""
    return created_at + timedelta(days=ttl_days)


def usable(expires_at: datetime | None, revoked_at: datetime | None, now: datetime) -> bool:
    """A token is accepted until it expires or is revoked (a token without expiry never expires)."""
    return revoked_at is None and (expires_at is None or utc(expires_at) > now)


class FailureLimiter:
    """Failed sign-ins and token checks per client, in a sliding window: too many and the client is
    refused (``429``) until the window has passed. Bounded: at most ``max_clients`` are tracked."""

    def __init__(self, max_failures: int = 20, window_seconds: float = 60.0, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.max_clients = max_clients
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.get(client)
        if failures is None:
            return deque()
        cutoff = self.clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures

    def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may try again, or None when it is not blocked."""
        failures = self._recent(client)
        if len(failures) < self.max_failures:
            return None
        return max(failures[0] + self.window - self.clock(), 0.0) or None

    def failed(self, client: str) -> None:
        """Count one failure of ``client``."""
        failures = self._failures.setdefault(client, deque())
        self._recent(client)
        failures.append(self.clock())
        self._failures.move_to_end(client)
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)
