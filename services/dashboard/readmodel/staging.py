"""Staging, pure: what each event means for the read model, merged per batch (:class:`Pending`).

The dashboard consumes with a batch handler: the shared consumer hands it every new event of a
batch in one SAVEPOINT. Each event is *staged* (:func:`stage`), the stagings are merged, and
``readmodel.flush`` writes the lot. If anything in a batch fails, the shared consumer falls back to
one event at a time, which isolates and dead-letters a poison event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple

from services.dashboard.domain import arithmetic
from services.dashboard.domain.registry import Indicator, verdicts
from shared.contracts.events import (
    EventData,
    FacilityRegistered,
    PersonLinked,
    ReferralMade,
    ReferralUpdated,
    TargetSet,
    VisitRecorded,
    VisitScreened,
)
from shared.time import period_of, utc, utc_or_none

CHUNK = 500
_new_tuple = tuple.__new__


ALL = "*"  # "every area changed" (facilities, targets)


class Observation(NamedTuple):
    """One person-level verdict: ``person_id`` measured for ``indicator`` at ``at`` (a named tuple:
    a batch makes one or more per screened visit, and a frozen dataclass costs several times more)."""

    person_id: str
    indicator: str
    period: str
    village: str
    at: datetime
    positive: bool


class Link(NamedTuple):
    """``previous`` (a provisional id) is now ``person_id``."""

    previous: str
    person_id: str


@dataclass
class ReferralPatch:
    """What the events of one referral say about it; merged in the batch, then upserted."""

    referral_id: str
    village_code: str
    period: str
    made_at: datetime
    status: str
    status_at: datetime
    due_at: datetime | None = None
    urgency: str | None = None
    destination_level: str | None = None
    feedback: bool = False

    @property
    def rank(self) -> int:
        return arithmetic.REFERRAL_RANK.get(self.status, 0)

    def merge(self, other: ReferralPatch) -> None:
        for name in ("due_at", "urgency", "destination_level"):
            if getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))
        if (other.status_at, other.rank) >= (self.status_at, self.rank):
            self.status, self.status_at = other.status, other.status_at
        self.feedback = self.feedback or other.feedback

    def merged(self, other: ReferralPatch) -> ReferralPatch:
        """A copy of this referral with ``other``'s news merged in (see :meth:`merge`)."""
        out = replace(self)
        out.merge(other)
        return out

    @classmethod
    def of_row(cls, row) -> ReferralPatch:  # noqa: ANN001 - a ``referrals`` row
        """The referral as the read model holds it."""
        return cls(referral_id=row.referral_id, village_code=row.village_code, period=row.period,
                   made_at=utc(row.made_at), status=row.status, status_at=utc(row.status_at),
                   due_at=utc_or_none(row.due_at), urgency=row.urgency,
                   destination_level=row.destination_level, feedback=bool(row.feedback))

    def row(self) -> dict:
        return {"referral_id": self.referral_id, "village_code": self.village_code, "period": self.period,
                "made_at": self.made_at, "due_at": self.due_at, "urgency": self.urgency,
                "destination_level": self.destination_level, "status": self.status, "status_rank": self.rank,
                "status_at": self.status_at, "feedback": self.feedback}


@dataclass
class Pending:
    """Everything a transaction's events will change, in arrival order where order matters."""

    # per counted event, by its natural key (event type, natural id): (village, period, indicator) -> n
    counts: dict[tuple[str, str], dict[tuple[str, str, str], int]] = field(default_factory=dict)
    ops: list[Observation | Link] = field(default_factory=list)
    fresh: dict[str, datetime] = field(default_factory=dict)  # village -> latest event time
    targets: dict[tuple[str, int, str], int] = field(default_factory=dict)
    facilities: dict[str, FacilityRegistered] = field(default_factory=dict)
    referrals: dict[str, ReferralPatch] = field(default_factory=dict)
    villages: set[str] = field(default_factory=set)  # changed areas, for live pages

    def merge(self, other: Pending) -> None:
        for key, counted in other.counts.items():
            self.counts.setdefault(key, counted)  # the same event twice in a batch counts once
        self.ops.extend(other.ops)
        for village, at in other.fresh.items():
            if village not in self.fresh or at > self.fresh[village]:
                self.fresh[village] = at
        self.targets.update(other.targets)
        for fid, facility in other.facilities.items():
            old = self.facilities.get(fid)
            if old is None or facility.revision >= old.revision:
                self.facilities[fid] = facility
        for rid, patch in other.referrals.items():
            if rid in self.referrals:
                self.referrals[rid].merge(patch)
            else:
                self.referrals[rid] = patch
        self.villages |= other.villages

    def __bool__(self) -> bool:
        return bool(self.counts or self.ops or self.fresh or self.targets or self.facilities or self.referrals)


NATURAL_ID = {VisitRecorded: "visit_id", VisitScreened: "visit_id", ReferralMade: "referral_id",
              ReferralUpdated: "update_id"}


def natural_key(event: EventData) -> tuple[str, str]:
    """What makes a counted event the same event whatever its delivery: a visit is counted once
    per ``visit_id``, a referral once per ``referral_id``, a status change once per ``update_id``."""
    return event.ce_type, str(getattr(event, NATURAL_ID[type(event)]))


_KINDS: dict[type, str] = {}  # per event class, what staging does with it (a handful of classes)


def _kind(cls: type) -> str:
    for base, kind in ((TargetSet, "target"), (FacilityRegistered, "facility"), (PersonLinked, "link"),
                       (ReferralMade, "referral_made"), (ReferralUpdated, "referral_updated")):
        if issubclass(cls, base):
            return kind
    return "visit"


def stage(event_data: EventData, registry: Iterable[Indicator]) -> Pending:
    """What one event means for the read model (pure; raises on data it cannot use)."""
    return stage_into(Pending(), event_data, registry)


def stage_into(staged: Pending, event_data: EventData, registry: Iterable[Indicator]) -> Pending:
    """Stage one event into a batch's ``staged`` as ``staged.merge(stage(event_data, registry))``
    would, without a :class:`Pending` per event; returns ``staged``. Raises on data it cannot use,
    before changing ``staged``."""
    kind = _KINDS.get(type(event_data))
    if kind is None:
        kind = _KINDS[type(event_data)] = _kind(type(event_data))
    if kind == "target":
        staged.targets[(event_data.village_code, event_data.year, event_data.target)] = event_data.count
        staged.villages.add(ALL)
        return staged
    if kind == "facility":
        old = staged.facilities.get(event_data.facility_id)
        if old is None or event_data.revision >= old.revision:
            staged.facilities[event_data.facility_id] = event_data
        staged.villages.add(ALL)
        return staged
    if kind == "link":
        staged.ops.append(Link(event_data.previous_person_id, event_data.person_id))
        staged.villages.add(ALL)
        return staged
    when = event_data.event_time()
    village = getattr(event_data, "village_code", None)
    if when is None or village is None:
        return staged
    period = period_of(when)  # the month in the event's own offset (WIB/WITA/WIT)
    at = utc(when)
    counted: dict[tuple[str, str, str], int] | None = None  # a plain dict: a Counter costs more to make
    observations: list[Observation] = []
    person: str | None = None
    for indicator, verdict in verdicts(registry, event_data):
        if indicator.kind == "count":
            if counted is None:
                counted = {}
            cell = (village, period, indicator.id)
            counted[cell] = counted.get(cell, 0) + int(verdict)
        else:
            if person is None:
                person = str(event_data.person_id)
            # what Observation(...) makes, without the named tuple's Python-level __new__
            observations.append(_new_tuple(Observation, (person, indicator.id, period, village, at, verdict)))
    patch = None
    if kind == "referral_made":
        patch = ReferralPatch(
            referral_id=str(event_data.referral_id), village_code=village, period=period, made_at=at,
            status="made", status_at=at, due_at=utc(event_data.due_at), urgency=event_data.urgency,
            destination_level=event_data.destination_level)
    elif kind == "referral_updated":
        made = event_data.made_at
        patch = ReferralPatch(
            referral_id=str(event_data.referral_id), village_code=village, period=period_of(made),
            made_at=utc(made), status=event_data.status, status_at=at,
            feedback=event_data.status == "completed" and bool(event_data.feedback))
    # Everything computed: now change the batch (the same event twice in a batch counts once).
    if counted is not None:
        staged.counts.setdefault(natural_key(event_data), counted)
    staged.ops.extend(observations)
    if patch is not None:
        if patch.referral_id in staged.referrals:
            staged.referrals[patch.referral_id].merge(patch)
        else:
            staged.referrals[patch.referral_id] = patch
    previous = staged.fresh.get(village)
    if previous is None or at > previous:
        staged.fresh[village] = at
    staged.villages.add(village)
    return staged
