"""Areas: villages, and Puskesmas catchments (*wilayah kerja*) drawn from the facility network.

A village belongs to the Puskesmas that runs the Posyandu, Pustu and Puskesmas located in it
(Posyandu -> Pustu -> Puskesmas). Where facilities of two Puskesmas share a village, the village
goes to the Puskesmas located in it, else to the one with most facilities there, else to the
smallest id: one village, one Puskesmas area, so each case is counted in one area.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import get_args

from shared.contracts.events import FacilityType

MAX_DEPTH = 16  # guards against a cycle in a bad registry
MEMBERS = tuple(t for t in get_args(FacilityType) if t != "rs")  # a hospital has no catchment


@dataclass(frozen=True)
class Facility:
    """What catchments need of a registry entry."""

    facility_id: str
    type: str
    parent_id: str | None
    village_code: str
    active: bool = True


def puskesmas_of(facility: Facility, network: Mapping[str, Facility]) -> Facility | None:
    """The Puskesmas a facility belongs to (itself for a Puskesmas), or None."""
    current: Facility | None = facility
    for _ in range(MAX_DEPTH):
        if current is None or current.type == "rs":
            return None
        if current.type == "puskesmas":
            return current
        current = network.get(current.parent_id) if current.parent_id else None
    return None


def catchment(network: Mapping[str, Facility]) -> dict[str, str]:
    """``{village_code: puskesmas_id}`` for every village with an active facility of a Puskesmas."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for facility in network.values():
        if not facility.active or facility.type not in MEMBERS:
            continue
        head = puskesmas_of(facility, network)
        if head is not None and head.active:
            votes[facility.village_code][head.facility_id] += 1
    result = {}
    for village, counts in votes.items():
        located = sorted(p for p in counts if network[p].village_code == village)
        result[village] = located[0] if located else min(counts, key=lambda p: (-counts[p], p))
    return result


def villages_by_puskesmas(mapping: Mapping[str, str]) -> dict[str, list[str]]:
    """The inverse of ``catchment``: each Puskesmas's villages, sorted."""
    result: dict[str, list[str]] = defaultdict(list)
    for village, puskesmas in sorted(mapping.items()):
        result[puskesmas].append(village)
    return dict(result)


def district_of(village_code: str) -> str:
    """``PP.KK`` of a village code ``PP.KK.CC.DDDD``."""
    return village_code[:5]
