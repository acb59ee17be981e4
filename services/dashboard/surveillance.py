"""The client of surveillance's internal API (``/internal/v1``, docs/surveillance.md section 6).

The dashboard authenticates the person; surveillance, the owner of the signal lifecycle, judges
every step. One ``httpx.AsyncClient`` is kept for the life of the service (``hold`` is a service
task that closes it on stop). An unreachable surveillance raises :class:`Unreachable` (the routes
answer 503); every answer, whatever its status, is returned as it came.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from services.dashboard.settings import DashboardSettings

HEADER = "X-Jejaring-Internal-Token"


# Idle connections are dropped before surveillance's server closes them (uvicorn: 5 s), so a request is
# seldom sent on a connection being closed at that moment; httpx's own expiry is the same 5 s.
LIMITS = httpx.Limits(keepalive_expiry=2.0)


class Unreachable(Exception):
    """Surveillance did not answer (refused, timed out, or answered with garbage)."""


@dataclass(frozen=True)
class Answer:
    """Surveillance's status and JSON body."""

    status: int
    body: Any


class Surveillance:
    """Calls to surveillance's internal API with the shared secret."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {HEADER: token} if token else {}
        self.timeout = timeout
        self.transport = transport
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_settings(cls, settings: DashboardSettings) -> Surveillance:
        token = settings.internal_token.get_secret_value() if settings.internal_token else None
        return cls(settings.surveillance_url, token, timeout=settings.surveillance_timeout_seconds)

    def client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=self.timeout,
                                             transport=self.transport, limits=LIMITS)
        return self._client

    async def act(self, signal_id: str, body: dict[str, Any]) -> Answer:
        """Forward an admin's step (:meth:`_twice`: a second time with the same ``request_id``, which
        surveillance answers as applied without changing anything if the first did arrive)."""
        return await self._twice("POST", f"/internal/v1/signals/{signal_id}/events", json=body)

    async def curve(self, params: dict[str, Any]) -> Answer:
        """The weekly counts and thresholds of one disease in one area."""
        return await self._twice("GET", "/internal/v1/curves", params=params)

    async def _twice(self, method: str, path: str, **kwargs: Any) -> Answer:
        """A call sent at most twice: a second time only when the first never got an answer because
        the connection was refused or closed under it (a kept-alive connection surveillance's server
        had just closed, or a restart)."""
        try:
            return await self._call(method, path, **kwargs)
        except Unreachable as first:
            if not isinstance(first.__cause__, (httpx.ConnectError, httpx.RemoteProtocolError)):
                raise
            await asyncio.sleep(0.2)
            return await self._call(method, path, **kwargs)

    async def _call(self, method: str, path: str, **kwargs: Any) -> Answer:
        try:
            response = await self.client().request(method, path, **kwargs)
            return Answer(response.status_code, response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise Unreachable(f"surveillance did not answer {method} {path}: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def hold(self) -> None:
        """A service task: keeps nothing running, closes the client when the service stops."""
        try:
            await asyncio.Event().wait()
        finally:
            await self.aclose()
