"""Recording visits: validate, resolve the person, store, emit *visit recorded* — per item.

The HTTP intake (single visits through the coalescer, batches) and the Kafka intake call these
with the same validation. Every item gets its own answer: ``recorded``, ``duplicate`` (the same
``visit_id`` from the same facility), or ``rejected`` with field-level errors — ``forbidden``
(facility outside the token's scope: 403) and ``conflict`` (the ``visit_id`` is another facility's:
409) are kinds of rejection. :meth:`Registrar.record_each` gives each item its answer even when a
neighbour in the same transaction makes the database fail.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration import domain, models
from services.registration.settings import RegistrationSettings
from services.registration.usecases.registry import FacilityRegistry
from shared.contracts.events import FacilityRegistered, PersonLinked
from shared.contracts.intake import IntakeVisit
from shared.errors import is_infra_error, safe_reason
from shared.regions import RegionIndex
from shared.time import utc
from shared.unit import Unit

_NS = uuid.UUID("6f1f8f5e-3c2a-4b59-9a3e-5b8f0e2d7c11")
Transaction = Callable[[], AbstractAsyncContextManager[Unit]]


@dataclass
class Outcome:
    """The answer for one submitted visit."""

    visit_id: str | None
    status: str  # recorded | duplicate | rejected
    person_id: str | None = None
    errors: list[dict] = field(default_factory=list)
    forbidden: bool = False  # rejected: facility outside the token's scope (403)
    conflict: bool = False  # rejected: visit_id already used by another facility (409)
    failed: bool = False  # rejected: could not be stored, not the sender's fault (500)

    def as_dict(self) -> dict:
        body: dict[str, Any] = {"visit_id": self.visit_id, "status": self.status}
        if self.person_id:
            body["person_id"] = self.person_id
        if self.errors:
            body["errors"] = self.errors
        return body


def _errors_of(exc: ValidationError) -> list[dict]:
    return [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors(include_url=False, include_input=False)]


def _raw_visit_id(raw: Any) -> str | None:
    visit_id = raw.get("visit_id") if isinstance(raw, dict) else None
    return visit_id[:64] if isinstance(visit_id, str) else None


class Registrar:
    """Records visits: validate, resolve the person, store, emit ``visit recorded``."""

    def __init__(self, settings: RegistrationSettings, regions: RegionIndex) -> None:
        self.settings = settings
        self.regions = regions
        self.secret = settings.person_id_key()
        self.facilities = FacilityRegistry()

    async def record(self, unit: Unit, raw: Any, *, token_facility: str | None) -> Outcome:
        """Validate and record one visit; never raises for bad input."""
        return (await self.record_many(unit, [raw], token_facility=token_facility))[0]

    async def record_many(
        self, unit: Unit, raws: list[Any], *, token_facility: str | None | list[str | None]
    ) -> list[Outcome]:
        """Validate and record visits in order, with set-based SQL; one outcome per item.

        ``token_facility`` is the submitting token's facility (None: trusted Kafka intake), or one
        per item when requests of several tokens are recorded together. The same ``visit_id`` twice
        (in the database or earlier in the list) is a duplicate, or a conflict when the facility
        differs; a person seen twice keeps the values of their latest visit.
        """
        now = datetime.now(timezone.utc)
        scopes = token_facility if isinstance(token_facility, list) else [token_facility] * len(raws)
        outcomes: list[Outcome | None] = []
        accepted: list[tuple[int, IntakeVisit, FacilityRegistered, list[str]]] = []
        for index, raw in enumerate(raws):
            checked = await self._check(unit.session, raw, scopes[index], now)
            if isinstance(checked, Outcome):
                outcomes.append(checked)
            else:
                outcomes.append(None)
                accepted.append((index, *checked))
        if accepted:
            await self._store(unit, accepted, outcomes, now)
        return [o for o in outcomes if o is not None]

    async def record_each(self, transaction: Transaction, raws: list[Any],
                          scopes: list[str | None]) -> list[Outcome]:
        """:meth:`record_many` in one transaction; if the database fails it for a reason other than
        being unreachable, try once more (a concurrent replica's insert passes), then split the
        items in two and record each half alone, down to single items: one bad item never costs
        its neighbours their answer."""
        for _attempt in range(2):
            try:
                async with transaction() as unit:
                    return await self.record_many(unit, raws, token_facility=scopes)
            except Exception as exc:  # noqa: BLE001 - narrowed down below, infrastructure excepted
                if is_infra_error(exc):
                    raise
                reason = safe_reason(exc)
        if len(raws) == 1:
            return [Outcome(_raw_visit_id(raws[0]), "rejected", failed=True,
                            errors=[{"loc": [], "msg": f"the visit could not be recorded ({reason})"}])]
        half = len(raws) // 2
        return (await self.record_each(transaction, raws[:half], scopes[:half])
                + await self.record_each(transaction, raws[half:], scopes[half:]))

    async def _check(self, session: AsyncSession, raw: Any, token_facility: str | None, now: datetime):  # noqa: ANN202
        """An ``Outcome`` for a rejected visit, else ``(visit, facility, warnings)``."""
        try:
            visit = IntakeVisit.model_validate(raw)
        except ValidationError as exc:
            return Outcome(_raw_visit_id(raw), "rejected", errors=_errors_of(exc))
        errors = domain.check_time(visit, now, timedelta(seconds=self.settings.future_tolerance_seconds))
        facility = await self.facilities.get(session, visit.facility_id)
        if facility is None:
            errors.append(domain.FieldError(("facility_id",), f"unknown facility {visit.facility_id}"))
        elif token_facility is not None and not domain.in_scope(
                token_facility, await self.facilities.chain(session, visit.facility_id)):
            return Outcome(str(visit.visit_id), "rejected", forbidden=True,
                           errors=[{"loc": ["facility_id"], "msg": "facility outside the token's scope"}])
        if visit.person.village_code not in self.regions:
            errors.append(domain.FieldError(("person", "village_code"), "unknown village_code"))
        warnings: list[str] = []
        person = visit.person
        today = visit.occurred_at.date()
        if person.nik:
            e, w = domain.check_nik(person.nik, ("person", "nik"), self.regions, birth_date=person.birth_date,
                                    sex=person.sex, today=today)
            errors += e
            warnings += w
        if person.mother_nik:
            e, _ = domain.check_nik(person.mother_nik, ("person", "mother_nik"), self.regions, birth_date=None,
                                    sex="F", today=today)
            errors += e
        if errors:
            return Outcome(str(visit.visit_id), "rejected", errors=[e.as_dict() for e in errors])
        return visit, facility, warnings

    def _person_id(self, visit: IntakeVisit) -> str:
        p = visit.person
        if p.nik:
            return domain.person_id_for_nik(p.nik, self.secret)
        return domain.provisional_child_id(p.mother_nik or "", p.birth_date, p.sex, self.secret)

    async def _known_persons(self, session: AsyncSession, visits: list[IntakeVisit]) -> dict[tuple, str]:
        """Persons already registered, by NIK (``("nik", nik)``) or, for a child without one, by
        ``("child", mother_nik, birth_date, sex)``: their stored id wins over a freshly computed one,
        so a person keeps their id if the pseudonym key is ever changed."""
        t = models.persons
        niks = sorted({v.person.nik for v in visits if v.person.nik})
        mothers = sorted({v.person.mother_nik for v in visits if v.person.mother_nik})
        known: dict[tuple, str] = {}
        for start in range(0, len(niks), 500):
            rows = await session.execute(select(t.c.nik, t.c.person_id).where(t.c.nik.in_(niks[start:start + 500])))
            known.update({("nik", nik): pid for nik, pid in rows})
        for start in range(0, len(mothers), 500):
            rows = await session.execute(select(t.c.mother_nik, t.c.birth_date, t.c.sex, t.c.person_id).where(
                t.c.mother_nik.in_(mothers[start:start + 500]), t.c.nik.is_(None), t.c.linked_to.is_(None)))
            known.update({("child", m, b, s): pid for m, b, s, pid in rows})
        return known

    async def _store(self, unit: Unit, accepted: list, outcomes: list, now: datetime) -> None:  # noqa: ANN001
        session = unit.session
        v, t = models.visits, models.persons
        ids = [str(visit.visit_id) for _, visit, _, _ in accepted]
        known: dict[str, tuple[str, str]] = {}
        for start in range(0, len(ids), 500):
            rows = await session.execute(select(v.c.visit_id, v.c.person_id, v.c.facility_id)
                                         .where(v.c.visit_id.in_(ids[start:start + 500])))
            known.update({vid: (pid, fid) for vid, pid, fid in rows})
        persons = await self._known_persons(session, [visit for _, visit, _, _ in accepted])
        fresh = []
        for index, visit, facility, warnings in accepted:
            vid = str(visit.visit_id)
            if vid in known:
                person_id, facility_id = known[vid]
                outcomes[index] = (Outcome(vid, "duplicate", person_id=person_id) if facility_id == visit.facility_id
                                   else Outcome(vid, "rejected", conflict=True, errors=[
                                       {"loc": ["visit_id"], "msg": "visit_id is already used by another facility"}]))
                continue
            p = visit.person
            person_id = persons.get(("nik", p.nik) if p.nik else ("child", p.mother_nik, p.birth_date, p.sex)) \
                or self._person_id(visit)
            known[vid] = (person_id, visit.facility_id)
            fresh.append((index, visit, facility, warnings, person_id))
        if not fresh:
            return
        latest: dict[str, IntakeVisit] = {}
        for _, visit, _, _, person_id in fresh:
            if person_id not in latest or visit.occurred_at >= latest[person_id].occurred_at:
                latest[person_id] = visit
        rows = (await session.execute(select(t.c.person_id, t.c.last_visit_at).where(t.c.person_id.in_(list(latest))))).all()
        existing = {r.person_id: r.last_visit_at for r in rows}
        inserts, updates = [], []
        for person_id, visit in latest.items():
            p = visit.person
            values = {"nik": p.nik, "mother_nik": p.mother_nik, "name": p.name, "sex": p.sex, "birth_date": p.birth_date,
                      "village_code": p.village_code, "updated_at": now, "last_visit_at": visit.occurred_at}
            if person_id not in existing:
                inserts.append({"person_id": person_id, "created_at": now, **values})
            elif existing[person_id] is None or utc(existing[person_id]) <= visit.occurred_at:
                updates.append({"pid": person_id, **values})
        if inserts:
            await session.execute(t.insert(), inserts)
        if updates:
            await session.execute(t.update().where(t.c.person_id == bindparam("pid")), updates)
        await self._link_children(unit, [(visit, person_id) for _, visit, _, _, person_id in fresh], persons)
        visit_rows = []
        for index, visit, facility, warnings, person_id in fresh:
            event = domain.recorded_visit(visit, person_id=person_id, facility=facility, recorded_at=now,
                                          data_quality=warnings)
            visit_rows.append({"visit_id": str(visit.visit_id), "person_id": person_id, "facility_id": visit.facility_id,
                               "occurred_at": visit.occurred_at, "recorded_at": now, "stage": event.stage,
                               "data_quality": ";".join(warnings)})
            unit.emit(event, event_id=visit.visit_id)
            outcomes[index] = Outcome(str(visit.visit_id), "recorded", person_id=person_id)
        await session.execute(v.insert(), visit_rows)

    async def _link_children(self, unit: Unit, visits: list[tuple[IntakeVisit, str]],
                             persons: dict[tuple, str]) -> None:
        """A child's provisional id (from the mother's NIK) is linked once the child's own NIK appears."""
        t = models.persons
        candidates: dict[str, tuple[str, datetime]] = {}
        for visit, person_id in visits:
            p = visit.person
            provisional = persons.get(("child", p.mother_nik, p.birth_date, p.sex)) if p.nik and p.mother_nik else None
            if provisional is not None and provisional != person_id:
                candidates.setdefault(provisional, (person_id, visit.occurred_at))
        if not candidates:
            return
        for provisional, (person_id, at) in candidates.items():
            await unit.session.execute(update(t).where(t.c.person_id == provisional).values(linked_to=person_id))
            unit.emit(PersonLinked(person_id=person_id, previous_person_id=provisional, linked_at=at),
                      event_id=uuid.uuid5(_NS, f"link:{provisional}:{person_id}"))


async def data_quality_by_facility(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Per facility: visits recorded and visits with a NIK data-quality warning."""
    v = models.visits
    rows = await session.execute(
        select(v.c.facility_id, func.count(), func.sum(case((v.c.data_quality != "", 1), else_=0)))
        .group_by(v.c.facility_id)
    )
    return {facility: {"visits": int(total), "warnings": int(flagged or 0)} for facility, total, flagged in rows}
