"""Seasonal syndromes, injected outbreaks and the expected signals of the ground truth."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from services.surveillance.domain import areas
from services.surveillance.domain.catalogue import DISEASES
from services.surveillance.domain.rules import Rule
from shared.contracts.intake import IntakeVisit
from simulator import cli
from simulator.faults import FaultConfig
from simulator.network import facilities_csv
from simulator.skdr import ExpectedSignals, previous_weeks, threshold
from simulator.syndromes import (
    SEASONAL,
    Outbreak,
    demo_scale,
    parse_outbreak,
    schedule,
    seasonal_factor,
    working_days,
)
from simulator.truth import Truth
from simulator.visits import build_simulation

NO_FAULTS = FaultConfig(offline_share=0, duplicate_share=0, invalid_share=0, warning_share=0)
METRO_VILLAGE, OTHER_VILLAGE = "18.72.01.1001", "18.72.02.1002"


def bodies(sim) -> list[dict]:  # noqa: ANN001
    return [e.body for e in sim.emissions() if isinstance(e.body, dict)]


def test_dengue_peaks_in_the_rainy_season_and_diarrhoea_barely() -> None:
    rate, peak, amplitude, _ = SEASONAL["suspected_dengue"]
    february, august = date(2026, 2, 4), date(2026, 8, 5)
    assert seasonal_factor(february, peak, amplitude) / seasonal_factor(august, peak, amplitude) == pytest.approx(3, rel=0.02)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    for code, (_, peak, amplitude, _) in SEASONAL.items():
        assert sum(seasonal_factor(d, peak, amplitude) for d in days) / 365 == pytest.approx(1.0, abs=0.01), code
    _, peak, amplitude, _ = SEASONAL["acute_diarrhoea"]
    ratio = seasonal_factor(date(2026, 2, 14), peak, amplitude) / seasonal_factor(date(2026, 8, 15), peak, amplitude)
    assert ratio == pytest.approx(1.32, abs=0.02)  # Jakarta Pusat's February / September means


def test_rates_per_person_and_year_match_the_sources(regions) -> None:  # noqa: ANN001
    """Eight weeks of Kota Metro (~168 k people) in a neutral season: episodes per 1,000 a year."""
    start, days = date(2026, 4, 20), 56  # dengue's and diarrhoea's factors are near 1 around May
    sim = build_simulation(regions, "18.72", seed=5, start=start, days=days, faults=NO_FAULTS)
    counted = Counter()
    for body in bodies(sim):
        syndromic = {"A09": "acute_diarrhoea", "A90": "suspected_dengue", "A91": "suspected_dengue"}
        for code in set(body.get("syndromes", [])) | {  # chronic codes (I10, E11: SPM) are no syndrome
                syndromic[d] for d in body.get("diagnoses", []) if d[0] not in "IE"}:
            counted[code] += 1
    people, years = sum(sim.net.populations), days / 365.25
    season = {code: sum(seasonal_factor(start + timedelta(days=i), p, a) for i in range(days)) / days
              for code, (_, p, a, _) in SEASONAL.items()}
    for code, (rate, *_rest) in SEASONAL.items():
        measured = counted[code] / people / years * 1000 / season[code]
        assert measured == pytest.approx(rate, rel=0.15 if code == "acute_diarrhoea" else 0.3), code


CHRONIC = {"I10", "E11"}  # the SPM diagnoses of known hypertensives and diabetics (simulator.measurements)


def _seasonal_only(b: dict) -> dict:
    """The visit without its seasonal syndromes and syndromic diagnoses (chronic codes kept)."""
    out = {k: v for k, v in b.items() if k not in ("syndromes", "diagnoses")}
    chronic = [d for d in b.get("diagnoses", ()) if d in CHRONIC]
    if chronic:
        out["diagnoses"] = chronic
    return out


def _syndromic(b: dict) -> bool:
    return "syndromes" in b or any(d not in CHRONIC for d in b.get("diagnoses", ()))


def test_syndromes_leave_the_rest_of_the_run_unchanged(small_simulation) -> None:  # noqa: ANN001
    with_syndromes = bodies(small_simulation())
    without = bodies(small_simulation(seasonal=False))
    assert any(_syndromic(b) for b in with_syndromes)
    assert not any(_syndromic(b) for b in without)
    assert [_seasonal_only(b) for b in with_syndromes] == without
    assert all(b["service_point"] != "posyandu" for b in with_syndromes if _syndromic(b))
    valid = [e.body for e in small_simulation().emissions() if e.kind == "valid"]
    for b in valid[:2000]:
        if "syndromes" in b or "diagnoses" in b:
            IntakeVisit.model_validate(b)


def test_outbreak_options_are_parsed_with_their_defaults() -> None:
    assert parse_outbreak("dengue:18.01.06.2001:2026-W49") == Outbreak("suspected_dengue", "18.01.06.2001", "2026-W49", 6)
    assert parse_outbreak("measles:18.01.06.2005:now").cases == 1  # a single-case disease
    assert parse_outbreak("diare:18.01.06.2005:2026-W01:20").cases == 20
    assert parse_outbreak("suspected_typhoid:18.01.06.2005:2026-W01").cases == 4
    for bad in ("dengue:18.01.06.2001", "dengue:18.01.06.2001:2026-49", "dengue:18.01.06.2001:2026-W54",
                "dengue:18.01.06.2001:now:0", "flu:18.01.06.2001:now"):
        with pytest.raises(ValueError):
            parse_outbreak(bad, {"suspected_dengue", "acute_diarrhoea", "suspected_measles"})


def test_an_outbreak_ramps_up_over_its_week_inside_the_window() -> None:
    ob = Outbreak("suspected_dengue", METRO_VILLAGE, "2026-W49", 6)
    plan = schedule([ob], date(2026, 11, 30), 14, date(2026, 12, 1))
    per_day = [sum(k for _, k in plan.get(date(2026, 11, 30) + timedelta(days=i), [])) for i in range(7)]
    assert sum(per_day) == 6 and per_day[6] == 0  # Sunday closed
    assert per_day[:3] <= per_day[3:6] and per_day[0] <= per_day[5]
    assert working_days("2026-W49", date(2026, 12, 3), date(2026, 12, 31)) == [date(2026, 12, 3), date(2026, 12, 4),
                                                                               date(2026, 12, 5)]
    late = schedule([ob], date(2026, 12, 3), 3, date(2026, 12, 3))  # only Thursday to Saturday in the window
    assert sum(k for day in late.values() for _, k in day) == 6 and min(late) == date(2026, 12, 3)
    now = schedule([Outbreak("suspected_measles", METRO_VILLAGE, "now", 1)], date(2026, 11, 23), 21, date(2026, 12, 1))
    assert list(now) and all(d.isocalendar()[1] == 49 for d in now)
    with pytest.raises(ValueError, match="no working day"):
        schedule([ob], date(2026, 12, 7), 7, date(2026, 12, 7))


def test_outbreak_cases_are_valid_distinct_people_of_the_village_and_change_nothing_else(small_simulation) -> None:  # noqa: ANN001
    ob = parse_outbreak(f"dengue:{METRO_VILLAGE}:2026-W44")  # 26 Oct - 1 Nov, inside SMALL's window
    plain = bodies(small_simulation(seasonal=False))
    sim = small_simulation(seasonal=False, outbreaks=[ob])
    injected = bodies(sim)
    cases = [b for b in injected if b.get("syndromes") == ["suspected_dengue"]]
    assert len(cases) == 6 and all(b["diagnoses"] == ["A91"] for b in cases)
    assert len({b["person"]["nik"] for b in cases}) == 6
    assert all(b["person"]["village_code"] == METRO_VILLAGE for b in cases)
    assert all(date.fromisoformat(b["occurred_at"][:10]).isocalendar()[1] == 44 for b in cases)
    assert {b["service_point"] for b in cases} <= {"pustu", "puskesmas"}
    for b in cases:
        IntakeVisit.model_validate(b)
    assert [b for b in injected if b not in cases] == plain  # every other visit exactly as without the outbreak
    with pytest.raises(ValueError, match="not a village"):
        small_simulation(outbreaks=[parse_outbreak("dengue:18.01.06.2001:2026-W44")])


def test_thresholds_one_below_at_and_one_above() -> None:
    doubling = DISEASES["suspected_dengue"].rule("village")  # >= 2 x mean of 4 weeks, at least 3
    assert threshold(doubling, [0, 0, 0, 0]) == 3
    assert threshold(doubling, [2, 3, 2, 3]) == 5
    assert threshold(doubling, [1, 1, 1, 2]) == 3  # ceil(2.5)
    assert threshold(Rule("single"), []) == 1 and threshold(Rule("fixed", threshold=4), []) == 4
    assert threshold(Rule("mean_sd", weeks=4, k=2, min_cases=1), [2, 2, 2, 2]) == 3
    truth = ExpectedSignals({METRO_VILLAGE: "PKM1"})
    for village, n, week in ((METRO_VILLAGE, 2, 10), (METRO_VILLAGE, 3, 11), (OTHER_VILLAGE, 4, 11)):
        for i in range(n):  # one below, at and one above the village floor of 3
            truth.add({"occurred_at": f"2026-03-{2 + 7 * (week - 10):02d}T09:00:00+07:00",
                       "person": {"village_code": village}, "diagnoses": ["A91"]}, ("n", f"{village}{week}{i}"))
        truth.add({"occurred_at": f"2026-03-{2 + 7 * (week - 10):02d}T10:00:00+07:00",  # the same person again
                   "person": {"village_code": village}, "syndromes": ["suspected_dengue"]}, ("n", f"{village}{week}0"))
    assert [(s["area_code"], s["week"], s["threshold"], s["count"]) for s in truth.result()] == [
        (METRO_VILLAGE, "2026-W11", 3, 3), (OTHER_VILLAGE, "2026-W11", 3, 4)]  # PKM1's area needs 5
    assert previous_weeks("2026-W01", 2) == ["2025-W51", "2025-W52"]
    assert truth.result(now_week="2026-W30", max_age_weeks=12) == []  # too old for surveillance to raise


def test_the_ground_truth_expects_the_outbreaks_signals(small_simulation) -> None:  # noqa: ANN001
    sim = small_simulation(seasonal=False, faults=NO_FAULTS, outbreaks=[
        parse_outbreak(f"dengue:{METRO_VILLAGE}:2026-W44"), parse_outbreak(f"measles:{OTHER_VILLAGE}:2026-W44")])
    truth = Truth.for_network(sim.net, [2026])
    for e in sim.emissions():
        truth.add(e)
    puskesmas = next(p.facility_id for p in sim.net.puskesmas if METRO_VILLAGE in p.villages)
    assert [(s["area_kind"], s["area_code"], s["disease"], s["week"], s["threshold"], s["count"])
            for s in truth.result()["signals"]] == [
        ("puskesmas", puskesmas, "suspected_dengue", "2026-W44", 5, 6),
        ("village", METRO_VILLAGE, "suspected_dengue", "2026-W44", 3, 6),
        ("village", OTHER_VILLAGE, "suspected_measles", "2026-W44", 1, 1)]


def test_the_simulated_catchments_are_those_surveillance_derives(small_simulation) -> None:  # noqa: ANN001
    sim = small_simulation()
    rows = [line.split(",") for line in facilities_csv(sim.net).splitlines()[1:]]
    network = {r[0]: areas.Facility(r[0], r[2], r[3] or None, r[4]) for r in rows}
    assert areas.catchment(network) == {v: p.facility_id for p in sim.net.puskesmas for v in p.villages}


def test_the_demo_thins_syndromes_to_a_real_week_per_wall_week() -> None:
    assert demo_scale(1_064_301, 2.0) == pytest.approx(0.05, abs=0.005)  # Lampung Selatan at 2 visits/s
    assert demo_scale(100_000, 0.001) == 1.0  # slower than real life: nothing to thin


def test_the_command_line_refuses_impossible_outbreaks(tmp_path, capsys) -> None:  # noqa: ANN001
    base = ["--district", "18.72", "--days", "7", "--start", "2026-10-05", "--population-scale", "0.05", "--quiet",
            "--out", str(tmp_path / "v.jsonl")]
    assert cli.main([*base, "--outbreak", f"dengue:{METRO_VILLAGE}:2026-W50"]) == 2
    assert "no working day" in capsys.readouterr().err
    assert cli.main([*base, "--outbreak", "flu:18.72.01.1001:2026-W41"]) == 2
    assert cli.main([*base, "--demo", "--outbreak", f"dengue:{METRO_VILLAGE}:2026-W41"]) == 2
    assert "now" in capsys.readouterr().err
    assert cli.main([*base, "--outbreak", f"dengue:{METRO_VILLAGE}:2026-W41", "--truth", str(tmp_path / "t.json")]) == 0
