"""shared.progress: plain lines off a terminal (start, at most every interval, summary), a bar on one."""

from __future__ import annotations

import io

from shared.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_with_rate_and_eta_then_a_summary() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress("facilities import", total=5000, unit="rows", stream=out, interval=5, clock=clock)
    clock.now += 2
    progress.advance(500)  # within the interval: no line
    clock.now += 4
    progress.advance(700)  # 6 s in: 1,200 rows at 200/s, 19 s to go
    clock.now += 1
    progress.advance(100)
    clock.now += 19
    progress.advance(3700)
    line = progress.summary("created=5000")
    assert out.getvalue().splitlines() == [
        "facilities import: 0/5,000 rows (0%)",
        "facilities import: 1,200/5,000 rows (24%), 200 rows/s, ETA 19 s",
        "facilities import: 5,000/5,000 rows (100%), 192 rows/s",
        "facilities import: done: 5,000 rows in 26 s (192 rows/s); created=5000",
    ]
    assert line == out.getvalue().splitlines()[-1]
    assert progress.summary("again") == ""  # once


def test_without_a_total_the_line_has_count_and_rate_only() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress("simulate", unit="visits", stream=out, interval=1, clock=clock)
    for _ in progress.wrap(range(10)):
        clock.now += 0.25
    progress.summary()
    assert out.getvalue().splitlines() == ["simulate: 0 visits", "simulate: 4 visits, 4.0 visits/s",
                                           "simulate: 8 visits, 4.0 visits/s",
                                           "simulate: done: 10 visits in 2.5 s (4.0 visits/s)"]


def test_parts_are_counted_in_the_summary() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress("targets import", total=3, unit="rows", stream=out, clock=clock)
    progress.advance(3)
    progress.phase("publishing", total=2, unit="events")
    clock.now += 2
    progress.advance(2)
    progress.summary()
    assert out.getvalue().splitlines()[1:] == ["targets import: publishing (2 events)",
                                               "targets import: done: 3 rows, 2 events in 2.0 s (1.0 events/s)"]


def test_a_failure_is_said_and_the_context_manager_summarises_otherwise() -> None:
    out = io.StringIO()
    try:
        with Progress("dlq redrive", total=4, unit="dead letters", stream=out) as progress:
            progress.advance(1)
            raise RuntimeError("broker away")
    except RuntimeError:
        pass
    assert out.getvalue().splitlines()[-1] == "dlq redrive: stopped after 1 dead letters: failed"
    out = io.StringIO()
    with Progress("replay", total=0, unit="events", stream=out):
        pass
    assert out.getvalue().splitlines()[-1].startswith("replay: done: 0 events in")


def test_mode_is_chosen_by_the_stream_or_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("JEJARING_PROGRESS", raising=False)
    assert Progress("x", stream=io.StringIO()).mode == "plain"
    tty = Tty()
    bar = Progress("x", total=3, stream=tty)
    assert bar.mode == "bar"
    bar.advance(3)
    assert bar.summary().startswith("x: done: 3 items")
    assert "x: done: 3 items" in tty.getvalue()
    monkeypatch.setenv("JEJARING_PROGRESS", "off")
    quiet = io.StringIO()
    progress = Progress("x", total=3, stream=quiet)
    progress.advance(3)
    progress.summary("ok")
    assert quiet.getvalue().splitlines() == [quiet.getvalue().splitlines()[-1]] and "ok" in quiet.getvalue()
