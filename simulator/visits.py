"""Visit schedules: who comes where and when, turned into intake messages through the faults.

Pure generation, no I/O. What is measured at each visit is :mod:`simulator.measurements`, against
the prevalence targets of :mod:`simulator.prevalence`; random variates are :mod:`simulator.sampling`.
Over 300 lines because :class:`Simulation` is one day-by-day generator whose schedules share its state.

Visit volumes (per day, [assumption], giving ~ 250 k visits a month for Lampung Selatan):
Posyandu hari buka once a month each: under-fives by their own propensity (mean D/S ~ 0.76; SKDN
target D/S 80 % [SKDN-SCRIBD]), pregnant women 55 %, elderly 25 %, adults 15-59 4 %, school-age 1 %;
Pustu 2.5 and Puskesmas 2.0 visits per 1,000 people per working day (Mon-Sat); home visits 0.3
per 1,000 per day; 40 % of those visits are by the 10 % of people who come often (chronic patients).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta, timezone

from simulator import anc, immunization, postnatal
from simulator.faults import Emission, FaultConfig, Faults
from simulator.measurements import Measurements, birth_weight_g
from simulator.network import Facility, Network, build_network
from simulator.population import (
    ADULT,
    CHILD,
    ELDERLY,
    PREGNANT,
    SCHOOL,
    UNDER_FIVE_DAYS,
    Population,
)
from simulator.sampling import TWO_DIGITS, binomial, pick, poisson, uuid4_text
from simulator.syndromes import Outbreak, OutbreakInjector, Syndromes

# ---------------------------------------------------------------------------------------------------
# Visit volumes and mix (assumptions, see module docstring)


@dataclass(frozen=True)
class Params:
    """Behavioural parameters of the visit model (rates are per day unless stated)."""

    posyandu_pregnant: float = 0.55
    posyandu_elderly: float = 0.25
    posyandu_adult: float = 0.04
    posyandu_school: float = 0.01
    pustu_per_1000: float = 2.5
    puskesmas_per_1000: float = 2.0
    home_per_1000: float = 0.3
    # visit mix (child, school, adult, elderly, pregnant)
    # the pregnant share here is sick visits only: standard ANC contacts follow each woman's schedule (simulator.anc)
    pustu_mix: tuple[float, ...] = (0.18, 0.10, 0.48, 0.20, 0.04)
    puskesmas_mix: tuple[float, ...] = (0.15, 0.10, 0.52, 0.20, 0.03)
    home_mix: tuple[float, ...] = (0.25, 0.0, 0.10, 0.40, 0.25)


GROUP_ORDER = (CHILD, SCHOOL, ADULT, ELDERLY, PREGNANT)
FREQUENT_VISITS, FREQUENT_SHARE = 0.4, 0.1  # share of Pustu/Puskesmas/home visits by the frequent 10 % [assumption]
TIMEZONES = {"WIB": 7, "WITA": 8, "WIT": 9}


def utc_offset_hours(district_code: str) -> int:
    """WIB (+07), WITA (+08) or WIT (+09) from the province code (ilp-domain §4.3 geography)."""
    prov = int(district_code[:2])
    if prov in (51, 52, 53, 63, 64, 65) or 71 <= prov <= 76:
        return 8
    if prov >= 81:
        return 9
    return 7


def _months_since(born: date, on: date) -> int:
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if on.day < born.day else months


# ---------------------------------------------------------------------------------------------------


class Simulation(Measurements):
    """Generates the visits of a district day by day and hands each to :class:`Faults`."""

    def __init__(self, network: Network, population: Population, faults: Faults, *, start: date, days: int,
                 seed: int, params: Params | None = None, syndromes: Syndromes | None = None,
                 outbreaks: OutbreakInjector | None = None) -> None:
        self.syndromes = syndromes  # seasonal syndromes of clinic visits (simulator.syndromes)
        self.outbreaks = outbreaks  # injected clusters
        self.net = network
        self.pop = population
        self.faults = faults
        self.start = start
        self.days = days
        self.params = params or Params()
        self.rng = random.Random(f"visits:{seed}")
        self.services_rng = random.Random(f"child-services:{seed}")
        self.vitamin_a_given: set = set()
        self._anc_days: dict[int, list[tuple[int, int, anc.Contact]]] | None = None  # ordinal -> contacts
        self._postnatal_days: dict[int, list[tuple[int, int, int, postnatal.Postnatal]]] | None = None
        # immunisation sessions in the window: Puskesmas ones by day ordinal, Posyandu ones by (ordinal, Posyandu)
        # -> child key, and the children whose HB0 is recorded at KN1 (simulator.immunization)
        self._imm_puskesmas: dict[int, list[tuple[int, int, immunization.Session]]] | None = None
        self._imm_posyandu: dict[tuple[int, str], dict[int, immunization.Session]] = {}
        self._imm_hb0: set[int] = set()
        self._village_pkm = {village: pkm for pkm in network.puskesmas for village in pkm.villages}
        self._random = self.rng.random
        self.offset_h = utc_offset_hours(network.district.code)
        sign = "+" if self.offset_h >= 0 else "-"
        self.tz = f"{sign}{abs(self.offset_h):02d}:00"
        self.tzinfo = timezone(timedelta(hours=self.offset_h))
        self.vindex = {v.code: i for i, v in enumerate(network.villages)}
        self._posyandu_days: dict[tuple[int, int], dict[date, list[Facility]]] = {}
        self._pending: list[tuple[float, int, Emission]] = []
        self._seq = 0
        self._today: list[tuple[float, int, Emission]] | None = None
        # Puskesmas catchment: cumulative population of its villages, for picking a village.
        self._pkm_villages: dict[str, tuple[list[int], list[int]]] = {}
        for pkm in network.puskesmas:
            idx = [self.vindex[c] for c in pkm.villages]
            cum, total = [], 0
            for i in idx:
                total += network.populations[i]
                cum.append(total)
            self._pkm_villages[pkm.facility_id] = (idx, cum)
        self.generated = 0
        self._skew = {f.facility_id: faults.skew(f.facility_id) for f in network.facilities()}

    # ------------------------------------------------------------------ schedule
    def posyandu_open_on(self, day: date) -> list[Facility]:
        """Posyandu whose monthly hari buka falls on ``day``."""
        key = (day.year, day.month)
        table = self._posyandu_days.get(key)
        if table is None:
            table = {}
            first = day.replace(day=1)
            for v in self.net.villages:
                for pos in self.net.posyandu[v.code]:
                    offset = (pos.open_weekday - first.weekday()) % 7 + 7 * pos.open_week
                    table.setdefault(first + timedelta(days=offset), []).append(pos)
            self._posyandu_days[key] = table
        return table.get(day, [])

    def emissions(self) -> Iterator[Emission]:
        """Every emission of the run in sending order (offline and re-sent records come later)."""
        pending = self._pending  # heap of messages due after the current day
        for n in range(self.days):
            day = self.start + timedelta(days=n)
            today = self._today = []
            self.generate_day(day)
            horizon = self._epoch(day + timedelta(days=1), 0)
            ready = []
            for item in today:
                if item[0] < horizon:
                    ready.append(item)
                else:
                    heapq.heappush(pending, item)
            while pending and pending[0][0] < horizon:
                ready.append(heapq.heappop(pending))
            ready.sort()
            for item in ready:
                yield item[2]
        self._today = None
        while pending:
            yield heapq.heappop(pending)[2]

    def generate_day(self, day: date) -> None:
        """Generate one day's visits (Sunday: none)."""
        if day.weekday() == 6:
            return
        ctx = _Day(self, day)
        self.immunization_schedule()
        for pos in self.posyandu_open_on(day):
            self._posyandu(ctx, pos)
        rng = self.rng
        p = self.params
        for vi, v in enumerate(self.net.villages):
            pop = self.net.populations[vi]
            pustu = self.net.pustu[v.code]
            for _ in range(poisson(rng, pop * p.pustu_per_1000 / 1000)):
                self._facility_visit(ctx, pustu, "pustu", vi, p.pustu_mix, 8 * 3600, 14 * 3600)
            for _ in range(poisson(rng, pop * p.home_per_1000 / 1000)):
                self._facility_visit(ctx, pustu, "home_visit", vi, p.home_mix, 9 * 3600, 16 * 3600)
        close = 11 * 3600 if day.weekday() == 4 else 14 * 3600  # Friday prayers
        for pkm in self.net.puskesmas:
            idx, cum = self._pkm_villages[pkm.facility_id]
            for _ in range(poisson(rng, cum[-1] * p.puskesmas_per_1000 / 1000)):
                u = rng.random() * cum[-1]
                vi = idx[pick(cum, u)]
                self._facility_visit(ctx, pkm, "puskesmas", vi, p.puskesmas_mix, 7 * 3600 + 1800, close)
        self._anc_contacts(ctx)
        self._postnatal_contacts(ctx)
        self._immunization_contacts(ctx)
        if self.outbreaks is not None:
            self.outbreaks.day(self, ctx)

    def anc_schedule(self) -> dict[int, list[tuple[int, int, anc.Contact]]]:
        """Every pregnant woman's standard ANC contacts (:mod:`simulator.anc`), by day ordinal."""
        if self._anc_days is None:
            table: dict[int, list[tuple[int, int, anc.Contact]]] = {}
            for vi in range(len(self.net.villages)):
                for idx in range(self.pop.size(vi, PREGNANT)):
                    woman = self.pop.person(vi, PREGNANT, idx)
                    for c in anc.schedule(woman.key, woman.lmp, woman.due_weeks):
                        table.setdefault(c.day.toordinal(), []).append((vi, idx, c))
            self._anc_days = table
        return self._anc_days

    def _anc_contacts(self, ctx: _Day) -> None:
        """The standard ANC contacts due today: the doctor's at the Puskesmas, the midwife's at the Pustu."""
        rng = self.rng
        close = 11 * 3600 if ctx.day.weekday() == 4 else 14 * 3600
        for vi, idx, contact in self.anc_schedule().get(ctx.ordinal, ()):
            woman = self.pop.person(vi, PREGNANT, idx)
            code = self.net.villages[vi].code
            if contact.by == "doctor":
                fac, point, open_s, hb_p = self._village_pkm[code], "puskesmas", 7 * 3600 + 1800, 0.75
            else:
                fac, point, open_s, hb_p = self.net.pustu[code], "pustu", 8 * 3600, 0.5
            secs = open_s + int(rng.random() * (close - open_s))
            ga = (ctx.day - woman.lmp).days // 7
            m, preg = self._pregnant(ctx, woman, ga, lab=fac.has("hb_test"), hb_p=hb_p, point=point, contact=contact)
            self._emit(ctx, fac, point, woman, secs, m, preg, None)

    def postnatal_schedule(self) -> dict[int, list[tuple[int, int, int, postnatal.Postnatal]]]:
        """Every postpartum (KF) and neonatal (KN) visit of the births near the window, by day ordinal:
        (village, group, index, visit)."""
        if self._postnatal_days is None:
            table: dict[int, list[tuple[int, int, int, postnatal.Postnatal]]] = {}
            first, last = self.start.toordinal(), (self.start + timedelta(days=self.days)).toordinal()

            def add(vi: int, group: int, idx: int, visits: tuple[postnatal.Postnatal, ...]) -> None:
                for pv in visits:
                    if first <= pv.day.toordinal() < last:
                        table.setdefault(pv.day.toordinal(), []).append((vi, group, idx, pv))

            for vi in range(len(self.net.villages)):
                for idx in range(self.pop.size(vi, PREGNANT)):
                    woman = self.pop.person(vi, PREGNANT, idx)
                    delivered = postnatal.delivery_day(woman.lmp, woman.due_weeks)
                    if first - 43 <= delivered.toordinal() < last:
                        add(vi, PREGNANT, idx, postnatal.postpartum(woman.key, delivered))
                size = self.pop.size(vi, CHILD)
                span = UNDER_FIVE_DAYS + self.days + 1
                for idx in range(max(0, int((UNDER_FIVE_DAYS - 30) * size / span) - 1), size):
                    child = self.pop.person(vi, CHILD, idx)
                    if first - 29 <= child.birth.toordinal() < last:
                        add(vi, CHILD, idx, postnatal.neonatal(child.key, child.birth))
            self._postnatal_days = table
        return self._postnatal_days

    def _postnatal_contacts(self, ctx: _Day) -> None:
        """Today's KF and KN visits by the village's Pustu: the first at the Pustu, later ones at home."""
        rng = self.rng
        for vi, group, idx, pv in self.postnatal_schedule().get(ctx.ordinal, ()):
            person = self.pop.person(vi, group, idx)
            pustu = self.net.pustu[self.net.villages[vi].code]
            point = "pustu" if pv.number == 1 else "home_visit"
            secs = 8 * 3600 + int(rng.random() * 6 * 3600)
            if group == CHILD:
                m = self._child(ctx, person, pv.days, weigh=True, height_p=0.5)
                extra = {"newborn": {"neonatal_visit": pv.number, "birth_weight_g": birth_weight_g(person.key)}}
                if pv.number == 1 and person.key in self._imm_hb0:
                    extra["immunizations"] = ["hb0"]
                self._emit(ctx, pustu, point, person, secs, m, None, None, extra, scheduled=True)
            else:
                m = {"postpartum_days": pv.days, "postpartum_visit": pv.number}
                if pv.delivery is not None:
                    m["delivery"] = dict(pv.delivery)
                if rng.random() < 0.9:  # blood pressure at the postpartum visit [assumption]
                    m["systolic_mmhg"], m["diastolic_mmhg"], _ = self._bp(person, ctx.age_years(person.birth))
                self._emit(ctx, pustu, point, person, secs, m, None, None, scheduled=True)

    def immunization_schedule(self) -> dict[int, list[tuple[int, int, immunization.Session]]]:
        """Every child's immunisation sessions that fall in the window (:mod:`simulator.immunization`): the
        Puskesmas ones by day ordinal (returned); the Posyandu ones kept for the Posyandu's hari buka."""
        if self._imm_puskesmas is None:
            table: dict[int, list[tuple[int, int, immunization.Session]]] = {}
            first, last = self.start.toordinal(), (self.start + timedelta(days=self.days)).toordinal()
            span = UNDER_FIVE_DAYS + self.days + 1
            base = first - UNDER_FIVE_DAYS  # child idx is born in [base + idx w, base + (idx + 1) w), w = span / size
            end = self.start + timedelta(days=self.days)
            ranges = immunization.birth_ranges(self.start, end)
            for vi, v in enumerate(self.net.villages):
                size = self.pop.size(vi, CHILD)
                posyandu = self.net.posyandu[v.code]
                indices: set[int] = set()
                for lo, hi in ranges:
                    indices.update(range(max(0, int((lo - base) * size / span) - 1),
                                         min(size, int((hi - base) * size / span) + 2)))
                for idx in sorted(indices):
                    child = self.pop.person(vi, CHILD, idx)
                    if not immunization.may_fall_in(child.birth, self.start, end):
                        continue
                    pos = posyandu[idx % len(posyandu)]  # the child's Posyandu (Population.catchment)
                    plan = immunization.plan(child.key, child.birth, lambda d, p=pos: immunization.next_hari_buka(
                        d, p.open_weekday, p.open_week))
                    if plan.hb0:
                        self._imm_hb0.add(child.key)
                    for session in plan.sessions:
                        ordinal = session.day.toordinal()
                        if not first <= ordinal < last:
                            continue
                        if session.place == "puskesmas":
                            table.setdefault(ordinal, []).append((vi, idx, session))
                        else:
                            self._imm_posyandu.setdefault((ordinal, pos.facility_id), {})[child.key] = session
            self._imm_puskesmas = table
        return self._imm_puskesmas

    def _immunization_contacts(self, ctx: _Day) -> None:
        """Today's immunisation sessions at the Puskesmas (the child is weighed too)."""
        rng = self.rng
        close = 11 * 3600 if ctx.day.weekday() == 4 else 14 * 3600
        for vi, idx, session in self.immunization_schedule().get(ctx.ordinal, ()):
            child = self.pop.person(vi, CHILD, idx)
            pkm = self._village_pkm[self.net.villages[vi].code]
            age = (ctx.day - child.birth).days
            secs = 7 * 3600 + 1800 + int(rng.random() * (close - 7 * 3600 - 1800))
            m = self._child(ctx, child, age, weigh=True, height_p=0.3)
            extra = {**(self._child_services(ctx, child, age, m) or {}), "immunizations": list(session.antigens)}
            self._emit(ctx, pkm, "puskesmas", child, secs, m, None, None, extra, scheduled=True)

    # ------------------------------------------------------------------ service points
    def _posyandu(self, ctx: _Day, pos: Facility) -> None:
        rng = self.rng
        vi = self.vindex[pos.village_code]
        day = ctx.day
        pustu = self.net.pustu[pos.village_code]
        lab = pustu.has("hb_test")
        batch = self.faults.posyandu_batch(pos, day)
        open_s, span = 8 * 3600, 4 * 3600
        slot, of = pos.slot, pos.of
        sessions = self._imm_posyandu.get((ctx.ordinal, pos.facility_id))
        for child in self.pop.catchment(vi, CHILD, slot, of):
            age = (day - child.birth).days
            if age < 0 or age >= UNDER_FIVE_DAYS:
                continue
            session = sessions.get(child.key) if sessions else None
            if rng.random() >= child.attend and session is None:  # a child due for a dose comes
                continue
            m = self._child(ctx, child, age, weigh=True, height_p=0.85)
            extra = self._child_services(ctx, child, age, m)
            if session is not None:
                extra = {**(extra or {}), "immunizations": list(session.antigens)}
            self._emit(ctx, pos, "posyandu", child, open_s + int(rng.random() * span), m, None, batch, extra)
        for woman in self.pop.catchment(vi, PREGNANT, slot, of):
            ga = (day - woman.lmp).days // 7
            if not 4 <= ga <= woman.due_weeks or rng.random() >= self.params.posyandu_pregnant:
                continue
            m, preg = self._pregnant(ctx, woman, ga, lab=lab, hb_p=0.4, point="posyandu")
            self._emit(ctx, pos, "posyandu", woman, open_s + int(rng.random() * span), m, preg, batch)
        for group, share in ((ELDERLY, self.params.posyandu_elderly), (ADULT, self.params.posyandu_adult),
                             (SCHOOL, self.params.posyandu_school)):
            size = self.pop.size(vi, group)
            catchment = range(slot, size, of)
            k = binomial(rng, len(catchment), share)
            for idx in rng.sample(catchment, k) if k else ():
                person = self.pop.person(vi, group, idx)
                m = self._general(ctx, person, group, lab=lab, point="posyandu")
                self._emit(ctx, pos, "posyandu", person, open_s + int(rng.random() * span), m, None, batch)

    def _facility_visit(self, ctx: _Day, fac: Facility, point: str, vi: int, mix: tuple[float, ...],
                        open_s: int, close_s: int) -> None:
        rng = self.rng
        u, group = rng.random(), ADULT
        for g, share in zip(GROUP_ORDER, mix):
            if u < share:
                group = g
                break
            u -= share
        day = ctx.day
        lab = fac.has("hb_test")
        secs = open_s + int(rng.random() * (close_s - open_s))
        if group == CHILD or group == PREGNANT:
            active = self.pop.active_range(vi, group, ctx.ordinal)
            for _ in range(4 if active else 0):
                person = self.pop.person(vi, group, active[int(rng.random() * len(active))])
                if group == CHILD:
                    age = (day - person.birth).days
                    if 0 <= age < UNDER_FIVE_DAYS:
                        m = self._child(ctx, person, age, weigh=rng.random() < (0.9 if point != "home_visit" else 0.6),
                                        height_p=0.3)
                        extra = self._child_services(ctx, person, age, m)
                        self._emit(ctx, fac, point, person, secs, m, None, None, extra)
                        return
                else:
                    ga = (day - person.lmp).days // 7
                    if 4 <= ga <= person.due_weeks:
                        m, preg = self._pregnant(ctx, person, ga, lab=lab, hb_p=0.75 if point == "puskesmas" else 0.5,
                                                 point=point)
                        self._emit(ctx, fac, point, person, secs, m, preg, None)
                        return
            group = ADULT
        size = self.pop.size(vi, group)
        if size <= 0:
            return
        # 40 % of these visits come from the 10 % of people who come often (chronic patients) [assumption]
        idx = int(rng.random() * size * FREQUENT_SHARE) if rng.random() < FREQUENT_VISITS else int(rng.random() * size)
        person = self.pop.person(vi, group, idx)
        m = self._general(ctx, person, group, lab=lab, point=point)
        codes = self._chronic_codes(person, ctx.age_years(person.birth), m, point)
        self._emit(ctx, fac, point, person, secs, m, None, None, {"diagnoses": codes} if codes else None)

    # ------------------------------------------------------------------ records
    def _epoch(self, day: date, secs: int) -> float:
        return (day.toordinal() - 719163) * 86400.0 + secs - self.offset_h * 3600

    def visit_body(self, ctx: _Day, fac: Facility, point: str, person, secs: int, m: dict,  # noqa: ANN001
                   rng: random.Random | None = None) -> dict:
        """The intake JSON of one visit at ``secs`` after local midnight (device skew applied)."""
        TWO = TWO_DIGITS
        local = secs + self._skew[fac.facility_id]
        self.generated += 1
        return {
            "visit_id": uuid4_text(rng or self.rng),
            "facility_id": fac.facility_id,
            "occurred_at": f"{ctx.iso}T{TWO[local // 3600]}:{TWO[local // 60 % 60]}:{TWO[local % 60]}{self.tz}",
            "service_point": point,
            "person": person.json or self.pop.identify(person),
            "measurements": m,
        }

    def push(self, e: Emission) -> None:
        """Queue one message in sending order."""
        self._seq += 1
        if self._today is not None:
            self._today.append((e.send_at, self._seq, e))
        else:  # generate_day called directly (tests, tools)
            heapq.heappush(self._pending, (e.send_at, self._seq, e))

    def _emit(self, ctx: _Day, fac: Facility, point: str, person, secs: int, m: dict, preg: dict | None,
              batch: float | None, extra: dict | None = None, *, scheduled: bool = False) -> None:
        """``scheduled``: a programme contact (postnatal visits), which carries no seasonal syndrome."""
        rng = self.rng
        body = self.visit_body(ctx, fac, point, person, secs, m)
        if preg is not None:
            body["pregnancy"] = preg
        if extra:
            body.update(extra)
        if self.syndromes is not None and point != "posyandu" and not scheduled:
            self.syndromes.tag(body, ctx.day)
        occurred = ctx.epoch0 + secs
        send = batch + secs / 1000.0 if batch is not None else occurred + 5 + int(rng.random() * 240)
        for e in self.faults.emit(fac, body, occurred, send, batch is not None):
            self.push(e)


class _Day:
    """Per-day constants shared by the generators."""

    __slots__ = ("day", "iso", "epoch0", "month_index", "ordinal")

    def __init__(self, sim: Simulation, day: date) -> None:
        self.day = day
        self.ordinal = day.toordinal()
        self.iso = day.isoformat()
        self.epoch0 = sim._epoch(day, 0)
        self.month_index = day.year * 12 + day.month

    def age_years(self, born: date) -> int:
        d = self.day
        years = d.year - born.year
        return years - 1 if (d.month, d.day) < (born.month, born.day) else years


def build_simulation(regions, district: str, *, seed: int = 1, start: date, days: int,  # noqa: ANN001
                     population_scale: float = 1.0, faults: FaultConfig | None = None,
                     params: Params | None = None, puskesmas_count: int | None = None, seasonal: bool = True,
                     syndrome_scale: float = 1.0, outbreaks: tuple[Outbreak, ...] | list[Outbreak] = (),
                     today: date | None = None) -> Simulation:
    """Network, population, faults and visit model of one district, ready to iterate.

    ``seasonal``: clinic visits carry the seasonal syndromes (``syndrome_scale`` thins them, for the
    demo); ``outbreaks``: clusters to inject (a week ``now`` is the ISO week of ``today``).
    """
    net = build_network(regions, district, seed=seed, population_scale=population_scale,
                        puskesmas_count=puskesmas_count)
    pop = Population(net.villages, net.populations, seed, start, days, regions, district)
    posyandu_ids = [p.facility_id for ps in net.posyandu.values() for p in ps]
    flt = Faults(faults or FaultConfig(), seed=seed, offset_hours=utc_offset_hours(district), posyandu_ids=posyandu_ids,
                 province=district[:2], regions=regions)
    p = params or Params()
    clinic_per_year = (p.pustu_per_1000 + p.puskesmas_per_1000 + p.home_per_1000) / 1000 * 6 * 365.25 / 7
    syndromes = Syndromes(seed, visits_per_person_year=clinic_per_year, scale=syndrome_scale) if seasonal else None
    injector = OutbreakInjector(list(outbreaks), seed=seed, villages={v.code for v in net.villages}, start=start,
                                days=days, today=today or start) if outbreaks else None
    return Simulation(net, pop, flt, start=start, days=days, seed=seed, params=params, syndromes=syndromes,
                      outbreaks=injector)
