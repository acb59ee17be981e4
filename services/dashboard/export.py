"""CSV exports of the page's three tables, from the PWS answer (pure; no I/O).

Every count of 1–4 becomes ``<5`` when suppression is on (``JEJARING_SUPPRESS_SMALL_COUNTS``), and
a percentage computed from a suppressed count is left empty, so a published table cannot single
out a handful of persons. (Complementary suppression — hiding a second cell so the first cannot be
derived from a total — is not done; publish either rows or totals if that matters.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from services.dashboard.domain.publication import SMALL
from services.dashboard.domain.publication import suppress as suppressed
from services.dashboard.domain.registry import Indicator

PWS_COLUMNS = ["period", "code", "name", "level", "indicator", "numerator", "denominator", "value",
               "target", "colour", "ytd_numerator", "ytd_denominator", "ytd_value", "ytd_target", "ytd_colour", "label"]
REFERRAL_COLUMNS = ["period", "span", "code", "name", "level", "total", "made", "received", "attended", "completed",
                    "cancelled", "overdue", "open", "feedback", "completed_pct"]
FRESHNESS_COLUMNS = ["code", "name", "kecamatan", "last_event_at", "received_at", "days", "status"]


def _text(value: object) -> object:
    """Neutralise spreadsheet formulas in free text (names come from imported CSVs)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _blank(value: object) -> object:
    return "" if value is None else value


def _cell(indicator: Indicator, c: dict, suppress: bool) -> list:
    numerator = suppressed(c["numerator"], suppress)
    denominator = c["denominator"]
    if indicator.base == "measured":  # a count of persons too; a target population is an estimate
        denominator = suppressed(denominator, suppress)
    value = c["value"]
    if SMALL in (numerator, denominator) or (indicator.base is None and numerator == SMALL):
        value = None
    return [numerator, _blank(denominator), _blank(value), _blank(c["target"]), _blank(c["colour"])]


def _areas(data: dict) -> list[dict]:
    region = data["region"]
    return [{**data["total"], "code": region["code"], "name": region["name"], "level": region["level"]}, *data["rows"]]


def _write(columns: list[str], rows: Iterable[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return out.getvalue()


def pws_csv(data: dict, registry: Iterable[Indicator], suppress: bool) -> str:
    """One line per area (the total first) and indicator: monthly and year-to-date cells."""
    registry = list(registry)

    def rows() -> Iterable[list]:
        for area in _areas(data):
            for indicator in registry:
                monthly = area["indicators"][indicator.id]
                ytd = area["ytd"]["indicators"][indicator.id]
                yield [data["period"], area["code"], area["name"], area["level"], indicator.id,
                       *_cell(indicator, monthly, suppress), *_cell(indicator, ytd, suppress), indicator.label]

    return _write(PWS_COLUMNS, rows())


def referrals_csv(data: dict, suppress: bool) -> str:
    """The referral follow-up panel: one line per area and span (``bulan`` / ``kumulatif``)."""

    def rows() -> Iterable[list]:
        for area in _areas(data):
            for span, key in (("bulan", "month"), ("kumulatif", "ytd")):
                r = area["referrals"][key]
                counts = [suppressed(r[k], suppress) for k in REFERRAL_COLUMNS[5:14]]
                pct = r["completed_pct"]
                if SMALL in (counts[0], counts[4]):
                    pct = None
                yield [data["period"], span, area["code"], area["name"], area["level"], *counts, _blank(pct)]

    return _write(REFERRAL_COLUMNS, rows())


def freshness_csv(data: dict) -> str:
    """Per village: time of the latest event, and whether it has gone silent."""
    return _write(FRESHNESS_COLUMNS, ([_blank(f[k]) for k in FRESHNESS_COLUMNS] for f in data["freshness"]))
