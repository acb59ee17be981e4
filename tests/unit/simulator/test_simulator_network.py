"""Network: facilities and targets CSVs that registration's own parsers accept, with the ILP structure."""

from __future__ import annotations

from collections import Counter

import pytest

from services.registration.usecases.imports import (
    parse_facilities_csv,
    parse_targets_csv,
)
from simulator.network import (
    RS_CAPABILITIES,
    build_network,
    facilities_csv,
    puskesmas_allocation,
    targets_csv,
)


@pytest.fixture(scope="module")
def lampung_selatan(regions):  # noqa: ANN001, ANN201
    return build_network(regions, "18.01", population_scale=0.01)


def test_facilities_csv_parses_with_registration_and_links_every_level(regions, lampung_selatan) -> None:  # noqa: ANN001
    net = lampung_selatan
    rows = parse_facilities_csv(facilities_csv(net), regions)
    by_id = {r.facility_id: r for r in rows}
    assert len(by_id) == len(rows) == len(net.facilities())
    types = Counter(r.type for r in rows)
    assert types["rs"] == 1 and types["puskesmas"] == 28 and types["pustu"] == len(net.villages) == 260
    assert 3 * 260 <= types["posyandu"] <= 5 * 260
    expected_parent = {"posyandu": "pustu", "pustu": "puskesmas", "puskesmas": "rs"}
    for r in rows:
        if r.type == "rs":
            assert r.parent_id is None
            assert r.capabilities == ";".join(sorted(RS_CAPABILITIES))
            continue
        parent = by_id[r.parent_id]
        assert parent.type == expected_parent[r.type]
        if r.type != "puskesmas":
            assert parent.village_code[:8] == r.village_code[:8]  # same kecamatan
    caps = Counter(r.capabilities for r in rows if r.type == "puskesmas")
    assert caps["doctor;glucose_test;hb_test"] > 0 and caps["doctor"] > 0  # some without a lab
    pustu_caps = Counter(r.capabilities for r in rows if r.type == "pustu")
    assert pustu_caps["glucose_test;hb_test"] > 0 and pustu_caps[""] > 0


def test_puskesmas_cover_every_village_once_within_their_kecamatan(lampung_selatan) -> None:  # noqa: ANN001
    net = lampung_selatan
    covered = [v for p in net.puskesmas for v in p.villages]
    assert sorted(covered) == sorted(v.code for v in net.villages)
    for p in net.puskesmas:
        assert {v[:8] for v in p.villages} == {p.village_code[:8]}
    per_kec = Counter(p.village_code[:8] for p in net.puskesmas)
    assert len(per_kec) == 17 and min(per_kec.values()) >= 1


def test_malang_has_39_puskesmas_and_unknown_districts_use_the_national_ratio(regions) -> None:  # noqa: ANN001
    assert len(build_network(regions, "35.07", population_scale=0.001).puskesmas) == 39
    metro = build_network(regions, "18.72", population_scale=0.01)
    assert len(metro.puskesmas) == round(1.41 * 5)


def test_extra_puskesmas_go_to_the_kecamatan_with_most_desa_per_puskesmas() -> None:
    assert puskesmas_allocation({"a": 30, "b": 10, "c": 12}, 5) == {"a": 3, "b": 1, "c": 1}
    assert puskesmas_allocation({"a": 4, "b": 4}, 2) == {"a": 1, "b": 1}


def test_targets_csv_parses_and_is_consistent_with_the_population(regions, lampung_selatan) -> None:  # noqa: ANN001
    net = lampung_selatan
    rows = parse_targets_csv(targets_csv(net, [2026, 2027]), regions)
    assert len(rows) == 260 * 11 * 2  # the five v1 groups and the six of the extensions
    total = sum(net.populations)

    def of(group: str) -> int:
        return sum(r.count for r in rows if r.target == group and r.year == 2026)

    assert of("under_five") == pytest.approx(0.077 * total, rel=0.02)
    assert of("newborn") == of("infant") == pytest.approx(0.016 * total, rel=0.02)  # CBR x population
    assert of("maternal") == pytest.approx(1.05 * 0.016 * total, rel=0.02)
    assert of("adolescent_girl") == pytest.approx(of("adolescent") / 2, rel=0.05)
    assert 0.15 < of("hypertension_estimated") / of("adult_15_59") < 0.45  # 30.8 % of >= 18 y
    assert 0.06 < of("diabetes_estimated") / of("adult_15_59") < 0.16  # 11.7 % of >= 15 y


def test_network_does_not_depend_on_the_run_seed(regions) -> None:  # noqa: ANN001
    a = facilities_csv(build_network(regions, "18.72", seed=1))
    assert a == facilities_csv(build_network(regions, "18.72", seed=2))
