"""Region reference data: the committed seed file and the builder (no network)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shared import regions_import as regions_mod
from shared.regions import (
    DEFAULT_FILE,
    SEED_DISTRICTS,
    Region,
    RegionIndex,
    ancestor_codes,
    load_regions,
    normalize_code,
)
from shared.regions_import import build_regions_csv, fetch_package, main


@pytest.fixture(scope="module")
def index() -> RegionIndex:
    return load_regions(DEFAULT_FILE)


def test_known_codes_and_names(index: RegionIndex) -> None:
    jondong = index.get("18.01.06.2001")
    assert jondong == Region("18.01.06.2001", "Jondong", "desa", "18.01.06")
    assert index.get("18.01.06").name.upper() == "KALIANDA"
    assert index.get("18.01").name == "KABUPATEN LAMPUNG SELATAN"
    assert index.get("35.07").name == "KABUPATEN MALANG"
    assert index.get("18.72").name == "KOTA METRO"
    assert index.get("18") == Region("18", "LAMPUNG", "province", None)
    assert "18.01.06.2001" in index
    assert "99.99" not in index and index.get("99.99") is None


def test_ancestors(index: RegionIndex) -> None:
    assert [r.code for r in index.ancestors("18.01.06.2001")] == ["18", "18.01", "18.01.06"]
    assert index.ancestors("18") == []
    # A well-formed but unknown code still resolves the ancestors that exist.
    assert [r.code for r in index.ancestors("18.01.06.9999")] == ["18", "18.01", "18.01.06"]
    assert index.ancestors("bogus") == []


def test_ancestor_codes_by_shape() -> None:
    assert ancestor_codes("18.01.06.2001") == ("18", "18.01", "18.01.06")
    assert ancestor_codes("99.98.97.9999") == ("99", "99.98", "99.98.97")  # by shape, not by the index
    assert ancestor_codes("18.01") == ("18",)
    assert ancestor_codes("18") == ()
    assert ancestor_codes("18.01.06.20011") == ()  # malformed
    assert ancestor_codes("PKM-1") == ()


def test_children_counts(index: RegionIndex) -> None:
    assert len(index.children("")) == 38
    assert all(r.level == "province" for r in index.children(""))
    expected_kecamatan = {"18.01": 17, "18.72": 5, "16.02": 18, "35.07": 33, "17.07": 12}
    for code, count in expected_kecamatan.items():
        kids = index.children(code)
        assert len(kids) == count, code
        assert [k.code for k in kids] == sorted(k.code for k in kids)
        assert all(k.level == "kecamatan" for k in kids)
    assert "18.01.06.2001" in {r.code for r in index.children("18.01.06")}
    assert index.children("18.01.06.2001") == []
    # Outside the seed districts only kab/kota are committed.
    assert index.children("11.01") == []


def test_villages_under(index: RegionIndex) -> None:
    expected_desa = {"18.01": 260, "18.72": 22, "16.02": 327, "35.07": 390, "17.07": 104}
    for code, count in expected_desa.items():
        assert len(index.villages_under(code)) == count, code
    assert len(index.villages_under("18")) == 260 + 22
    assert len(index.villages_under("")) == sum(expected_desa.values())
    assert [r.code for r in index.villages_under("18.01.06.2001")] == ["18.01.06.2001"]
    assert all(r.code.startswith("18.01.06.") for r in index.villages_under("18.01.06"))
    assert index.villages_under("11.01") == []
    assert index.villages_under("18.0") == []


def test_every_parent_exists_and_matches_shape(index: RegionIndex) -> None:
    with DEFAULT_FILE.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(index) == 1740
    for row in rows:
        assert index.level_of(row["code"]) == row["level"], row
        if row["level"] == "province":
            assert row["parent_code"] == ""
        else:
            assert row["parent_code"] == row["code"].rsplit(".", 1)[0]
            assert row["parent_code"] in index, row
    assert DEFAULT_FILE.stat().st_size < 1_000_000


def test_all_kabupaten_kota_present(index: RegionIndex) -> None:
    kab = [r for p in index.children("") for r in index.children(p.code) if r.level == "kabupaten"]
    assert len(kab) == 514
    assert sum(r.name.startswith("KOTA ") for r in kab) == 98
    assert {r.code for r in kab} >= set(SEED_DISTRICTS)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("18", "province"),
        ("18.01", "kabupaten"),
        ("18.01.06", "kecamatan"),
        ("18.01.06.2001", "desa"),
        ("", None),
        ("1", None),
        ("1801", None),
        ("18.1", None),
        ("18.01.6", None),
        ("18.01.06.201", None),
        ("18.01.06.20011", None),
        ("18.01.06.2001.", None),
        (" 18.01", None),
        ("18-01", None),
        ("ab.cd", None),
        ("١٨", None),  # Arabic-Indic digits
        (None, None),
    ],
)
def test_level_of(index: RegionIndex, code: object, level: str | None) -> None:
    assert index.level_of(code) == level  # type: ignore[arg-type]


def test_normalize_code() -> None:
    assert normalize_code("1801062001") == "18.01.06.2001"
    assert normalize_code("1801") == "18.01"
    assert normalize_code(" 18.01 ") == "18.01"
    with pytest.raises(ValueError):
        normalize_code("18010")


def test_index_rejects_duplicates() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        RegionIndex([Region("18", "A", "province", None), Region("18", "B", "province", None)])


def _fake_package(root: Path) -> Path:
    """A tiny idn-area-data-like package dir; districts use undotted codes to exercise normalising."""
    data = root / "package" / "data"
    data.mkdir(parents=True)
    files = {
        "provinces.csv": "code,name\n18,LAMPUNG\n35,JAWA TIMUR\n",
        "regencies.csv": "code,province_code,name\n18.01,18,KABUPATEN LAMPUNG SELATAN\n"
        "18.72,18,KOTA METRO\n35.07,35,KABUPATEN MALANG\n",
        "districts.csv": "code,regency_code,name\n180106,1801,Kalianda\n18.72.01,18.72,Metro Pusat\n"
        "35.07.01,35.07,Donomulyo\n",
        "villages.csv": "code,district_code,name\n18.01.06.2001,18.01.06,Jondong\n"
        '18.72.01.1001,18.72.01,Metro\n35.07.01.2001,35.07.01,Soka"an\n',
    }
    for name, text in files.items():
        (data / name).write_text(text, encoding="utf-8")
    return root / "package"


def test_build_regions_csv_selected_districts(tmp_path: Path) -> None:
    pkg = _fake_package(tmp_path)
    out = tmp_path / "out" / "regions.csv"
    assert build_regions_csv(pkg, out, ["18.01"]) == 2 + 3 + 2
    idx = load_regions(out)
    assert [r.code for r in idx.ancestors("18.01.06.2001")] == ["18", "18.01", "18.01.06"]
    assert "35.07" in idx and "35.07.01" not in idx and "18.72.01.1001" not in idx
    assert out.read_text(encoding="utf-8").splitlines()[0] == "code,name,level,parent_code"


def test_build_regions_csv_national(tmp_path: Path) -> None:
    pkg = _fake_package(tmp_path)
    out = tmp_path / "regions.csv"
    assert build_regions_csv(pkg, out, None) == 2 + 3 + 3 + 3
    idx = load_regions(out)
    assert idx.get("35.07.01.2001").name == 'Soka"an'  # embedded quote survives the round trip
    assert idx.get("18.72").level == "kabupaten"


def test_build_regions_csv_rejects_unknown_district(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="99.01"):
        build_regions_csv(_fake_package(tmp_path), tmp_path / "r.csv", ["99.01"])


def test_main_import_from_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _fake_package(tmp_path)
    out = tmp_path / "r.csv"
    assert main(["import", "--from", str(pkg), "--out", str(out), "--districts", "18.01,35.07"]) == 0
    assert "wrote 9 regions" in capsys.readouterr().out
    assert len(load_regions(out)) == 9


def test_load_regions_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "national.csv"
    build_regions_csv(_fake_package(tmp_path), out, None)
    monkeypatch.setenv("JEJARING_REGIONS_FILE", str(out))
    assert len(load_regions()) == 11
    assert load_regions() is load_regions()  # the default load is cached
    monkeypatch.setenv("JEJARING_REGIONS_FILE", str(tmp_path / "missing.csv"))
    with pytest.raises(FileNotFoundError, match="JEJARING_REGIONS_FILE"):
        load_regions()
    monkeypatch.delenv("JEJARING_REGIONS_FILE")
    assert len(load_regions()) == 1740


def test_fetch_package_without_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regions_mod.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="npm"):
        fetch_package(tmp_path)
