"""Kemendagri administrative region reference data (province, kab/kota, kecamatan, desa).

Codes use the dotted Kemendagri form ``PP``, ``PP.KK``, ``PP.KK.CC``, ``PP.KK.CC.DDDD``.
The data comes from the npm package ``idn-area-data`` (ODbL 1.0, see ``shared/data/README.md``).
The committed ``shared/data/regions.csv`` holds every province and kab/kota plus the kecamatan
and desa of :data:`SEED_DISTRICTS`; ``jejaring regions import`` (``shared.regions_import``) builds
the national set.
"""

from __future__ import annotations

import bisect
import csv
import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SEED_DISTRICTS: tuple[str, ...] = ("18.01", "18.72", "16.02", "35.07", "17.07")
DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "regions.csv"
ENV_FILE = "JEJARING_REGIONS_FILE"
CSV_COLUMNS = ("code", "name", "level", "parent_code")
LEVELS = ("province", "kabupaten", "kecamatan", "desa")

# Shape of a dotted code per level; [0-9] rather than \d so non-ASCII digits are rejected.
_SHAPES: dict[str, re.Pattern[str]] = {
    "province": re.compile(r"[0-9]{2}"),
    "kabupaten": re.compile(r"[0-9]{2}\.[0-9]{2}"),
    "kecamatan": re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}"),
    "desa": re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}"),
}
# Undotted digit counts per level, and where the dots go.
_DIGIT_SPLITS = {2: (2,), 4: (2, 2), 6: (2, 2, 2), 10: (2, 2, 2, 4)}


@dataclass(frozen=True)
class Region:
    """One administrative region; ``parent_code`` is None for provinces."""

    code: str
    name: str
    level: str
    parent_code: str | None


def level_of(code: object) -> str | None:
    """The administrative level a code's shape implies (``"18.01"`` -> kabupaten); None if malformed.

    The one region-code shape check of the project.
    """
    if not isinstance(code, str):
        return None
    for level, shape in _SHAPES.items():
        if shape.fullmatch(code):
            return level
    return None


def is_region_code(code: object) -> bool:
    """Whether ``code`` is a well-formed Kemendagri code (anything else, e.g. a facility id, is not)."""
    return level_of(code) is not None


def covers(scope: str, code: str) -> bool:
    """A region scope (a Kemendagri code prefix) covers its own code and everything below it."""
    return code == scope or code.startswith(scope + ".")


def ancestor_codes(code: str) -> tuple[str, ...]:
    """The codes above a well-formed code by its shape, province first
    (``"18.01.06.1006"`` -> ``("18", "18.01", "18.01.06")``); empty for a province or a malformed code."""
    if level_of(code) is None:
        return ()
    parts = code.split(".")
    return tuple(".".join(parts[:n]) for n in range(1, len(parts)))


def _parent_of(code: str) -> str | None:
    """The parent's code by shape (``"18.01.06"`` -> ``"18.01"``), None for provinces."""
    return code.rsplit(".", 1)[0] if "." in code else None


def normalize_code(code: str) -> str:
    """Dotted form of a code given with or without dots (``"1801062001"`` -> ``"18.01.06.2001"``).

    Raises ValueError if the result is not a well-formed region code.
    """
    raw = code.strip()
    if raw.isascii() and raw.isdigit() and len(raw) in _DIGIT_SPLITS:
        parts, pos = [], 0
        for width in _DIGIT_SPLITS[len(raw)]:
            parts.append(raw[pos : pos + width])
            pos += width
        raw = ".".join(parts)
    if level_of(raw) is None:
        raise ValueError(f"malformed region code: {code!r}")
    return raw


class RegionIndex:
    """In-memory lookup over regions by code, with tree navigation."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self._by_code: dict[str, Region] = {}
        children: dict[str, list[Region]] = {}
        for region in regions:
            if region.code in self._by_code:
                raise ValueError(f"duplicate region code {region.code!r}")
            self._by_code[region.code] = region
            children.setdefault(region.parent_code or "", []).append(region)
        self._children = {k: sorted(v, key=lambda r: r.code) for k, v in children.items()}
        self._villages = sorted((r for r in self._by_code.values() if r.level == "desa"), key=lambda r: r.code)
        self._village_codes = [r.code for r in self._villages]

    def get(self, code: str) -> Region | None:
        """The region with exactly this code, or None."""
        return self._by_code.get(code) if isinstance(code, str) else None

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def children(self, code: str) -> list[Region]:
        """Direct children sorted by code; ``""`` gives the provinces."""
        return list(self._children.get(code, ()))

    def ancestors(self, code: str) -> list[Region]:
        """Known ancestors from the province down to the parent (empty for provinces/unknown shapes)."""
        region = self.get(code)
        if region is not None:
            parent = region.parent_code
        elif level_of(code) is not None:
            parent = _parent_of(code)
        else:
            return []
        chain: list[Region] = []
        while parent:
            found = self._by_code.get(parent)
            if found is None:
                break
            chain.append(found)
            parent = found.parent_code
        return chain[::-1]

    def level_of(self, code: str) -> str | None:
        """Level implied by the code's shape; None if the code is malformed."""
        return level_of(code)

    def villages_under(self, code: str) -> list[Region]:
        """All desa/kelurahan whose code lies under ``code`` (a desa code yields itself; "" yields all)."""
        if code == "":
            return list(self._villages)
        if level_of(code) is None:
            return []
        # Codes under X sort between "X." and "X/" ('/' follows '.'); the code itself sorts just before.
        lo = bisect.bisect_left(self._village_codes, code)
        hi = bisect.bisect_left(self._village_codes, code + "/")
        return self._villages[lo:hi]


def _read_index(path: Path) -> RegionIndex:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return RegionIndex(Region(row["code"], row["name"], row["level"], row["parent_code"] or None) for row in reader)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> RegionIndex:
    return _read_index(Path(path))


def load_regions(path: str | Path | None = None) -> RegionIndex:
    """Load a regions CSV (columns ``code,name,level,parent_code``).

    With no path, use ``$JEJARING_REGIONS_FILE`` if set, else the packaged seed file; that default
    load is cached per resolved path. An explicit path is read afresh on every call.
    """
    if path is not None:
        return _read_index(Path(path))
    env = os.environ.get(ENV_FILE)
    default = Path(env) if env else DEFAULT_FILE
    if not default.is_file():
        hint = f" (from ${ENV_FILE}; run `jejaring regions import`)" if env else ""
        raise FileNotFoundError(f"regions file not found: {default}{hint}")
    return _load_cached(str(default.resolve()))
