"""Referral's pure domain: routing through the network and the referral lifecycle.

Routing: the nearest level above the origin, walking up the origin's own network (Posyandu ->
Pustu -> Puskesmas -> hospital), that is at or above the risk's recommended level and has the
capability the risk needs; emergencies go to the nearest facility with ``emergency``
(ilp-domain.md §1.5 referral direction [ILP-T]). The routing table is data: ``REQUIRED_CAPABILITY``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

LEVELS = {"posyandu": 0, "pustu": 1, "puskesmas": 2, "rs": 3}

# Which capability a destination must have for a risk code (absent: any facility of the level).
REQUIRED_CAPABILITY: dict[str, str] = {}

TRANSITIONS: dict[str, frozenset[str]] = {
    "made": frozenset({"received", "attended", "cancelled"}),
    "received": frozenset({"attended", "cancelled"}),
    "attended": frozenset({"completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
OPEN_STATES = frozenset({"made", "received"})


@dataclass(frozen=True)
class Facility:
    """The part of a facility routing needs."""

    facility_id: str
    type: str
    parent_id: str | None
    capabilities: frozenset[str]
    active: bool = True


@dataclass(frozen=True)
class Route:
    """Where a referral goes: a facility (or None when the network has none) and its level."""

    destination_id: str | None
    level: str


def needs_referral(origin_type: str | None, recommended_level: str) -> bool:
    """A risk is referred when care is recommended above the level that found it."""
    return LEVELS[recommended_level] > LEVELS.get(origin_type or "posyandu", 0)


def route(
    origin_id: str, recommended_level: str, code: str, urgency: str, network: Mapping[str, Facility]
) -> Route:
    """The destination for a risk found at ``origin_id``."""
    needed = "emergency" if urgency == "emergency" else REQUIRED_CAPABILITY.get(code)
    target = LEVELS[recommended_level]
    current = network.get(origin_id)
    current = network.get(current.parent_id) if current and current.parent_id else None
    hops = 0
    while current is not None and hops < 16:
        if current.active and LEVELS[current.type] >= target and (needed is None or needed in current.capabilities):
            return Route(current.facility_id, current.type)
        current = network.get(current.parent_id) if current.parent_id else None
        hops += 1
    return Route(None, recommended_level)


def due_at(made_at: datetime, urgency: str, overdue_days: Mapping[str, float]) -> datetime:
    """When a referral must have been attended, from event time."""
    return made_at + timedelta(days=overdue_days[urgency])


def can_transition(current: str, new: str) -> bool:
    """Whether ``current -> new`` is a legal lifecycle step."""
    return new in TRANSITIONS.get(current, frozenset())
