"""Population: pyramid, targets, NIKs valid by registration's own rules."""

from __future__ import annotations

from datetime import date

import pytest

from services.registration.domain import check_nik, decode_nik
from simulator import population as P


def test_pyramid_shares_sum_to_one_and_match_cited_totals() -> None:
    assert sum(P.SEX_AGE_SHARE) == pytest.approx(1.0)
    assert P.share_between(60, P.MAX_AGE) == pytest.approx(0.1175, abs=1e-4)  # BPS elderly share 2023
    adults_18_59 = P.share_between(18, 59)
    assert 0.57 < adults_18_59 < 0.62  # CKG 2025: ~170 M of ~282 M
    ratio = P.share_between(0, P.MAX_AGE, "M") / P.share_between(0, P.MAX_AGE, "F")
    assert 1.00 < ratio < 1.04  # Kepmendagri 2025: 101.9 men per 100 women


def test_village_targets_follow_the_pyramid_and_the_sasaran_formula() -> None:
    t = P.village_targets(10_000)
    assert t.pregnant == round(1.10 * P.CBR * 10_000)
    assert t.under_five == 770
    assert t.elderly == round(10_000 * 0.1175)
    assert t.adolescent == round(10_000 * P.share_between(10, 17))
    assert t.adult_15_59 == round(10_000 * P.share_between(15, 59))


def test_nik_issuer_encodes_birth_date_sex_and_a_unique_serial() -> None:
    issuer = P.NikIssuer(["18.01.06"], ["35.07.01"])
    born = date(1992, 8, 5)
    a = issuer.issue("18.01.06", born, "F", 2)
    b = issuer.issue(180106, born, "F", 2)  # same slot asked twice: next free serial
    assert a == "1801064508920003" and b == "1801064508920004"
    assert issuer.issue("18.01.06", born, "M", 2)[6:8] == "05"
    assert issuer.issue("18.01.06", date(2001, 1, 9), "M", 9998) == "1801060901019999"
    assert issuer.issue("18.01.06", date(2001, 1, 9), "M", 9998) == "1801060901010001"  # wraps, never 0000


def test_every_person_has_a_nik_that_registration_accepts_without_warnings(regions, small_run) -> None:  # noqa: ANN001
    sim, _ = small_run
    pop = sim.pop
    people = [p for cache in pop._cache.values() for p in cache.values()]
    assert len(people) > 1000
    for p in people:
        pop.identify(p)  # name and NIK are drawn on first use
    seen = set()
    for p in people:
        for nik, sex, born in ((p.nik, p.sex, p.birth), (p.mother_nik, "F", None)):
            if nik is None:
                continue
            errors, warnings = check_nik(nik, ("person", "nik"), regions, birth_date=born, sex=sex,
                                         today=date(2026, 11, 5))
            assert errors == [] and warnings == [], (nik, errors, warnings)
            assert nik[:2] + "." + nik[2:4] + "." + nik[4:6] in regions  # a real kecamatan code
            if born is not None:
                info = decode_nik(nik, today=date(2026, 11, 5))
                assert (info.birth_date, info.sex) == (born, sex)
            assert nik not in seen
            seen.add(nik)
        assert (p.nik is None) != (p.mother_nik is None)  # a NIK, or (children only) the mother's
        assert p.nik is not None or p.group == P.CHILD
    children = [p for p in people if p.group == P.CHILD]
    assert 0.02 < sum(p.nik is None for p in children) / len(children) < 0.4  # some under-fives have no NIK yet
    home = sum(p.nik[:6] == p.village.replace(".", "")[:6] for p in people if p.nik and p.group != P.CHILD)
    assert home / sum(1 for p in people if p.nik and p.group != P.CHILD) > 0.8  # mostly registered at home


def test_active_range_covers_every_child_under_five_and_every_pregnancy(small_run) -> None:  # noqa: ANN001
    sim, _ = small_run
    pop = sim.pop
    for vi in range(0, len(pop.villages), 5):
        for group in (P.CHILD, P.PREGNANT):
            people = [pop.person(vi, group, i) for i in range(pop.size(vi, group))]
            for offset in (0, 6, 11):
                day = sim.start.toordinal() + offset
                active = pop.active_range(vi, group, day)
                for i, p in enumerate(people):
                    on = date.fromordinal(day)
                    if group == P.CHILD:
                        ok = 0 <= (on - p.birth).days < P.UNDER_FIVE_DAYS
                    else:
                        ok = 4 <= (on - p.lmp).days // 7 <= 41
                    assert not ok or i in active
