"""Routing: whether a risk needs a referral, and to which facility of the origin's network.

The walk goes up the origin's own chain (Posyandu -> Pustu of the village -> Puskesmas of the
kecamatan -> district hospital; a village without Pustu has the Puskesmas as the Posyandu's
parent) and stops at the nearest active facility that is at or above the target level and has
every needed capability. Levels are skipped when a facility lacks a capability (a Puskesmas
without lab for ``hb_test``) or when the risk is an emergency and only a higher level has
``emergency``. When nothing in the network fits, the referral still exists, with no destination and
the level it needs (``destination_facility_id: null``), so the gap is visible.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.referral.domain.network import (
    LEVEL_NAMES,
    LEVELS,
    Facility,
    Lookup,
    ancestors,
    level_max,
)
from services.referral.domain.routing_table import EMERGENCY, route_for


@dataclass(frozen=True)
class Decision:
    """Where a referral goes; ``destination_id`` None when the network has no suitable facility."""

    destination_id: str | None
    level: str
    needs: frozenset[str]
    note: str = ""

    def reason(self, code: str, severity: str) -> str:
        """The human-readable ``reason`` of the ``referral.made`` event."""
        needs = ", ".join(sorted(self.needs)) or "no specific capability"
        text = f"{code} ({severity}): {self.level}, needs {needs}"
        return f"{text}; {self.note}" if self.note else text


def needs_for(code: str, severity: str) -> frozenset[str]:
    """Capabilities the destination must have: the table's, plus ``emergency`` for emergencies."""
    return route_for(code).needs | (frozenset({EMERGENCY}) if severity == EMERGENCY else frozenset())


def target_level(code: str, recommended_level: str) -> str:
    """The lowest level a referral for ``code`` may go to."""
    return level_max(recommended_level, route_for(code).level)


def decide(
    code: str, severity: str, recommended_level: str, origin: Facility | None, lookup: Lookup
) -> Decision | None:
    """The referral for a risk found at ``origin``, or None when the origin can handle it."""
    needs = needs_for(code, severity)
    target = target_level(code, recommended_level)
    if origin is None:
        return Decision(None, target, needs, "origin facility unknown to the network")
    if origin.level >= LEVELS[target] and origin.has(needs):
        onward = route_for(code).onward
        if onward is None or origin.level >= LEVELS[onward]:
            return None
        target = onward
    lacking: list[Facility] = []
    for facility in ancestors(origin, lookup):
        if not facility.active or facility.level < LEVELS[target]:
            continue
        if facility.has(needs):
            return Decision(facility.facility_id, facility.type, needs, _skipped(lacking, needs))
        lacking.append(facility)
    if origin.type == "rs":
        return None  # nothing above a hospital in a district network
    floor = max([origin.level + 1, LEVELS[target], *(f.level + 1 for f in lacking)])
    level = LEVEL_NAMES[min(floor, LEVELS["rs"])]
    return Decision(None, level, needs, f"no {level} with {', '.join(sorted(needs)) or 'the level'} in the network")


def _skipped(lacking: list[Facility], needs: frozenset[str]) -> str:
    if not lacking:
        return ""
    names = ", ".join(f"{f.facility_id} (no {', '.join(sorted(needs - f.capabilities))})" for f in lacking)
    return f"skipped {names}"
