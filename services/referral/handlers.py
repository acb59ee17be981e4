"""Referral's adapters: consumers (network, tokens, risks, links) and the status HTTP API."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timezone
from typing import Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from services.referral import usecases
from services.referral.settings import ReferralSettings
from shared.contracts.events import FacilityRegistered, FacilityTokenChanged, PersonLinked, RiskDetected
from shared.messaging.consumer import Reject, Unit
from shared.service import Service


def _data(unit: Unit, kind: type):
    data = unit.message.body.data
    if not isinstance(data, kind):
        raise Reject(f"unexpected event type {unit.message.body.type}")
    return data


async def on_facility(unit: Unit) -> None:
    """Keep the local copy of the facility network."""
    await usecases.upsert_facility(unit, _data(unit, FacilityRegistered))


async def on_token(unit: Unit) -> None:
    """Keep facility token hashes for the status API."""
    await usecases.upsert_token(unit, _data(unit, FacilityTokenChanged))


def on_risk(settings: ReferralSettings):
    async def handle(unit: Unit) -> None:
        """Decide whether a detected risk needs a referral, and where."""
        await usecases.on_risk(unit, _data(unit, RiskDetected), settings)

    return handle


async def on_person_linked(unit: Unit) -> None:
    """Follow a child's id change."""
    await usecases.relink(unit, _data(unit, PersonLinked))


def overdue_loop(service: Service, settings: ReferralSettings):
    async def run() -> None:
        while True:
            await asyncio.sleep(settings.overdue_check_seconds)
            try:
                async with service.transaction() as unit:
                    await usecases.mark_overdue(unit, datetime.now(timezone.utc))
            except Exception:  # noqa: BLE001 - the next round retries
                pass

    return run


class StatusChange(BaseModel):
    """``POST /v1/referrals/{id}/events`` body."""

    status: Literal["received", "attended", "completed", "cancelled"]
    at: AwareDatetime
    note: str | None = Field(default=None, max_length=2000)
    feedback: dict[str, Any] | None = None


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["referrals"])

    async def facility_of(unit: Unit, authorization: str | None) -> str | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        token = authorization.split(" ", 1)[1].strip()
        return await usecases.token_facility(unit, hashlib.sha256(token.encode()).hexdigest())

    @api.post("/referrals/{referral_id}/events", status_code=200)
    async def post_event(referral_id: str, body: StatusChange, authorization: str | None = Header(default=None)) -> JSONResponse:
        """A facility moves a referral along; an impossible transition answers 409."""
        async with service.transaction() as unit:
            facility = await facility_of(unit, authorization)
            if facility is None:
                return JSONResponse({"errors": [{"loc": ["header", "authorization"], "msg": "missing or invalid token"}]}, 401)
            try:
                result = await usecases.change_status(unit, referral_id, status=body.status, at=body.at,
                                                      facility_id=facility, note=body.note, feedback=body.feedback)
            except LookupError:
                return JSONResponse({"errors": [{"loc": ["path", "referral_id"], "msg": "unknown referral"}]}, 404)
            except PermissionError:
                return JSONResponse({"errors": [{"loc": ["header", "authorization"], "msg": "not the origin or destination"}]}, 403)
            except usecases.TransitionError as exc:
                return JSONResponse({"errors": [{"loc": ["body", "status"], "msg": f"impossible from {exc.current}"}],
                                     "current_status": exc.current}, 409)
        return JSONResponse(result)

    @api.get("/referrals")
    async def list_referrals(status: str | None = None, authorization: str | None = Header(default=None)) -> JSONResponse:
        """Referrals the token's facility sent or must receive."""
        async with service.transaction() as unit:
            facility = await facility_of(unit, authorization)
            if facility is None:
                return JSONResponse({"errors": [{"loc": ["header", "authorization"], "msg": "missing or invalid token"}]}, 401)
            items = await usecases.list_referrals(unit, facility, status)
        return JSONResponse({"referrals": items})

    return api
