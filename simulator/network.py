"""The synthetic ILP network of one district: RSUD, Puskesmas, Pustu, Posyandu, and the targets.

Built from the real Kemendagri codes of the district (``shared.regions``):

* one RSUD (``emergency;doctor;ultrasound;hb_test;glucose_test;pdp``) in the district capital, with the
  HIV care and treatment service (layanan PDP) of the district [assumption];
* at least one Puskesmas per kecamatan; a district's known count (Lampung Selatan 28, Malang 39, as
  in the project brief [UNCONFIRMED]) or else round(1.41 x kecamatan) — the 2024 national ratio [PKM-GS]; extra
  Puskesmas go, one at a time, to the kecamatan with the most desa per Puskesmas, and a kecamatan's
  desa are split into contiguous blocks, one per Puskesmas (ilp-domain §3.3: work areas are subsets of
  a kecamatan); capabilities ``doctor;hb_test;glucose_test``, about 15 % without a lab (``doctor``
  only) so that referral routing has something to route around;
* one Pustu per desa/kelurahan (ILP: "one per desa/kelurahan", ilp-domain §1.4), about 60 % with
  point-of-care tests (``hb_test;glucose_test``) [assumption];
* 3-5 Posyandu per desa (national ~300 k Posyandu / 83.8 k desa = 3.6 [POSY-FINDSTR], derived),
  more in larger villages, each with one *hari buka* a month (a fixed week and weekday).

Parents: Posyandu -> Pustu -> Puskesmas -> RSUD (contracts.md, Facilities CSV).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from shared.regions import Region, RegionIndex
from simulator.population import (
    district_population,
    village_populations,
    village_targets,
)

FACILITY_COLUMNS = ("facility_id", "name", "type", "parent_id", "village_code", "capabilities")
TARGET_COLUMNS = ("village_code", "year", "target", "count")
RS_CAPABILITIES = ("emergency", "doctor", "ultrasound", "hb_test", "glucose_test", "pdp")
PUSKESMAS_CAPABILITIES = ("doctor", "hb_test", "glucose_test")
PUSKESMAS_NO_LAB_SHARE = 0.15  # [assumption] to exercise routing to a lab-capable facility
PUSTU_POCT_SHARE = 0.60  # [assumption] Pustu with point-of-care Hb / glucose meters
PUSKESMAS_COUNT: dict[str, int] = {"18.01": 28, "35.07": 39}  # known counts [UNCONFIRMED]
PUSKESMAS_PER_KECAMATAN = 1.41  # national ratio 2024 [PKM-GS]
# District capitals (kecamatan names) of the seed districts, for the RSUD's location.
CAPITALS: dict[str, str] = {"18.01": "Kalianda", "18.72": "Metro Pusat", "16.02": "Kayu Agung",
                            "35.07": "Kepanjen", "17.07": "Tubei"}
POSYANDU_NAMES = ("Mawar", "Melati", "Anggrek", "Kenanga", "Dahlia", "Flamboyan", "Cempaka", "Teratai",
                  "Seroja", "Kamboja", "Tulip", "Sakura", "Bougenville", "Asoka", "Kemuning", "Nusa Indah")


@dataclass
class Facility:
    """One facility row plus what the simulator needs to schedule visits there."""

    facility_id: str
    name: str
    type: str
    parent_id: str | None
    village_code: str
    capabilities: tuple[str, ...]
    villages: tuple[str, ...] = ()  # Puskesmas work area (desa codes)
    puskesmas_id: str | None = None  # whose token submits for this facility
    open_week: int = 0  # Posyandu hari buka: week of month 0..3 ...
    open_weekday: int = 0  # ... and weekday 0 (Monday) .. 5 (Saturday)
    slot: int = 0  # Posyandu number within its village (catchment = persons with index % n == slot)
    of: int = 1  # Posyandu count in its village

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def row(self) -> tuple[str, ...]:
        return (self.facility_id, self.name, self.type, self.parent_id or "", self.village_code,
                ";".join(self.capabilities))


@dataclass
class Network:
    """The district's facilities and villages (with their synthetic populations)."""

    district: Region
    villages: list[Region]
    populations: list[int]
    rs: Facility
    puskesmas: list[Facility]
    pustu: dict[str, Facility]  # by village code
    posyandu: dict[str, list[Facility]]  # by village code
    puskesmas_of: dict[str, Facility] = field(default_factory=dict)  # by village code

    def facilities(self) -> list[Facility]:
        """All facilities, parents before children."""
        out = [self.rs, *self.puskesmas]
        for v in self.villages:
            out.append(self.pustu[v.code])
        for v in self.villages:
            out.extend(self.posyandu[v.code])
        return out

    def targets(self, years: list[int]) -> list[tuple[str, int, str, int]]:
        rows = []
        for v, pop in zip(self.villages, self.populations):
            t = village_targets(pop).as_dict()
            for year in years:
                rows.extend((v.code, year, group, count) for group, count in t.items())
        return rows


def puskesmas_allocation(desa_counts: dict[str, int], total: int) -> dict[str, int]:
    """Puskesmas per kecamatan: one each, extras to the kecamatan with most desa per Puskesmas."""
    alloc = {k: 1 for k in desa_counts}
    for _ in range(max(0, total - len(alloc))):
        best = max(sorted(alloc), key=lambda k: desa_counts[k] / alloc[k])
        alloc[best] += 1
    return alloc


def _blocks(items: list, n: int) -> list[list]:
    """Split ``items`` into ``n`` contiguous, near-equal, non-empty blocks (n <= len(items))."""
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out, pos = [], 0
    for i in range(n):
        step = size + (1 if i < extra else 0)
        out.append(items[pos : pos + step])
        pos += step
    return out


def _roman(n: int) -> str:
    return ["", "", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X"][n] if n <= 10 else f" {n}"


def build_network(regions: RegionIndex, district_code: str, *, seed: int = 1, population_scale: float = 1.0,
                  puskesmas_count: int | None = None) -> Network:
    """The whole synthetic network of a kab/kota.

    Deterministic by district code (and ``population_scale`` for the population sizes): ``seed`` is kept
    for API symmetry but does not change facilities, so one ``setup`` serves runs with any seed.
    """
    district = regions.get(district_code)
    if district is None or district.level != "kabupaten":
        raise ValueError(f"{district_code} is not a kab/kota code in the regions file")
    villages = regions.villages_under(district_code)
    kecamatan = [k for k in regions.children(district_code) if k.level == "kecamatan"]
    if not villages or not kecamatan:
        raise ValueError(f"the regions file has no kecamatan/desa under {district_code}; "
                         "import them with `jejaring regions import --districts ...`")
    rng = random.Random(f"network:{district_code}")  # the network does not depend on the run's seed
    full = village_populations(villages, district_population(district_code, len(villages)))
    populations = [max(1, round(p * population_scale)) for p in full]
    full_of = {v.code: p for v, p in zip(villages, full)}
    desa_of = {k.code: [v for v in villages if v.parent_code == k.code] for k in kecamatan}
    desa_of = {k: vs for k, vs in desa_of.items() if vs}
    count = puskesmas_count or PUSKESMAS_COUNT.get(district_code) or round(PUSKESMAS_PER_KECAMATAN * len(desa_of))
    count = max(count, len(desa_of))
    alloc = puskesmas_allocation({k: len(vs) for k, vs in desa_of.items()}, count)

    digits = district_code.replace(".", "")
    capital = CAPITALS.get(district_code, "").lower()
    cap_kec = next((k for k in kecamatan if k.name.lower() == capital and k.code in desa_of), None)
    cap_kec = cap_kec or next(k for k in kecamatan if k.code in desa_of)
    cap_villages = desa_of[cap_kec.code]
    rs_village = next((v for v in cap_villages if v.code[9] == "1"), cap_villages[0])
    rs_name = district.name.replace("KABUPATEN ", "").replace("KOTA ", "").title()
    rs = Facility(f"RSUD{digits}", f"RSUD {rs_name}", "rs", None, rs_village.code, RS_CAPABILITIES)

    puskesmas: list[Facility] = []
    pustu: dict[str, Facility] = {}
    posyandu: dict[str, list[Facility]] = {}
    puskesmas_of: dict[str, Facility] = {}
    kec_names = {k.code: k.name for k in kecamatan}
    for kec_code in sorted(desa_of):
        blocks = _blocks(desa_of[kec_code], alloc[kec_code])
        for n, block in enumerate(blocks, start=1):
            caps = PUSKESMAS_CAPABILITIES if rng.random() >= PUSKESMAS_NO_LAB_SHARE else ("doctor",)
            suffix = _roman(n) if len(blocks) > 1 else ""
            pkm = Facility(f"PKM{kec_code.replace('.', '')}{n}", f"Puskesmas {kec_names[kec_code]}{suffix}",
                           "puskesmas", rs.facility_id, block[0].code, caps,
                           villages=tuple(v.code for v in block))
            pkm.puskesmas_id = pkm.facility_id
            puskesmas.append(pkm)
            for v in block:
                puskesmas_of[v.code] = pkm
    for v in villages:
        pkm = puskesmas_of[v.code]
        vdigits = v.code.replace(".", "")
        caps = ("glucose_test", "hb_test") if rng.random() < PUSTU_POCT_SHARE else ()
        pst = Facility(f"PUSTU{vdigits}", f"Pustu {v.name}", "pustu", pkm.facility_id, v.code, caps,
                       puskesmas_id=pkm.facility_id)
        pustu[v.code] = pst
        n_pos = 3 + (full_of[v.code] > 2_500) + (full_of[v.code] > 5_000)
        names = rng.sample(POSYANDU_NAMES, n_pos)
        posyandu[v.code] = [
            Facility(f"POSY{vdigits}{i + 1}", f"Posyandu {names[i]} {v.name}", "posyandu", pst.facility_id, v.code,
                     (), puskesmas_id=pkm.facility_id, open_week=rng.randrange(4), open_weekday=rng.randrange(6),
                     slot=i, of=n_pos)
            for i in range(n_pos)
        ]
    return Network(district, villages, populations, rs, puskesmas, pustu, posyandu, puskesmas_of)


def facilities_csv(network: Network) -> str:
    """The contract's facilities CSV."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FACILITY_COLUMNS)
    writer.writerows(f.row() for f in network.facilities())
    return out.getvalue()


def targets_csv(network: Network, years: list[int]) -> str:
    """The contract's targets CSV (annual sasaran per village)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TARGET_COLUMNS)
    writer.writerows(network.targets(years))
    return out.getvalue()


def write_text(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
