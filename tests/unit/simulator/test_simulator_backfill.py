"""The demo's history (``--backfill-months``): the window's date arithmetic on awkward days, and
that ``--demo`` sends that history, with its own event times, before going live."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from simulator import cli, drivers


@pytest.mark.parametrize(("today", "start", "days"), [
    (date(2026, 12, 1), date(2026, 9, 1), 91),  # the 1st: exactly September, October, November
    (date(2026, 11, 30), date(2026, 8, 1), 121),  # the last day: August..October and November up to the 29th
    (date(2027, 1, 1), date(2026, 10, 1), 92),  # 1 January: the three months of the previous year
    (date(2027, 2, 28), date(2026, 11, 1), 119),  # across the year boundary
    (date(2028, 3, 1), date(2027, 12, 1), 91),  # a leap year's February inside
    (date(2026, 11, 18), date(2026, 8, 1), 109),  # an ordinary day
])
def test_backfill_window(today: date, start: date, days: int) -> None:
    assert cli.backfill_window(today, 3) == (start, days)
    last = start + timedelta(days=days - 1)
    assert last == today - timedelta(days=1)  # up to yesterday, never today or later
    assert start.day == 1


def test_no_backfill_and_one_month() -> None:
    assert cli.backfill_window(date(2026, 12, 1), 0) == (date(2026, 12, 1), 0)
    assert cli.backfill_window(date(2027, 1, 1), 1) == (date(2026, 12, 1), 31)
    assert cli.backfill_window(date(2026, 3, 15), 12) == (date(2025, 3, 1), 379)


def test_the_demo_sends_the_history_before_going_live(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    built: list[dict] = []
    real = cli.build_simulation

    def build(regions, district, **kw):  # noqa: ANN001, ANN003, ANN202
        built.append(kw)
        return real(regions, district, **{**kw, "days": min(kw["days"], 2), "population_scale": 0.001})

    sent: list[dict] = []

    async def drive_kafka(emissions, **kw):  # noqa: ANN001, ANN003, ANN202
        sent.append(kw)
        if kw.get("transform") is None:  # the history (the live stream is endless: not read)
            history = list(emissions)
            assert history and all(e.occurred < time.time() for e in history)  # stamped in the past
        return drivers.SendStats()

    years: list[list[int]] = []
    monkeypatch.setattr(cli, "build_simulation", build)
    monkeypatch.setattr(cli.drivers, "drive_kafka", drive_kafka)
    monkeypatch.setattr(cli.drivers, "setup", lambda net, out, ys, **kw: years.append(ys))
    args = cli.run_parser().parse_args(["--district", "18.72", "--demo", "--mode", "kafka", "--dir", str(tmp_path),
                                        "--backfill-months", "3", "--backfill-scale", "0.02"])
    assert cli.cmd_demo(args) == 0
    today = cli.datetime.now(cli.timezone(timedelta(hours=cli.utc_offset_hours("18.72")))).date()
    start, days = cli.backfill_window(today, 3)
    history = built[1]
    assert (history["start"], history["days"], history["population_scale"]) == (start, days, 0.02)
    assert built[0]["population_scale"] == 1.0  # the live stream keeps its own population
    assert sent[0].get("transform") is None  # the history keeps its event times
    assert sent[0].get("rate") is None and sent[1]["transform"] is not None  # then live, restamped, paced
    assert start.year in years[0] and today.year in years[0]  # targets for the history's year too
    assert (tmp_path / "backfill.json").exists()
    built.clear()
    sent.clear()
    assert cli.cmd_demo(args) == 0  # restarted on the same set-up: no second history
    assert len(built) == 1 and len(sent) == 1 and sent[0]["transform"] is not None


def test_backfill_is_off_unless_asked() -> None:
    args = cli.run_parser().parse_args(["--district", "18.72", "--demo"])
    assert args.backfill_months == 0 and args.backfill_scale == cli.DEFAULT_BACKFILL_SCALE
