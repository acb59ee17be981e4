"""The synthetic population: age-sex pyramid, village sizes, persons and their NIKs.

Over 300 lines because persons, their NIKs and their life events are drawn from one random stream per
village; split, the stream's order would be spread over modules.

Pure and deterministic: a person is created on first use from its village's own random stream
(seeded by ``(seed, village)``), so the same seed and the same run parameters give the same people;
the NIK serial is derived from ``(seed, village, group, index)``.

Sources (tags as in ``/work/shared/ilp-domain.md`` §7; [UNCONFIRMED] = an assumption or a figure
recalled from a secondary source, not checked against the official table):

* Age-sex pyramid: 5-year bands shaped on BPS, *Sensus Penduduk 2020* and *Proyeksi Penduduk
  Indonesia 2020-2050* (2023 edition) for 2023-2025 — rounded, approximate [UNCONFIRMED band values];
  checked against two sourced totals: elderly (>= 60 y) 11.75 % (BPS, *Statistik Penduduk Lanjut Usia
  2023*) [UNCONFIRMED] and the CKG 2025 denominators (adults 18-59 ~ 170 M, elderly ~ 34 M, 1-6 y
  ~ 27 M of ~ 282 M) [CKG-HOLOPIS]; sex ratio ~ 102 men per 100 women (Kepmendagri
  300.2.2-2138/2025: 143.86 M men, 141.11 M women) [WIL-CAHYA].
* District population: BPS SP2020 totals of the seed districts [UNCONFIRMED, as commonly quoted];
  any other district: 3,400 people per desa/kelurahan (284,973,643 people / 83,762 desa, Kepmendagri
  2025 [WIL-CAHYA]), kelurahan (urban, code 1xxx) weighted 1.8x.
* Pregnant women (sasaran ibu hamil) = 1.10 x CBR x population (ilp-domain §3.2 [PWS-SCRIBD-1]);
  CBR 16 per 1,000 (BPS projection for 2023-2025, approximate) [UNCONFIRMED].
* Mothers' ages: age-specific fertility shape of SDKI 2017 (per 1,000 women: 36, 118, 143, 111, 66,
  21, 5 for 15-19 ... 45-49) [UNCONFIRMED].
* NIK: ``PP KK CC DDMMYY SSSS``, day + 40 for women (ilp-domain §4.2 [NIK-AXRO]); the area is a
  real kecamatan code (mostly the person's own, some registered elsewhere in the district or in another
  seed district), the serial 0001-9999 unique per (kecamatan, encoded date).

Over 300 lines: the pyramid, the village sizes and the persons share one deterministic stream
per village, and the sources above.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from math import sqrt
from statistics import NormalDist

from shared.regions import Region, RegionIndex

# (first age, last age, % of total population, share of men) — see module docstring.
PYRAMID: tuple[tuple[int, int, float, float], ...] = (
    (0, 4, 7.70, 0.518), (5, 9, 8.20, 0.518), (10, 14, 8.40, 0.519), (15, 19, 8.20, 0.518),
    (20, 24, 8.00, 0.513), (25, 29, 7.80, 0.510), (30, 34, 7.70, 0.508), (35, 39, 7.50, 0.507),
    (40, 44, 7.20, 0.505), (45, 49, 6.60, 0.503), (50, 54, 5.90, 0.502), (55, 59, 5.05, 0.500),
    (60, 64, 4.30, 0.490), (65, 69, 3.20, 0.475), (70, 74, 2.10, 0.455), (75, 95, 2.15, 0.415),
)
MAX_AGE = 95
MALE_SHARE_UNDER_FIVE = PYRAMID[0][3]

# BPS SP2020 totals of the seed districts [UNCONFIRMED exact values].
DISTRICT_POPULATION: dict[str, int] = {
    "18.01": 1_064_301,  # Kabupaten Lampung Selatan
    "18.72": 168_676,  # Kota Metro
    "16.02": 769_348,  # Kabupaten Ogan Komering Ilir
    "35.07": 2_654_448,  # Kabupaten Malang
    "17.07": 106_293,  # Kabupaten Lebong
}
PEOPLE_PER_VILLAGE = 3_400  # 284,973,643 / 83,762 (Kepmendagri 2025) [WIL-CAHYA], derived
KELURAHAN_WEIGHT = 1.8  # urban villages are larger [assumption]
CBR = 0.016  # crude birth rate per person-year [UNCONFIRMED]
PREGNANT_FACTOR = 1.10  # sasaran ibu hamil = 1.10 x CBR x population (ilp-domain §3.2)
MATERNAL_FACTOR = 1.05  # sasaran ibu bersalin/nifas = 1.05 x CBR x population (ilp-domain §3.2 [PWS-SCRIBD-1])
ASFR = ((15, 36), (20, 118), (25, 143), (30, 111), (35, 66), (40, 21), (45, 5))  # SDKI 2017 [UNCONFIRMED]

CHILD, SCHOOL, ADULT, ELDERLY, PREGNANT = range(5)
GROUP_NAMES = ("child", "school", "adult", "elderly", "pregnant")
GROUP_AGES = {CHILD: (0, 4), SCHOOL: (5, 14), ADULT: (15, 59), ELDERLY: (60, MAX_AGE)}
UNDER_FIVE_DAYS = 1826  # 0-59 months

# Share of under-fives without their own NIK yet (identified by mother_nik) by age in days [assumption].
NO_NIK_SHARE = ((183, 0.55), (365, 0.30), (UNDER_FIVE_DAYS + 400, 0.06))
# Where a NIK was issued: own kecamatan / another kecamatan of the district / another seed district.
NIK_ELSEWHERE_DISTRICT, NIK_ELSEWHERE_OTHER = 0.07, 0.03

_NORMAL = NormalDist()
_TWO = tuple(f"{i:02d}" for i in range(100))
# Standard normal quantiles at 2^16 equally likely points: a table lookup is ~5x cheaper than
# random.gauss and plenty for latent traits (tails cut at +-4.3 SD).
NORMAL_TABLE_SIZE = 1 << 16
NORMAL_TABLE = tuple(_NORMAL.inv_cdf((i + 0.5) / NORMAL_TABLE_SIZE) for i in range(NORMAL_TABLE_SIZE))

MALE_NAMES = (
    "Agus", "Ahmad", "Andi", "Arif", "Bambang", "Budi", "Dedi", "Dimas", "Eko", "Fajar", "Hadi", "Hendra",
    "Irfan", "Joko", "Komang", "Made", "Muhammad", "Nur", "Putu", "Rahmat", "Rizki", "Rudi", "Slamet",
    "Sugeng", "Suparman", "Teguh", "Wahyu", "Yusuf", "Zainal", "Aditya", "Bayu", "Gilang", "Ilham",
)
FEMALE_NAMES = (
    "Aisyah", "Ani", "Ayu", "Dewi", "Dian", "Eka", "Fitri", "Indah", "Kartini", "Lestari", "Maya", "Nur",
    "Nurul", "Putri", "Rina", "Rini", "Sari", "Siti", "Sri", "Suharti", "Tuti", "Wati", "Wulan", "Yuli",
    "Yanti", "Zahra", "Annisa", "Citra", "Kadek", "Lilis", "Mega", "Ratna",
)
SURNAMES = (
    "Aminah", "Hidayat", "Saputra", "Setiawan", "Susanti", "Wijaya", "Kurniawan", "Pratama", "Lestari",
    "Rahmawati", "Hasanah", "Nugroho", "Santoso", "Utami", "Ramadhan", "Permata", "Handayani", "Siregar",
    "Harahap", "Nasution", "Sembiring", "Purnomo", "Wibowo", "Maharani", "Kusuma", "Anggraini", "Fauzi",
)


def _pyramid_rows() -> tuple[list[tuple[str, int]], list[float]]:
    """((sex, age), share) for every single year of age, shares summing to 1."""
    keys, weights = [], []
    for lo, hi, pct, male in PYRAMID:
        if hi == MAX_AGE:  # open band: declining weights over 75..95
            w = [0.85**k for k in range(hi - lo + 1)]
        else:
            w = [1.0] * (hi - lo + 1)
        total = sum(w)
        for k, wk in enumerate(w):
            for sex, share in (("M", male), ("F", 1.0 - male)):
                keys.append((sex, lo + k))
                weights.append(pct / 100.0 * share * wk / total)
    s = sum(weights)
    return keys, [w / s for w in weights]


SEX_AGE, SEX_AGE_SHARE = _pyramid_rows()


def share_between(lo: int, hi: int, sex: str | None = None) -> float:
    """Population share of ages lo..hi (inclusive), optionally one sex."""
    return sum(w for (s, a), w in zip(SEX_AGE, SEX_AGE_SHARE) if lo <= a <= hi and (sex is None or s == sex))


def _group_sampler(lo: int, hi: int, sex: str | None = None) -> tuple[list[tuple[str, int]], list[float]]:
    rows = [(k, w) for k, w in zip(SEX_AGE, SEX_AGE_SHARE) if lo <= k[1] <= hi and (sex is None or k[0] == sex)]
    total = sum(w for _, w in rows)
    return [k for k, _ in rows], list(accumulate(w / total for _, w in rows))


_GROUP_SAMPLERS = {g: _group_sampler(*GROUP_AGES[g]) for g in GROUP_AGES}


def _mother_age_sampler() -> tuple[list[int], list[float]]:
    ages, weights = [], []
    for lo, rate in ASFR:
        for a in range(lo, lo + 5):
            ages.append(a)
            weights.append(rate * share_between(a, a, "F"))
    total = sum(weights)
    return ages, list(accumulate(w / total for w in weights))


_MOTHER_AGES = _mother_age_sampler()


def pick(keys: list, cumulative: list[float], u: float):  # noqa: ANN201
    """The key whose cumulative share first exceeds ``u`` in [0, 1)."""
    return keys[min(bisect_right(cumulative, u), len(keys) - 1)]


@dataclass(frozen=True)
class VillageTargets:
    """Annual sasaran of one village (the targets CSV groups)."""

    pregnant: int
    under_five: int
    adolescent: int
    adult_15_59: int
    elderly: int
    infant: int = 0
    maternal: int = 0
    newborn: int = 0
    adolescent_girl: int = 0
    hypertension_estimated: int = 0
    diabetes_estimated: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"pregnant": self.pregnant, "under_five": self.under_five, "adolescent": self.adolescent,
                "adult_15_59": self.adult_15_59, "elderly": self.elderly, "infant": self.infant,
                "maternal": self.maternal, "newborn": self.newborn, "adolescent_girl": self.adolescent_girl,
                "hypertension_estimated": self.hypertension_estimated, "diabetes_estimated": self.diabetes_estimated}


def village_targets(population: int) -> VillageTargets:
    """Sasaran from a village's population and the pyramid (adolescent = remaja 10-17 y, ilp-domain §1.3).

    PWS-KIA projections (ilp-domain §3.2 [PWS-SCRIBD-1]): ibu hamil 1.10 x CBR x population, ibu bersalin/nifas
    (``maternal``) 1.05 x CBR x population, bayi baru lahir (``newborn``, live births) CBR x population;
    ``infant`` (surviving infants) is taken as the live births [assumption: infant mortality left out].
    ``adolescent_girl``: girls 10-17 y of the pyramid. The estimated sufferers >= 15 y are the population by
    single year of age times the simulator's own prevalence by age (:mod:`simulator.prevalence`: hypertension
    30.8 % of >= 18 y and diabetes 11.7 % of >= 15 y, SKI 2023 [SKI-GRID]), as Kemenkes sets them from the
    district prevalence."""
    from simulator.prevalence import DM_BY_AGE, HT_BY_AGE

    return VillageTargets(
        pregnant=round(PREGNANT_FACTOR * CBR * population),
        under_five=round(population * share_between(0, 4)),
        adolescent=round(population * share_between(10, 17)),
        adult_15_59=round(population * share_between(15, 59)),
        elderly=round(population * share_between(60, MAX_AGE)),
        infant=round(CBR * population),
        maternal=round(MATERNAL_FACTOR * CBR * population),
        newborn=round(CBR * population),
        adolescent_girl=round(population * share_between(10, 17, "F")),
        hypertension_estimated=round(population * _estimated_share(HT_BY_AGE)),
        diabetes_estimated=round(population * _estimated_share(DM_BY_AGE)),
    )


def _estimated_share(by_age: list[float]) -> float:
    """The share of the population >= 15 y with a condition of prevalence ``by_age`` (per single year)."""
    return sum(by_age[a] * share_between(a, a) for a in range(15, MAX_AGE + 1))


def district_population(district: str, n_villages: int) -> int:
    """Total population of a district: the BPS figure of a seed district, else 3,400 per village."""
    return DISTRICT_POPULATION.get(district, PEOPLE_PER_VILLAGE * n_villages)


def village_populations(villages: list[Region], total: int) -> list[int]:
    """Split ``total`` over villages: log-normal sizes (sigma 0.5), kelurahan weighted 1.8x.

    Seeded by the district's codes only, so a district's villages (and hence its network) are the same
    whatever the run's seed.
    """
    rng = random.Random("village-sizes:" + (villages[0].code[:5] if villages else ""))
    weights = [rng.lognormvariate(0.0, 0.5) * (KELURAHAN_WEIGHT if v.code[9] == "1" else 1.0) for v in villages]
    s = sum(weights)
    return [max(1, round(total * w / s)) for w in weights]


def mix(*parts: int) -> int:
    """A stable integer seed from small integers (no ``hash()``: that is salted per process)."""
    out = 0
    for p in parts:
        out = (out * 1_000_003 + p) & ((1 << 124) - 1)
    return out


class NikIssuer:
    """Issues structurally valid NIKs, unique per run; the serial is derived from the person's key."""

    def __init__(self, own_district_kecamatan: list[str], other_kecamatan: list[str]) -> None:
        self.district_kec = [int(k.replace(".", "")) for k in own_district_kecamatan]
        self.other_kec = [int(k.replace(".", "")) for k in (other_kecamatan or own_district_kecamatan)]
        self.used: set[int] = set()

    def area(self, home: int, rng: random.Random) -> int:
        """Kecamatan (as a 6-digit number) where a NIK was issued: mostly home, sometimes elsewhere."""
        u = rng.random()
        if u < NIK_ELSEWHERE_OTHER:
            return self.other_kec[int(u / NIK_ELSEWHERE_OTHER * len(self.other_kec))]
        if u < NIK_ELSEWHERE_OTHER + NIK_ELSEWHERE_DISTRICT:
            return self.district_kec[int((u - NIK_ELSEWHERE_OTHER) / NIK_ELSEWHERE_DISTRICT * len(self.district_kec))]
        return home

    def issue(self, kecamatan: int | str, born: date, sex: str, key: int) -> str:
        """``PP KK CC DDMMYY SSSS``; day + 40 for women; serial 0001-9999 unique per (kecamatan, date)."""
        if isinstance(kecamatan, str):
            kecamatan = int(kecamatan.replace(".", ""))
        day = born.day + 40 if sex == "F" else born.day
        base = (((kecamatan * 100 + day) * 100 + born.month) * 100 + born.year % 100) * 10_000
        serial = key % 9999 + 1
        used = self.used
        for _ in range(9999):
            if base + serial not in used:
                break
            serial = serial % 9999 + 1
        else:  # pragma: no cover - 9,999 people born the same day in one kecamatan
            raise RuntimeError(f"NIK serials exhausted for {base // 10_000}")
        used.add(base + serial)
        return str(base + serial)  # province codes start at 11: always 16 digits


class Person:
    """One synthetic person with the latent traits the measurement model needs."""

    __slots__ = (
        "key", "vi", "nik", "mother_nik", "name", "sex", "birth", "village", "group", "json",
        "u_bp", "u_dm", "u_hb", "u_muac", "bmi", "height", "waist", "attend",
        "e_h", "e_w", "z_month", "lmp", "due_weeks", "anc", "gravida", "living", "since_last",
    )

    def __init__(self) -> None:
        self.json = None
        self.nik = self.mother_nik = self.name = None
        self.z_month = -1
        self.anc = 0

    def person_json(self) -> dict:
        """The intake ``person`` object (None fields left out)."""
        body = {"sex": self.sex, "birth_date": self.birth.isoformat(), "village_code": self.village, "name": self.name}
        if self.nik:
            body["nik"] = self.nik
        if self.mother_nik:
            body["mother_nik"] = self.mother_nik
        return body


class Population:
    """Persons of every village of the district, created on first use, deterministic by seed."""

    def __init__(self, villages: list[Region], populations: list[int], seed: int, start: date, days: int,
                 regions: RegionIndex, district: str) -> None:
        self.villages = villages
        self.populations = populations
        self.seed = seed
        self.start = start
        self.days = days
        self.index = {v.code: i for i, v in enumerate(villages)}
        district_kec = sorted({v.parent_code for v in villages if v.parent_code})
        other_kec = sorted({v.parent_code for v in regions.villages_under("") if v.parent_code
                            and not v.code.startswith(district + ".")})
        self.niks = NikIssuer(district_kec, other_kec)
        window = days + 1
        self.sizes: list[dict[int, int]] = []
        for pop in populations:
            t = village_targets(pop)
            self.sizes.append({
                CHILD: round(pop * share_between(0, 4) * (UNDER_FIVE_DAYS + window) / UNDER_FIVE_DAYS),
                SCHOOL: round(pop * share_between(5, 14)),
                ADULT: t.adult_15_59,
                ELDERLY: t.elderly,
                PREGNANT: round(PREGNANT_FACTOR * CBR * pop * (window + 280) / 365.25),
            })
        self._start_ord = start.toordinal()
        self._kec_digits = [int((v.parent_code or v.code[:8]).replace(".", "")) for v in villages]
        self._seed_key = seed * 1_000_003
        self._rngs: dict[int, random.Random] = {}
        self._cache: dict[tuple[int, int], dict[int, Person]] = {}
        self._lists: dict[tuple[int, int, int, int], list[Person]] = {}

    # ------------------------------------------------------------------ pools
    def size(self, vi: int, group: int) -> int:
        return self.sizes[vi][group]

    def person(self, vi: int, group: int, idx: int) -> Person:
        """Person ``idx`` of ``group`` in village ``vi`` (created once)."""
        cache = self._cache.setdefault((vi, group), {})
        p = cache.get(idx)
        if p is None:
            p = self._make(vi, group, idx)
            cache[idx] = p
        return p

    def active_range(self, vi: int, group: int, day_ord: int) -> range:
        """Indices of children under five / women 4-41 weeks pregnant on ``day_ord`` (a superset, check each).

        Births and last menstrual periods are stratified by index, so the people "active" on a day
        form one contiguous block of indices.
        """
        size = self.sizes[vi][group]
        if size <= 0:
            return range(0)
        if group == CHILD:
            span = UNDER_FIVE_DAYS + self.days + 1
            o = day_ord - (self._start_ord - UNDER_FIVE_DAYS)
            lo_off, hi_off = o - (UNDER_FIVE_DAYS - 1), o
        else:
            span = self.days + 281
            o = day_ord - (self._start_ord - 280)
            lo_off, hi_off = o - 41 * 7 - 6, o - 28
        lo = max(0, int(lo_off * size / span) - 1)
        hi = min(size, int((hi_off + 1) * size / span) + 1)
        return range(lo, max(lo, hi))

    def catchment(self, vi: int, group: int, slot: int, of: int) -> list[Person]:
        """Every person of a group in one Posyandu's catchment (index % of == slot), created once."""
        key = (vi, group, slot, of)
        people = self._lists.get(key)
        if people is None:
            people = [self.person(vi, group, i) for i in range(slot, self.sizes[vi][group], of)]
            self._lists[key] = people
        return people

    # ------------------------------------------------------------------ creation
    def _rng(self, vi: int) -> random.Random:
        rng = self._rngs.get(vi)
        if rng is None:
            rng = self._rngs[vi] = random.Random(mix(self.seed, 7919, vi))
        return rng

    def _make(self, vi: int, group: int, idx: int) -> Person:
        """A new person's demographics and latent traits, from the village's own random stream (deterministic by
        seed); name and NIK come later, on first use (:meth:`identify`)."""
        key = ((self._seed_key + vi) * 1_000_003 + group) * 1_000_003 + idx
        rng = self._rngs.get(vi) or self._rng(vi)
        r = rng.random
        nt, nn = NORMAL_TABLE, NORMAL_TABLE_SIZE
        village = self.villages[vi]
        p = Person()
        p.key = key
        p.vi = vi
        p.group = group
        p.village = village.code
        start = self._start_ord
        if group == CHILD:
            # births stratified by index: child idx is born in the idx-th slice of the window (see active_range)
            span = UNDER_FIVE_DAYS + self.days + 1
            p.birth = date.fromordinal(start - UNDER_FIVE_DAYS + int((idx + r()) * span / self.sizes[vi][CHILD]))
            p.sex = "M" if r() < MALE_SHARE_UNDER_FIVE else "F"
            p.e_h, p.e_w = nt[int(r() * nn)], nt[int(r() * nn)]
            u = r()  # Posyandu attendance propensity: regular / irregular / rare [assumption]
            p.attend = 0.92 if u < 0.72 else (0.45 if u < 0.92 else 0.05)
        elif group == PREGNANT:
            p.sex = "F"
            age = pick(*_MOTHER_AGES, r())
            p.birth = date.fromordinal(start - int(age * 365.25 + r() * 365))
            p.lmp = date.fromordinal(start - 280 + int((idx + r()) * (self.days + 281) / self.sizes[vi][PREGNANT]))
            p.due_weeks = min(41, max(34, round(39.0 + 1.4 * nt[int(r() * nn)])))
            p.gravida = 1 + min(7, int(rng.expovariate(1.0 / max(0.3, (age - 17) / 7.0))))
            p.living = max(0, p.gravida - 1 - (1 if r() < 0.08 else 0))
            p.since_last = None if p.gravida == 1 else 12 + int(rng.expovariate(1 / 30.0))
        else:
            sex, age = pick(*_GROUP_SAMPLERS[group], r())
            p.sex = sex
            p.birth = date.fromordinal(start - int(age * 365.25 + r() * 365))
        if group != CHILD:  # latent standard-normal traits (measurements.py turns them into measurements)
            p.u_bp, p.u_dm = nt[int(r() * nn)], nt[int(r() * nn)]
            p.u_hb, p.u_muac = nt[int(r() * nn)], nt[int(r() * nn)]
            p.bmi, p.height, p.waist = nt[int(r() * nn)], nt[int(r() * nn)], nt[int(r() * nn)]
        return p

    def identify(self, p: Person) -> dict:
        """Name and NIK(s) of a person, drawn on first use (an under-five who never comes needs none);
        returns the intake ``person`` object."""
        if p.json is not None:
            return p.json
        rng = self._rngs[p.vi]
        r = rng.random
        p.name = self._name(rng, p.sex)
        home = self._kec_digits[p.vi]
        if p.group == CHILD:
            age_at_start = self._start_ord - p.birth.toordinal()
            no_nik = NO_NIK_SHARE[0][1] if age_at_start < NO_NIK_SHARE[0][0] else (
                NO_NIK_SHARE[1][1] if age_at_start < NO_NIK_SHARE[1][0] else NO_NIK_SHARE[2][1])
            if r() >= no_nik:
                p.nik = self.niks.issue(home, p.birth, p.sex, p.key)
            else:  # identified by the mother's NIK, birth date and sex (contracts.md)
                mother_born = date.fromordinal(p.birth.toordinal() - int((18 + r() * 22) * 365.25))
                p.mother_nik = self.niks.issue(self.niks.area(home, rng), mother_born, "F", p.key * 2 + 1)
        else:
            p.nik = self.niks.issue(self.niks.area(home, rng), p.birth, p.sex, p.key)
        p.json = p.person_json()
        return p.json

    @staticmethod
    def _name(rng: random.Random, sex: str) -> str:
        r = rng.random
        names = MALE_NAMES if sex == "M" else FEMALE_NAMES
        first = names[int(r() * len(names))]
        return f"{first} {SURNAMES[int(r() * len(SURNAMES))]}" if r() < 0.8 else first


def normal_quantile(p: float) -> float:
    """Standard normal quantile."""
    return _NORMAL.inv_cdf(p)


def normal_cdf(x: float) -> float:
    """Standard normal distribution function."""
    return _NORMAL.cdf(x)


def unit_scale(noise_sd: float) -> float:
    """1 / sqrt(1 + sd^2): rescales latent + visit noise back to a standard normal."""
    return 1.0 / sqrt(1.0 + noise_sd * noise_sd)
