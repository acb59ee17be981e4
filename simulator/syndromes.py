"""Early-warning syndromes of the generated visits: seasonal baselines and injected outbreaks.

Pure generation, no I/O. Every Pustu, Puskesmas and home visit may carry ``syndromes`` and
``diagnoses`` (ICD-10), drawn from their own random stream (``syndromes:<seed>``), so the rest of a
run is byte-identical to a run without them. Posyandu days (weighing, immunisation) carry none.

Baselines, as facility-attended episodes per 1,000 people a year, with a seasonal factor
``1 + a * cos(2 pi (day of year - peak) / 365.25)`` (tags as in docs/simulator.md, "Syndromes"):

* acute diarrhoea (``acute_diarrhoea``, A09): 17 per 1,000 a year — 4,504,524 diarrhoea patients of
  all ages served in health facilities in 2018 (Profil Kesehatan Indonesia 2018, Ditjen P2P) over
  ~265 M people [DIARE-PROFIL]; Lampung reported 18.24 per 1,000 in 2012 [DIARE-LAMPUNG] [S].
  Season: peak in February, trough in September, a = 0.14 — the ten-year monthly means of Jakarta
  Pusat 2004-2013 (February 2,603, September 1,980 cases: ratio 1.32) [DIARE-JAKPUS] [S]; a
  Puskesmas study in North Jakarta found no significant rainy-season effect [DIARE-PENJARINGAN],
  so the amplitude is small and [UNCONFIRMED] beyond Jakarta.
* suspected dengue (``suspected_dengue``, A90/A91): 1.9 per 1,000 a year — about 210,000 dengue
  cases in 2024 (Kemenkes, as quoted in January 2026 [DBD-2024] [S]; 2023: ~110,000), i.e. ~75 per
  100,000, times 2.5 for *suspected* dengue (SKDR counts clinical suspects, most never confirmed)
  [UNCONFIRMED factor]. Season: peak at the start of February, a = 0.5 (peak 3 x trough) — cases
  rise every December to February (Kemenkes Dir. P2PM, March 2024 [DBD-KEMENKES]); an annual
  epidemic peaking every January/February in Cirebon 2011-2017 [DBD-CIREBON] and a one-month lag
  after the December rainfall peak in Sampang [DBD-SAMPANG]; Jakarta's peak comes later, March to
  May [DBD-JAKARTA]. The amplitude is [UNCONFIRMED]; eastern provinces peak later [DBD-PROVINCES]
  and are not shifted here.

The probability per Pustu/Puskesmas/home visit is the yearly rate divided by the clinic visits a
person makes in a year (the visit model's rates: ~1.5). Of the cases, 40 % carry the syndrome only,
30 % the ICD-10 code only and 30 % both [assumption] (surveillance counts a visit once either way).

Outbreaks (``--outbreak DISEASE:VILLAGE:WEEK[:CASES]``): ``CASES`` people of the village (default: one
more than the disease's Puskesmas floor, or 1 for a single-case disease) come to its Pustu (70 %) or
Puskesmas during that ISO week's working days inside the window, more towards its end (an epidemic
ramp), each with the syndrome and its ICD-10 code. They are always valid and sent online, whatever
the fault settings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from math import cos, pi, sqrt

# disease -> (episodes per 1,000 people a year, peak day of year, amplitude, ICD-10 codes)
SEASONAL: dict[str, tuple[float, int, float, tuple[str, ...]]] = {
    "acute_diarrhoea": (17.0, 45, 0.14, ("A09",)),
    "suspected_dengue": (1.9, 35, 0.5, ("A90", "A91")),
}
SYNDROME_ONLY, CODE_ONLY = 0.4, 0.3  # the rest carry both
ALIASES = {"dengue": "suspected_dengue", "dbd": "suspected_dengue", "diarrhoea": "acute_diarrhoea",
           "diarrhea": "acute_diarrhoea", "diare": "acute_diarrhoea", "measles": "suspected_measles",
           "campak": "suspected_measles", "diphtheria": "suspected_diphtheria", "difteri": "suspected_diphtheria"}
# ICD-10 codes given with an outbreak's cases (docs/surveillance.md, the rules table)
OUTBREAK_ICD10 = {"suspected_dengue": "A91", "acute_diarrhoea": "A09", "suspected_measles": "B05",
                  "suspected_diphtheria": "A36", "suspected_typhoid": "A01", "pneumonia": "J18"}
# Puskesmas-area floors of docs/surveillance.md (the default cluster is one above it); 0: single case
PUSKESMAS_FLOOR = {"acute_diarrhoea": 15, "suspected_dengue": 5, "pneumonia": 5, "bloody_diarrhoea": 5,
                   "suspected_typhoid": 3, "acute_jaundice": 3, "malaria_clinical": 5, "suspected_pertussis": 3,
                   "suspected_hfmd": 5, "ili": 10}
DAILY_MESSAGES_PER_PERSON = 4.8 / 1000 / 0.51 * 6 / 7  # all visits a day per person (clinic visits are 51 %)


def seasonal_factor(day: date, peak_day: int, amplitude: float) -> float:
    """The season's multiplier on ``day`` (1 on average over a year)."""
    return 1.0 + amplitude * cos(2 * pi * (day.timetuple().tm_yday - peak_day) / 365.25)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def demo_scale(population: int, rate: float) -> float:
    """The live demo sends ``rate`` visits a second, many simulated days per wall-clock day; syndromes are
    thinned by the same factor so that a wall-clock week holds a real week's cases."""
    return min(1.0, population * DAILY_MESSAGES_PER_PERSON / (rate * 86400.0))


class Syndromes:
    """Draws the seasonal syndromes of clinic visits."""

    def __init__(self, seed: int, *, visits_per_person_year: float, scale: float = 1.0) -> None:
        self.rng = random.Random(f"syndromes:{seed}")
        self.per_visit = {code: rate / 1000.0 / visits_per_person_year * scale
                          for code, (rate, _, _, _) in SEASONAL.items()}
        self._day: date | None = None
        self._today: list[tuple[str, float, tuple[str, ...]]] = []

    def rescale(self, factor: float) -> None:
        """Multiply every rate (the demo's wall-clock thinning)."""
        self.per_visit = {code: p * factor for code, p in self.per_visit.items()}
        self._day = None

    def probabilities(self, day: date) -> list[tuple[str, float, tuple[str, ...]]]:
        if day != self._day:
            self._day = day
            self._today = [(code, self.per_visit[code] * seasonal_factor(day, peak, amp), icd)
                           for code, (_, peak, amp, icd) in SEASONAL.items()]
        return self._today

    def tag(self, body: dict, day: date) -> None:
        """Add the syndromes (and ICD-10 codes) of one clinic visit, if it is a case."""
        r = self.rng.random
        for code, p, icd in self.probabilities(day):
            if r() >= p:
                continue
            u = r()
            if u >= CODE_ONLY:  # syndrome only, or both
                body.setdefault("syndromes", []).append(code)
            if u < CODE_ONLY or u >= CODE_ONLY + SYNDROME_ONLY:
                body.setdefault("diagnoses", []).append(icd[int(r() * len(icd))])


@dataclass(frozen=True)
class Outbreak:
    """A cluster to inject: ``cases`` people of ``village`` with ``disease`` in ISO ``week`` (or "now")."""

    disease: str
    village: str
    week: str
    cases: int

    @property
    def icd10(self) -> str | None:
        return OUTBREAK_ICD10.get(self.disease)


def parse_outbreak(text: str, syndromes: frozenset[str] | set[str] | None = None) -> Outbreak:
    """``DISEASE:VILLAGE:WEEK[:CASES]``, e.g. ``dengue:18.01.06.2001:2026-W49`` or ``measles:18.01.06.2005:now:1``."""
    parts = text.split(":")
    if len(parts) not in (3, 4):
        raise ValueError(f"--outbreak {text!r}: expected DISEASE:VILLAGE:WEEK[:CASES]")
    name, village, week = parts[0].strip().lower(), parts[1].strip(), parts[2].strip()
    disease = ALIASES.get(name, name)
    if syndromes is not None and disease not in syndromes:
        raise ValueError(f"--outbreak {text!r}: unknown disease {name!r} (an SKDR syndrome code, or "
                         f"{', '.join(sorted(ALIASES))})")
    if week != "now":
        try:
            year, number = week.split("-W")
            date.fromisocalendar(int(year), int(number), 1)
        except ValueError:
            raise ValueError(f"--outbreak {text!r}: WEEK is an ISO week like 2026-W49, or now") from None
    default = PUSKESMAS_FLOOR[disease] + 1 if disease in PUSKESMAS_FLOOR else 1
    cases = int(parts[3]) if len(parts) == 4 else default
    if cases < 1:
        raise ValueError(f"--outbreak {text!r}: CASES must be at least 1")
    return Outbreak(disease, village, week, cases)


def working_days(week: str, first: date, last: date) -> list[date]:
    """Monday to Saturday of an ISO week, inside ``[first, last]``."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return [d for d in (monday + timedelta(days=i) for i in range(6)) if first <= d <= last]


def schedule(outbreaks: list[Outbreak], start: date, days: int, today: date) -> dict[date, list[tuple[Outbreak, int]]]:
    """Cases per day of each outbreak: a ramp over the week's working days in the window.

    ``now`` is the ISO week of ``today``. A week without a working day in the window is an error.
    """
    last = start + timedelta(days=days - 1)
    plan: dict[date, list[tuple[Outbreak, int]]] = {}
    for ob in outbreaks:
        week = iso_week(today) if ob.week == "now" else ob.week
        on = working_days(week, start, last)
        if not on:
            raise ValueError(f"--outbreak {ob.disease}:{ob.village}:{ob.week}: week {week} has no working day "
                             f"in the simulated window {start.isoformat()} .. {last.isoformat()}")
        n = len(on)
        per_day = [0] * n
        for i in range(ob.cases):  # case i on day floor(sqrt((i + 0.5) / cases) * n): later days get more
            per_day[min(n - 1, int(sqrt((i + 0.5) / ob.cases) * n))] += 1
        for day, k in zip(on, per_day):
            if k:
                plan.setdefault(day, []).append((ob, k))
    return plan


class OutbreakInjector:
    """Adds the outbreak cases of each day to a :class:`simulator.visits.Simulation` (``day`` is its hook)."""

    def __init__(self, outbreaks: list[Outbreak], *, seed: int, villages: set[str], start: date | None = None,
                 days: int = 0, today: date | None = None) -> None:
        """Cases are scheduled over each outbreak's week inside ``start`` + ``days`` (none without ``start``:
        then :meth:`at_once` makes them)."""
        for ob in outbreaks:
            if ob.village not in villages:
                raise ValueError(f"--outbreak {ob.disease}:{ob.village}:{ob.week}: {ob.village} is not a village "
                                 "of the simulated district")
        self.outbreaks = outbreaks
        self.plan = schedule(outbreaks, start, days, today or start) if start is not None else {}
        self.rng = random.Random(f"outbreaks:{seed}")
        self.people: dict[str, int] = {}  # village -> outbreak people made so far
        self.cases: list[tuple[str, str, str]] = []  # (disease, village, visit_id) of every case sent

    def day(self, sim, ctx) -> None:  # noqa: ANN001 - a Simulation and its _Day (no import cycle)
        for ob, count in self.plan.get(ctx.day, ()):
            for _ in range(count):
                sim.push(self.case(sim, ctx, ob))

    def at_once(self, sim, day: date) -> list:  # noqa: ANN001
        """Every case of every outbreak on ``day``, as emissions (the demo sends them first)."""
        from simulator.visits import _Day

        ctx = _Day(sim, day)
        return [self.case(sim, ctx, ob) for ob in self.outbreaks for _ in range(ob.cases)]

    def case(self, sim, ctx, ob: Outbreak):  # noqa: ANN001, ANN201 - returns a faults.Emission
        """One valid, online visit of a new person of the outbreak's village with the disease."""
        from simulator.faults import Emission
        from simulator.population import ADULT, SCHOOL

        rng = self.rng
        vi = sim.vindex[ob.village]
        person = self._person(sim.pop, vi, SCHOOL if rng.random() < 0.4 else ADULT)
        pustu = sim.net.pustu[ob.village]
        puskesmas = next((p for p in sim.net.puskesmas if p.facility_id == pustu.puskesmas_id), pustu)
        fac, point = (pustu, "pustu") if rng.random() < 0.7 or puskesmas is pustu else (puskesmas, "puskesmas")
        secs = 8 * 3600 + int(rng.random() * 6 * 3600)
        body = sim.visit_body(ctx, fac, point, person, secs, {}, rng)
        body["syndromes"] = [ob.disease]
        if ob.icd10:
            body["diagnoses"] = [ob.icd10]
        occurred = ctx.epoch0 + secs
        self.cases.append((ob.disease, ob.village, body["visit_id"]))
        return Emission(occurred + 5 + int(rng.random() * 240), occurred, "valid", None, fac.facility_id,
                        fac.puskesmas_id, body, False)

    def _person(self, pop, vi: int, group: int):  # noqa: ANN001, ANN202
        """A person of the village beyond the regular pools, drawn from the outbreak stream, so that the
        regular people of the run are the same with or without outbreaks."""
        village = pop.villages[vi].code
        n = self.people[village] = self.people.get(village, 0) + 1
        saved = pop._rngs.get(vi)
        pop._rngs[vi] = self.rng
        try:
            person = pop._make(vi, group, pop.size(vi, group) + 1_000_000 + n)
            pop.identify(person)
        finally:
            if saved is None:
                del pop._rngs[vi]
            else:
                pop._rngs[vi] = saved
        return person
