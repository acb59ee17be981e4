"""PWS arithmetic, no I/O: periods, person-level contributions and their year-to-date deltas,
roll-up, cells with target and colour, referral follow-up summaries.

Person-level state is turned into additive *contributions* (:func:`contributions`) so the read
model keeps per (village, month, indicator) sums and a year-to-date delta, both updated by adding
the difference between a person's old and new state (:func:`delta`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal, get_args

from services.dashboard.domain.registry import Direction, Indicator
from shared.contracts.events import ReferralStatus

Colour = Literal["green", "yellow", "red"]


def year_start(period: str) -> str:
    """``"2026-11"`` -> ``"2026-01"``."""
    return period[:4] + "-01"


def month_number(period: str) -> int:
    return int(period[5:7])


def months_ending(period: str, count: int = 12) -> list[str]:
    """The ``count`` calendar months ending at ``period``, oldest first, across year boundaries:
    ``months_ending("2026-02", 3)`` -> ``["2025-12", "2026-01", "2026-02"]``."""
    year, month = int(period[:4]), month_number(period)
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def cumulate(monthly: Mapping[str, Tally]) -> dict[str, Tally]:
    """Per month ``[numerator, measured, ytd numerator, ytd measured]`` whose year-to-date columns
    hold the read model's *deltas*, into the same with the year-to-date columns summed from January
    of each month's own year (the running sum restarts every January). Months are ``YYYY-MM``."""
    out: dict[str, Tally] = {}
    running: dict[str, list[int]] = {}
    for period in sorted(monthly):
        tally = monthly[period]
        year = running.setdefault(period[:4], [0, 0])
        year[0] += tally[2]
        year[1] += tally[3]
        out[period] = [tally[0], tally[1], year[0], year[1]]
    return out


Tally = list  # [numerator, measured, ytd_numerator, ytd_measured]


Key = tuple[str, str]  # (village_code, period)


def contributions(rows: Mapping[str, tuple[str, bool]], resets: Iterable[int] = ()) -> dict[Key, Tally]:
    """What one person adds to the read model for one indicator within one year.

    ``rows`` maps period -> (village, in numerator) of the person's latest measurement in that
    month. Monthly sums get +1 measured (and +1 numerator when positive) in each month. The
    year-to-date columns hold *deltas*: summing them from January up to month M gives the person
    once, by their latest measurement up to M — +1 at the first month, then in each later month
    the new state added and the previous one taken away.

    ``resets``: months at which the year-to-date value restarts (``ytd="semester"``: 7): the state held
    before is taken away in that month, so from then on the sum counts only measurements since the reset.
    """
    if len(rows) == 1 and not resets:  # most persons: one month measured in the year
        [(period, (village, positive))] = rows.items()
        return {(village, period): [int(positive), 1, int(positive), 1]}
    out: dict[Key, Tally] = defaultdict(lambda: [0, 0, 0, 0])
    previous: tuple[str, bool] | None = None
    last = 0
    year = ""
    resets = sorted(resets)

    def close(upto: int) -> None:  # take the held state away at the first reset month in (last, upto]
        nonlocal previous
        for month in resets:
            if previous is not None and last < month <= upto:
                before = out[(previous[0], f"{year}-{month:02d}")]
                before[2] -= int(previous[1])
                before[3] -= 1
                previous = None

    for period in sorted(rows):
        year, month = period[:4], month_number(period)
        close(month)
        last = month
        village, positive = rows[period]
        here = out[(village, period)]
        here[0] += int(positive)
        here[1] += 1
        here[2] += int(positive)
        here[3] += 1
        if previous is not None:
            before = out[(previous[0], period)]
            before[2] -= int(previous[1])
            before[3] -= 1
        previous = (village, positive)
    close(12)
    return dict(out)


def delta(old: Mapping[str, tuple[str, bool]], new: Mapping[str, tuple[str, bool]],
          resets: Iterable[int] = ()) -> dict[Key, Tally]:
    """``contributions(new) - contributions(old)``, without zero entries."""
    if not old:  # a person's first measurement in the year
        return {k: v for k, v in contributions(new, resets).items() if any(v)}
    out: dict[Key, Tally] = defaultdict(lambda: [0, 0, 0, 0])
    for key, tally in contributions(new, resets).items():
        out[key] = list(tally)
    for key, tally in contributions(old, resets).items():
        current = out[key]
        for i in range(4):
            current[i] -= tally[i]
    return {k: v for k, v in out.items() if any(v)}


def latest_wins(current: tuple[datetime, str, bool] | None, candidate: tuple[datetime, str, bool]) -> bool:
    """Whether a measurement ``(at, village, positive)`` replaces ``current`` in its period: the
    latest counts, and at the same instant the greater tuple, so that the state does not depend on
    the order the measurements are applied in (a redelivery, a rebuild) and re-applying one changes
    nothing."""
    return current is None or candidate >= current


def rollup(values: Mapping[str, Mapping[str, Tally]], areas: Mapping[str, Iterable[str]]) -> dict[str, dict[str, Tally]]:
    """Sum per-village tallies ``{village: {indicator: tally}}`` into ``{area: {indicator: tally}}``.

    ``areas`` maps each area to its villages (a village may belong to more than one area, e.g. to
    a kecamatan and to a Puskesmas catchment).
    """
    out: dict[str, dict[str, Tally]] = {}
    for area, villages in areas.items():
        sums: dict[str, Tally] = {}
        for village in villages:
            for indicator, tally in values.get(village, {}).items():
                into = sums.setdefault(indicator, [0] * len(tally))
                for i, v in enumerate(tally):
                    into[i] += v
        out[area] = sums
    return out


def percentage(numerator: int, denominator: int | None) -> float | None:
    """``numerator / denominator`` in percent, one decimal; None without a denominator."""
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def target_for(indicator: Indicator, period: str, cumulative: bool) -> float | None:
    """The target a monthly or year-to-date value is compared with."""
    if indicator.target is None:
        return None
    if indicator.ytd == "prorata":
        months = month_number(period) if cumulative else 1
        return round(indicator.target * months / 12, 1)
    return indicator.target


def colour(value: float | None, target: float | None, direction: Direction = "up",
           yellow_ratio: float = 0.8) -> Colour | None:
    """Green at or beyond the target, yellow within 80 % of it, red below (ilp-domain §0).

    For a lower-is-better indicator the rule is mirrored: green at or below the target, yellow up
    to target / 0.8 (i.e. the target is at least 80 % of the value), red above.
    """
    if value is None or target is None:
        return None
    if direction == "up":
        if value >= target:
            return "green"
        return "yellow" if value >= yellow_ratio * target else "red"
    if value <= target:
        return "green"
    return "yellow" if value * yellow_ratio <= target else "red"


def cell(indicator: Indicator, numerator: int, measured: int, population: int | None, *,
         period: str, cumulative: bool = False) -> dict:
    """The contract's ``{"numerator", "denominator", "value"}`` plus ``target`` and ``colour``."""
    if indicator.base is None:
        return {"numerator": numerator, "denominator": None, "value": numerator, "target": None, "colour": None}
    denominator = population if indicator.target_groups or indicator.ytd_of else measured
    value = percentage(numerator, denominator)
    target = target_for(indicator, period, cumulative)
    return {"numerator": numerator, "denominator": denominator, "value": value, "target": target,
            "colour": colour(value, target, indicator.direction, indicator.yellow_ratio)}


def population_of(indicator: Indicator, populations: Mapping[str, int]) -> int | None:
    """The target population (sasaran) an indicator's percentage is of: the sum of its target groups
    that were imported; None when it has none or none of them was imported."""
    groups = indicator.target_groups
    if not groups or not any(g in populations for g in groups):
        return None
    return sum(populations[g] for g in groups if g in populations)


def indicator_cells(indicator: Indicator, tally: Tally, population: int | None, period: str, *,
                    of_ytd: int | None = None) -> tuple[dict, dict]:
    """(monthly cell, year-to-date cell) of one indicator in one area, by its ``ytd`` rule.

    ``population``: its target population (:func:`population_of`); ``of_ytd``: for an indicator whose
    denominator is another indicator's year-to-date count (``ytd_of``, e.g. D/K's K), that count.
    ``ytd="cumulative"``: the month shows January up to it; ``"monthly"``: no year-to-date value."""
    n, m, yn, ym = tally
    if indicator.ytd_of is not None:
        population = of_ytd or 0
    if indicator.ytd == "cumulative":
        n, m = yn, ym
    monthly = cell(indicator, n, m, population, period=period)
    if indicator.ytd == "monthly":
        return monthly, dict(NO_YTD)
    return monthly, cell(indicator, yn, ym, population, period=period, cumulative=True)


def area_cells(registry: Iterable[Indicator], tallies: Mapping[str, Tally], populations: Mapping[str, int],
               period: str) -> tuple[dict, dict]:
    """(monthly cells, year-to-date cells) of one area from its tallies and target populations."""
    monthly, ytd = {}, {}
    population: dict[tuple[str, ...], int | None] = {}  # per set of target groups (several indicators share one)
    zero = (0, 0, 0, 0)
    for indicator in registry:
        groups = indicator.target_groups
        if groups not in population:
            population[groups] = population_of(indicator, populations)
        of_ytd = tallies.get(indicator.ytd_of, zero)[2] if indicator.ytd_of else None
        monthly[indicator.id], ytd[indicator.id] = indicator_cells(
            indicator, tallies.get(indicator.id, zero), population[groups], period, of_ytd=of_ytd)
    return monthly, ytd


NO_YTD = {"numerator": None, "denominator": None, "value": None, "target": None, "colour": None}


def trend_point(indicator: Indicator, period: str, tally: Tally, populations: Mapping[str, int], *,
                month_seen: bool, ytd_seen: bool, of_ytd: int | None = None) -> dict:
    """One month of a trend: the monthly cell (numerator, denominator, value, target, colour) and
    ``ytd``, the year-to-date cell, whose ``target`` is the target's monthly path. ``tally`` is the
    month's ``[numerator, measured, ytd numerator, ytd measured]`` (year-to-date already summed,
    :func:`cumulate`); ``month_seen``: whether the area has data that month, ``ytd_seen``: whether it
    has any from January up to the month; ``of_ytd`` as :func:`indicator_cells`. Without data the
    numbers are None and the target stays."""
    month, ytd = indicator_cells(indicator, tally, population_of(indicator, populations), period, of_ytd=of_ytd)
    blank = {"numerator": None, "denominator": None, "value": None, "colour": None}
    if not month_seen:
        month.update(blank)
    if not ytd_seen:
        ytd.update(blank)
    return {"period": period, **month, "ytd": ytd}


REFERRAL_STATUSES = get_args(ReferralStatus)


REFERRAL_RANK = {"made": 0, "received": 1, "overdue": 2, "attended": 3, "completed": 4, "cancelled": 4}


OPEN_STATUSES = frozenset({"made", "received", "attended", "overdue"})


def referral_summary(counts: Mapping[str, int], feedback: int) -> dict:
    """Follow-up aggregates of one area: per current status, open, and % closed with feedback."""
    made = sum(counts.values())
    out = {status: int(counts.get(status, 0)) for status in REFERRAL_STATUSES}
    out["total"] = made
    out["open"] = sum(int(counts.get(s, 0)) for s in OPEN_STATUSES)
    out["feedback"] = feedback
    out["completed_pct"] = percentage(int(counts.get("completed", 0)), made)
    return out
