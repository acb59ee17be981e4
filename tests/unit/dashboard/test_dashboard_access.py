"""Catchments, viewer scope, small-count suppression, freshness, CSV exports (pure)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from services.dashboard import export
from services.dashboard.domain import access as access_domain
from services.dashboard.domain import arithmetic, publication, registry
from shared.contracts.events import FacilityRegistered
from shared.regions import covers

V1, V2, V3, OTHER = "18.01.06.2001", "18.01.06.2002", "18.01.07.2001", "18.01.04.2001"


def fac(fid: str, type_: str, village: str, parent: str | None = None, active: bool = True) -> FacilityRegistered:
    return FacilityRegistered(facility_id=fid, name=fid, type=type_, parent_id=parent, village_code=village, active=active)


def test_catchment_is_the_puskesmas_village_and_those_of_its_network() -> None:
    got = access_domain.catchments([
        fac("PKM", "puskesmas", V1, parent="RS"), fac("RS", "rs", V1),
        fac("PST", "pustu", V2, parent="PKM"), fac("PSY", "posyandu", V3, parent="PST"),
        fac("PSY-OLD", "posyandu", OTHER, parent="PST", active=False),
        fac("ORPHAN", "posyandu", "18.01.08.2001", parent="NOWHERE"),
        fac("LOOP1", "pustu", "18.01.09.2001", parent="LOOP2"), fac("LOOP2", "pustu", "18.01.09.2002", parent="LOOP1"),
    ])
    assert got == {"PKM": frozenset({V1, V2, V3})}


def test_region_scope_covers_codes_below_it_only() -> None:
    assert covers("18.01", "18.01") and covers("18.01", "18.01.06.2001")
    assert not covers("18.01", "18.010") and not covers("18.01", "18.02.01")
    assert not covers("18.01.06", "18.01")


def test_may_view() -> None:
    catchment = {"PKM": frozenset({V1, V2, V3}), "PKM2": frozenset({OTHER})}
    # district token: the district, below, and any Puskesmas whose catchment it covers
    assert access_domain.may_view("18.01", "18.01.06.2001", catchment)
    assert access_domain.may_view("18.01", "PKM", catchment)
    assert not access_domain.may_view("18.01", "35.07", catchment)
    # kecamatan token: a Puskesmas straddling two kecamatan is outside it
    assert access_domain.may_view("18.01.06", V2, catchment)
    assert not access_domain.may_view("18.01.06", "PKM", catchment)
    assert not access_domain.may_view("18.01.06", "18.01", catchment)
    # Puskesmas token: itself and its villages, nothing else
    assert access_domain.may_view("PKM", "PKM", catchment)
    assert access_domain.may_view("PKM", V3, catchment)
    assert not access_domain.may_view("PKM", OTHER, catchment)
    assert not access_domain.may_view("PKM", "18.01.06", catchment)
    assert not access_domain.may_view("PKM", "PKM2", catchment)
    assert not access_domain.may_view("PKM9", "PKM9", catchment)  # unknown Puskesmas


def test_suppression_only_touches_1_to_4() -> None:
    assert [publication.suppress(n, True) for n in (0, 1, 4, 5, None)] == [0, "<5", "<5", 5, None]
    assert publication.suppress(3, False) == 3


def test_freshness_status() -> None:
    now = datetime(2026, 11, 24, tzinfo=timezone.utc)
    assert publication.freshness_status(now - timedelta(days=2), now, 7, 14) == "baru"
    assert publication.freshness_status(now - timedelta(days=10), now, 7, 14) == "lama"
    assert publication.freshness_status(now - timedelta(days=15), now, 7, 14) == "senyap"
    assert publication.freshness_status(None, now, 7, 14) == "senyap"


def test_referral_summary() -> None:
    got = arithmetic.referral_summary({"made": 2, "received": 1, "completed": 3, "overdue": 1, "cancelled": 1}, feedback=2)
    assert got["total"] == 8 and got["open"] == 4 and got["completed"] == 3 and got["feedback"] == 2
    assert got["completed_pct"] == 37.5


def answer() -> dict:
    def area(visits: int, stunted: int, measured: int) -> dict:
        monthly, ytd = arithmetic.area_cells(registry.REGISTRY, {"visits": [visits, 0, visits, 0],
                                                           "stunting": [stunted, measured, stunted, measured]},
                                         {}, "2026-11")
        return {"indicators": monthly, "ytd": {"indicators": ytd},
                "referrals": {"month": arithmetic.referral_summary({"made": 3, "completed": 1}, 1),
                              "ytd": arithmetic.referral_summary({"made": 10, "completed": 6}, 5)}}
    return {"region": {"code": "18.01", "name": "KAB", "level": "kabupaten"}, "period": "2026-11",
            "total": area(12, 2, 30), "rows": [{"code": "18.01.06", "name": "=cmd|' /C calc'!A0", "level": "kecamatan",
                                                **area(3, 2, 7)}],
            "freshness": [{"code": V1, "name": "Jondong", "kecamatan": "Kalianda", "last_event_at": None,
                           "received_at": None, "days": None, "status": "senyap"}]}


def parse(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_pws_csv_with_and_without_suppression() -> None:
    plain = parse(export.pws_csv(answer(), registry.REGISTRY, suppress=False))
    assert list(plain[0])[:5] == ["period", "code", "name", "level", "indicator"]
    assert len(plain) == 2 * len(registry.REGISTRY)
    row = next(r for r in plain if r["code"] == "18.01.06" and r["indicator"] == "stunting")
    assert (row["numerator"], row["denominator"], row["value"], row["colour"]) == ("2", "7", "28.6", "red")
    assert row["name"].startswith("'=")  # no formula reaches a spreadsheet
    published = parse(export.pws_csv(answer(), registry.REGISTRY, suppress=True))
    row = next(r for r in published if r["code"] == "18.01.06" and r["indicator"] == "stunting")
    assert (row["numerator"], row["denominator"], row["value"]) == ("<5", "7", "")
    visits = next(r for r in published if r["code"] == "18.01.06" and r["indicator"] == "visits")
    assert (visits["numerator"], visits["value"]) == ("<5", "")
    total = next(r for r in published if r["code"] == "18.01" and r["indicator"] == "visits")
    assert (total["numerator"], total["value"]) == ("12", "12")


def test_referral_and_freshness_csv() -> None:
    rows = parse(export.referrals_csv(answer(), suppress=True))
    month = next(r for r in rows if r["code"] == "18.01" and r["span"] == "bulan")
    assert (month["total"], month["made"], month["completed"], month["completed_pct"]) == ("<5", "<5", "<5", "")
    ytd = next(r for r in rows if r["code"] == "18.01" and r["span"] == "kumulatif")
    assert (ytd["total"], ytd["made"], ytd["completed"], ytd["completed_pct"]) == ("16", "10", "6", "37.5")
    fresh = parse(export.freshness_csv(answer()))
    assert fresh == [{"code": V1, "name": "Jondong", "kecamatan": "Kalianda", "last_event_at": "", "received_at": "",
                      "days": "", "status": "senyap"}]
