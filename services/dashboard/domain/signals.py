"""Outbreak signals on the dashboard (pure): the villages a signal concerns, who may see or act on
it, the newest revision of each.

A signal concerns its village (for a Puskesmas-area signal, the Puskesmas's own village) and every
village of its area (``village_codes``). An area — a region code prefix or a Puskesmas facility id —
sees a signal when one of those villages lies in it (surveillance judges an admin's region the same
way), or, for a Puskesmas, when the signal is that Puskesmas's own area signal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, get_args

from shared.contracts.events import SignalStatus
from shared.regions import covers, is_region_code

STATUSES = get_args(SignalStatus)  # the page lists all but closed first


def villages_of(signal: Mapping[str, Any]) -> list[str]:
    """The villages a signal concerns, sorted and unique."""
    return sorted({signal["village_code"], *(signal.get("village_codes") or ())})


def packed(villages: Iterable[str]) -> str:
    """Villages as stored: ``;a;b;`` (so ``;<prefix>`` finds the villages under a region code)."""
    return ";" + ";".join(villages) + ";"


def unpacked(text: str) -> list[str]:
    return [v for v in text.split(";") if v]


def visible_in(area: str, area_code: str, villages: Iterable[str], catchment: Mapping[str, frozenset[str]]) -> bool:
    """Whether the signal of ``area_code`` (concerning ``villages``) lies in ``area``.

    ``area`` is a region code prefix (one of the villages under it) or a Puskesmas facility id (its
    own area signal, or one of the villages of its catchment).
    """
    if is_region_code(area):
        return any(covers(area, v) for v in villages)
    if area_code == area:
        return True
    mine = catchment.get(area, frozenset())
    return any(v in mine for v in villages)


def newest(signals: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The highest revision of each ``signal_id`` (a batch may carry several), in first-seen order."""
    best: dict[str, Mapping[str, Any]] = {}
    for signal in signals:
        key = str(signal["signal_id"])
        if key not in best or signal["revision"] > best[key]["revision"]:
            best[key] = signal
    return list(best.values())
