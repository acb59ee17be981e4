"""The facility network as routing sees it: levels, facilities and walks up and down the tree."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

LEVELS: dict[str, int] = {"posyandu": 0, "pustu": 1, "puskesmas": 2, "rs": 3}
LEVEL_NAMES: tuple[str, ...] = tuple(LEVELS)
MAX_DEPTH = 16  # guards against a cycle in a bad registry


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


def acts_for(token_facility: str, facility_id: str | None, lookup: Lookup) -> bool:
    """Whether a token bound to ``token_facility`` may act for ``facility_id`` on referrals.

    A token acts for its own facility and for the Pustu and Posyandu run from it (a Puskesmas for
    its Pustu and Posyandu, a Pustu for its Posyandu). The walk does not climb past a Puskesmas:
    a Puskesmas's parent link to the hospital is a referral path, not management, so a hospital
    token does not act for Puskesmas or their villages.
    """
    current, hops = (lookup(facility_id) if facility_id else None), 0
    while current is not None and hops <= MAX_DEPTH:
        if current.facility_id == token_facility:
            return True
        if current.level >= LEVELS["puskesmas"] or current.parent_id is None:
            return False
        current, hops = lookup(current.parent_id), hops + 1
    return False


def level_max(*names: str | None) -> str:
    """The highest of some level names (None ignored)."""
    return max((n for n in names if n is not None), key=LEVELS.__getitem__)
