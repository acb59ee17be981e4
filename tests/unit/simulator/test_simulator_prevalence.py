"""Measured prevalences on large samples are within tolerance of the cited national figures."""

from __future__ import annotations

import random
from datetime import date

import pytest

from simulator import prevalence as V
from simulator import visits
from simulator.population import ADULT, ELDERLY, Person


@pytest.fixture(scope="module")
def malang():  # noqa: ANN201
    """A simulation object over Kabupaten Malang at 3 % (~80 k people), used for its measurement model."""
    from shared.regions import load_regions
    from simulator.visits import build_simulation

    return build_simulation(load_regions(), "35.07", seed=11, start=date(2026, 10, 1), days=1, population_scale=0.03)


def _share(flags: list[bool]) -> float:
    return 100.0 * sum(flags) / len(flags)


def test_hypertension_and_diabetes_of_the_population(malang) -> None:  # noqa: ANN001
    sim = malang
    ctx = visits._Day(sim, date(2026, 10, 1))
    people = [sim.pop.person(vi, g, i) for vi in range(len(sim.pop.villages)) for g in (ADULT, ELDERLY)
              for i in range(sim.pop.size(vi, g))]
    assert len(people) > 40_000
    ht18, ht15, dm15 = [], [], []
    for p in people:
        age = ctx.age_years(p.birth)
        sbp, dbp, positive = sim._bp(p, age)
        assert positive == (sbp >= 140 or dbp >= 90) and dbp < sbp
        ht15.append(positive)
        if age >= 18:
            ht18.append(positive)
        glucose, fasting = sim._glucose(p, age)
        dm15.append(glucose >= (126 if fasting else 200))
    assert _share(ht18) == pytest.approx(V.HYPERTENSION_PCT, abs=1.0)  # SKI 2023: 30.8 % (>= 18 y)
    assert _share(ht15) == pytest.approx(29.2, abs=1.0)  # SKI 2023: 29.2 % (>= 15 y), not a calibration input
    assert _share(dm15) == pytest.approx(V.DIABETES_PCT, abs=1.0)  # SKI 2023: 11.7 % (>= 15 y)


def test_pregnancy_anaemia_kek_and_tb(malang) -> None:  # noqa: ANN001
    sim = malang
    rng = random.Random(5)
    anaemia, kek, tb = [], [], []
    for _ in range(30_000):
        w = Person()
        w.u_hb, w.u_muac = rng.gauss(0, 1), rng.gauss(0, 1)
        anaemia.append(sim._hb_pregnant(w) < 11.0)
        kek.append(sim._muac_pregnant(w) < 23.5)
        tb.append(sim._cough(V.TB_PRESUMPTIVE_ADULT) >= 2)
    assert _share(anaemia) == pytest.approx(V.ANAEMIA_PREGNANCY_PCT, abs=1.5)  # Riskesdas 2018: 48.9 %
    assert _share(kek) == pytest.approx(V.KEK_PREGNANCY_PCT, abs=1.0)  # Riskesdas 2018: 17.3 %
    assert _share(tb) == pytest.approx(100 * V.TB_PRESUMPTIVE_ADULT, abs=0.5)


def test_child_anthropometry_by_real_who_zscores(malang) -> None:  # noqa: ANN001
    zscores = pytest.importorskip("services.screening.domain.zscores")
    sim = malang
    ctx = visits._Day(sim, date(2026, 10, 5))
    rng = random.Random(7)
    stunted, wasted, under = [], [], []
    for _ in range(30_000):
        c = Person()
        c.sex = "M" if rng.random() < 0.518 else "F"
        c.e_h, c.e_w = rng.gauss(0, 1), rng.gauss(0, 1)
        age = int(rng.random() * 1826)
        m = sim._child(ctx, c, age, weigh=True, height_p=1.0)
        wfa, lhfa, wflh, *_ = zscores.who2006(c.sex, age, m["weight_kg"], m["height_cm"], m["measured_lying"],
                                              m.get("muac_cm"), None)
        under.append(wfa < -2)
        stunted.append(lhfa < -2)
        if wflh is not None:
            wasted.append(wflh < -2)
    assert _share(stunted) == pytest.approx(V.STUNTING_PCT, abs=1.5)  # SKI 2023: 21.5 %
    assert _share(wasted) == pytest.approx(V.WASTING_PCT, abs=1.0)  # SKI 2023: 8.5 %
    assert _share(under) == pytest.approx(V.UNDERWEIGHT_PCT, abs=1.5)  # SKI 2023: 15.9 %


def test_stunting_follows_the_ski_age_gradient(malang) -> None:  # noqa: ANN001
    zscores = pytest.importorskip("services.screening.domain.zscores")
    sim = malang
    ctx = visits._Day(sim, date(2026, 10, 5))
    rng = random.Random(8)
    young, older = [], []
    for _ in range(12_000):
        c = Person()
        c.sex = "F"
        c.e_h, c.e_w = rng.gauss(0, 1), rng.gauss(0, 1)
        age = int(rng.random() * 1826)
        m = sim._child(ctx, c, age, weigh=True, height_p=1.0)
        lhfa = zscores.who2006("F", age, m["weight_kg"], m["height_cm"], m["measured_lying"], None, None)[1]
        (young if age < 365 else older).append(lhfa < -2)
    assert _share(young) < _share(older) - 5  # SKI 2023: ~13 % under 1 year, ~24 % from 1 to 4 years
