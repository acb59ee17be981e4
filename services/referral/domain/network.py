"""The facility network as routing sees it: levels, facilities and walks up and down the tree."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

LEVELS: dict[str, int] = {"posyandu": 0, "pustu": 1, "puskesmas": 2, "rs": 3}
LEVEL_NAMES: tuple[str, ...] = tuple(LEVELS)
MAX_DEPTH = 16  # guards against a cycle in a bad registry
RUN_FROM_ABOVE = ("pustu", "posyandu")  # facilities a parent's token acts for


@dataclass(frozen=True)
class Facility:
    """The part of a facility registry entry that routing and scope need."""

    facility_id: str
    type: str
    parent_id: str | None = None
    capabilities: frozenset[str] = frozenset()
    active: bool = True

    @property
    def level(self) -> int:
        return LEVELS[self.type]

    def has(self, capabilities: frozenset[str]) -> bool:
        """True when the facility has every capability in ``capabilities``."""
        return capabilities <= self.capabilities


Lookup = Callable[[str], Facility | None]


def ancestors(facility: Facility, lookup: Lookup) -> Iterator[Facility]:
    """The facilities above ``facility``, nearest first (inactive ones included)."""
    seen = {facility.facility_id}
    parent_id = facility.parent_id
    while parent_id is not None and parent_id not in seen and len(seen) <= MAX_DEPTH:
        seen.add(parent_id)
        parent = lookup(parent_id)
        if parent is None:
            return
        yield parent
        parent_id = parent.parent_id


def scope_of(token_facility: str, network: Mapping[str, Facility]) -> frozenset[str]:
    """The facilities a token bound to ``token_facility`` acts for on referrals.

    A token acts for its own facility and for the Pustu and Posyandu run from it (a Puskesmas for
    its Pustu and Posyandu, a Pustu for its Posyandu). The walk does not go down past a Pustu or
    Posyandu and never from a hospital: a Puskesmas's parent link to the hospital is a referral
    path, not management, so a hospital token does not act for Puskesmas or their villages.
    """
    children: dict[str, list[Facility]] = {}
    for facility in network.values():
        if facility.parent_id is not None and facility.type in RUN_FROM_ABOVE:
            children.setdefault(facility.parent_id, []).append(facility)
    scope, frontier = {token_facility}, [token_facility]
    for _ in range(MAX_DEPTH):
        frontier = [c.facility_id for f in frontier for c in children.get(f, ()) if c.facility_id not in scope]
        if not frontier:
            break
        scope.update(frontier)
    return frozenset(scope)


def level_max(*names: str | None) -> str:
    """The highest of some level names (None ignored)."""
    return max((n for n in names if n is not None), key=LEVELS.__getitem__)
