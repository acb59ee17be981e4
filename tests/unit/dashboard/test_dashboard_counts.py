"""The PWS answer's village counts by code prefix and its remembered ISO times, against the plain
village-by-village computation and ``datetime.isoformat``."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from services.dashboard.usecases.queries import Area, _utc_isoformat, village_counts

WIB = timezone(timedelta(hours=7))


def _covers(code: str, village: str) -> bool:
    return village == code or village.startswith(code + ".")


def test_village_counts_are_those_of_each_village_one_by_one() -> None:
    rng = random.Random(7)
    kecamatan = [f"18.0{k}.0{c}" for k in (1, 2) for c in (1, 2, 3)]
    villages = [f"{kec}.{2000 + d}" for kec in kecamatan for d in range(rng.randint(1, 12))]
    for _ in range(200):
        known = set(rng.sample(villages, rng.randint(0, len(villages))))
        awake = set(rng.sample(villages, rng.randint(0, len(villages)))) | {"18.09.01.2001"}  # one the view does not list
        catchment = frozenset(rng.sample(villages, rng.randint(0, 8)) + ["18.99.99.2999"])
        areas = [Area("18", "Lampung", "provinsi"), Area("18.01", "Lampung Selatan", "kabupaten"),
                 *(Area(k, k, "kecamatan") for k in kecamatan), Area("PKM1", "Puskesmas", "puskesmas", catchment),
                 *(Area(v, v, "desa") for v in rng.sample(villages, 3))]
        counted = village_counts(areas, known, awake)
        for a in areas:
            mine = [v for v in known if (v in a.villages if a.villages is not None else _covers(a.code, v))]
            assert counted[a.code] == (len(mine), sum(1 for v in mine if v not in awake)), a.code


def test_remembered_iso_times_are_isoformat_in_utc() -> None:
    moments = [datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc), datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=timezone.utc),
               datetime(2026, 2, 28, 17, 0, 0, 1, tzinfo=timezone.utc)]
    for moment in moments:
        assert _utc_isoformat(moment) == moment.isoformat()
        # the same instant written from another offset, asked after it, still comes out in UTC
        assert _utc_isoformat(moment.astimezone(WIB)) == moment.isoformat()
    assert _utc_isoformat(datetime(2026, 12, 1, 7, 0, tzinfo=WIB)) == "2026-12-01T00:00:00+00:00"
