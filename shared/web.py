"""The HTTP side every service shares: the FastAPI app around a ``Service`` and its dependencies.

``http_app`` adds ``/healthz``, ``/readyz`` and ``/metrics`` and the contract's error shape
(``{"errors": [{"loc", "msg"}]}``) to a service's own routers. A service's ``http.py`` declares
module-level routes that reach the running service through FastAPI dependencies:
``ServiceDep`` (the ``Service``), ``ReadSession`` (a read-only database session) and the service's
own aliases for its token and scope.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Annotated, Any, TypeVar

import pydantic_core
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import FailureLimiter, bearer
from shared.errors import safe_reason
from shared.observability import install_observability
from shared.service import Service

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_BODY_BYTES = 5 * 1024 * 1024  # the documented request size limit (docs/intake.md): 413 above it


class HTTPError(Exception):
    """Raised by a route or dependency: answered in the contract's error shape."""

    def __init__(self, status: int, loc: list[str], msg: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(msg)
        self.status, self.loc, self.msg, self.headers, self.extra = status, loc, msg, headers, extra

    def response(self) -> JSONResponse:
        return error(self.status, self.loc, self.msg, headers=self.headers, **self.extra)


class LargeJSONResponse(JSONResponse):
    """A JSON response serialised by pydantic-core (Rust) instead of the standard library's encoder:
    the same compact UTF-8 JSON for dicts, lists, strings and numbers, ~5x faster on a large answer
    (a province's PWS, 244 KB: 1.8 ms against 9.6 ms, measured 2026-12-01). A NaN or infinity (none
    is produced: a percentage without a denominator is None) would be written as null, still JSON."""

    def render(self, content: Any) -> bytes:
        return pydantic_core.to_json(content, inf_nan_mode="null")


def error(status: int, loc: list[str], msg: str, *, headers: dict[str, str] | None = None,
          **extra: Any) -> JSONResponse:
    """An error answer in the contract's shape."""
    return JSONResponse({"errors": [{"loc": loc, "msg": msg}], **extra}, status, headers=headers)


def unauthorised(msg: str = "missing or invalid token") -> JSONResponse:
    """``401`` for a missing, unknown, expired or revoked token."""
    return error(401, ["header", "authorization"], msg)


def client_of(request: Request) -> str:
    """The client a failure is counted against: its address as the server sees it."""
    return request.client.host if request.client else "unknown"


async def authenticate(request: Request, lookup: Callable[[str], Awaitable[T | None]]) -> T:
    """What ``lookup`` finds for the request's bearer token; ``401`` without a valid one.

    Failed checks are counted per client (``shared.auth.FailureLimiter``): beyond the limit a failed
    check answers ``429`` with ``Retry-After``. A valid token always passes, so the facility systems
    that share one address (a Puskesmas behind one NAT) are not locked out by a neighbour guessing.
    """
    token = bearer(request.headers.get("authorization"))
    found = await lookup(token) if token else None
    if found is not None:
        return found
    refuse_failure(request, ["header", "authorization"], "too many failed token checks; try again later")
    raise HTTPError(401, ["header", "authorization"], "missing or invalid token")


def refuse_failure(request: Request, loc: list[str], msg: str) -> None:
    """Count one failed check of the request's client; raise ``429`` once it is over the limit."""
    limiter: FailureLimiter = request.app.state.limiter
    client = client_of(request)
    limiter.failed(client)
    wait = limiter.retry_after(client)
    if wait is not None:
        raise HTTPError(429, loc, msg, headers={"Retry-After": str(math.ceil(wait))})


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, read only up to ``limit`` bytes: ``413`` beyond it."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPError(413, ["body"], f"request body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPError(413, ["body"], f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """The request body as JSON: ``413`` above ``limit``, ``422`` when it is not JSON (or nested too
    deeply to parse)."""
    body = await read_body(request, limit)
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise HTTPError(422, ["body"], f"body is not JSON: {safe_reason(exc)}") from None


def json_body(schema: dict[str, Any] | type[BaseModel], description: str = "") -> dict[str, Any]:
    """``openapi_extra`` declaring a JSON request body that the route reads itself (after its token
    check, with :func:`read_json`); a pydantic model's schema is inlined (no ``$defs``)."""
    if isinstance(schema, type):
        schema = _inline(schema.model_json_schema())
    if description:
        schema = {**schema, "description": description}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def service_of(request: Request) -> Service:
    """The running service of the app that serves ``request``."""
    return request.app.state.service


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session on the service's database, closed after the request."""
    async with request.app.state.service.db.read_session() as session:
        yield session


ServiceDep = Annotated[Service, Depends(service_of)]
ReadSession = Annotated[AsyncSession, Depends(read_session)]


def http_app(service: Service, routers: Iterable[APIRouter] = (), *, title: str | None = None,
             state: dict[str, Any] | None = None) -> FastAPI:
    """FastAPI around a Service: lifespan, health, readiness, metrics, and the service's routes.

    ``state`` is put on ``app.state`` for the service's dependencies (e.g. its use-case objects).
    """

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title=title or f"Jejaring {service.name}", version=service.version, lifespan=lifespan)
    app.state.service = service
    app.state.limiter = FailureLimiter()
    for name, value in (state or {}).items():
        setattr(app.state, name, value)
    app.add_middleware(InternalErrors)
    observability = install_observability(service, app, gauges=service.gauges)
    for processor in service.processors:
        processor.on_applied = observability.event_applied

    @app.exception_handler(HTTPError)
    async def contract_error(_request: Request, exc: HTTPError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def contract_errors(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """Every 422 has the contract's shape: ``{"errors": [{"loc", "msg"}]}``."""
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return JSONResponse({"errors": errors}, 422)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok", "service": service.name}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        """Broker and database reachable."""
        problems = await service.readiness()
        status = 200 if not problems else 503
        return JSONResponse({"status": "ready" if not problems else "not ready", "problems": problems}, status)

    @app.get("/metrics", tags=["ops"])
    async def metrics(request: Request) -> Response:
        """Prometheus text format; ``?name[]=<metric>`` (repeatable) returns only those metrics, as
        Prometheus' own exposition handlers do, so a frequent poller pays for what it reads."""
        names = request.query_params.getlist("name[]")
        registry = service.metrics.registry.restricted_registry(names) if names else service.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app


class InternalErrors:
    """Answers an unexpected exception with ``500`` in the contract's shape and logs it without the
    exception's text beyond :func:`shared.errors.safe_reason` (no traceback with SQL parameters,
    NIK or names reaches the server's log)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:  # noqa: BLE001 - answered and logged without personal data
            log.error("request failed", extra={"path": scope.get("path"), "error": safe_reason(exc)})
            if not started:
                await error(500, [], "internal error; the request was not completed")(scope, receive, send)
