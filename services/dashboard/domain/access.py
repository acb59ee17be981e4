"""Who may see what: Puskesmas catchments, viewer scopes and area levels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from shared import regions
from shared.regions import covers, is_region_code


class Placed(Protocol):
    """What a catchment needs of a facility (a ``FacilityRegistered`` or the read model's row)."""

    facility_id: str
    type: str
    parent_id: str | None
    village_code: str
    active: bool


def catchments(facilities: Iterable[Placed]) -> dict[str, frozenset[str]]:
    """Each Puskesmas's catchment villages: its own and those of the Pustu/Posyandu under it.

    Inactive facilities do not count; a chain that loops or ends without a Puskesmas is ignored.
    """
    by_id = {f.facility_id: f for f in facilities if f.active}
    out: dict[str, set[str]] = {fid: {f.village_code} for fid, f in by_id.items() if f.type == "puskesmas"}
    for facility in by_id.values():
        if facility.type not in ("pustu", "posyandu"):
            continue
        seen: set[str] = set()
        current: Placed | None = facility
        while current is not None and current.facility_id not in seen:
            seen.add(current.facility_id)
            if current.type == "puskesmas":
                out[current.facility_id].add(facility.village_code)
                break
            current = by_id.get(current.parent_id) if current.parent_id else None
    return {k: frozenset(v) for k, v in out.items()}


def may_view(scope: str, target: str, catchment: Mapping[str, frozenset[str]]) -> bool:
    """Whether a viewer scoped to ``scope`` may see ``target`` (a region code or a Puskesmas id).

    - region scope: any code it covers; a Puskesmas whose whole catchment it covers.
    - Puskesmas scope (the Puskesmas facility id): the Puskesmas itself and its catchment villages.
    """
    if is_region_code(scope):
        if is_region_code(target):
            return covers(scope, target)
        villages = catchment.get(target)
        return bool(villages) and all(covers(scope, v) for v in villages)
    if target == scope:
        return scope in catchment
    return is_region_code(target) and target in catchment.get(scope, frozenset())


def level_of(code: str) -> str:
    """Administrative level by the shape of a Kemendagri code (anything else is a Puskesmas id)."""
    return regions.level_of(code) or "puskesmas"
