"""Progress of a long command: a bar with rate and ETA on a terminal, plain lines otherwise, then a summary.

    with Progress("facilities import", total=len(rows), unit="rows") as progress:
        for chunk in chunks:
            ...
            progress.advance(len(chunk))
        progress.summary("facilities=120 changed=3")

On a terminal (the stream is a TTY) ``rich`` draws one bar: done/total, percentage, rate, ETA.
Otherwise (a pipe, a log file, a Kubernetes Job) a plain line is written when the work starts, at
most every ``interval`` seconds while it runs, and when it ends; the last line is the summary:

    facilities import: 1,200/5,000 rows (24%), 350 rows/s, ETA 11 s
    facilities import: done: 5,000 rows in 14.2 s (352 rows/s); facilities=5000 changed=5000

``JEJARING_PROGRESS`` chooses explicitly: ``bar``, ``plain`` or ``off`` (only the summary). Progress
goes to standard error, so a command's standard output stays what scripts read. Without a total
(the simulator's live stream) the line has the count and the rate, not a percentage or an ETA.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")
MODES = ("bar", "plain", "off")


def _count(n: float) -> str:
    return f"{n:,.0f}"


def _rate(n: float) -> str:
    return f"{n:.1f}" if n < 10 else _count(n)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _mode(stream: TextIO, mode: str | None) -> str:
    chosen = (mode or os.environ.get("JEJARING_PROGRESS") or "").strip().lower()
    if chosen in MODES:
        return chosen
    isatty = getattr(stream, "isatty", None)
    return "bar" if isatty is not None and isatty() else "plain"


class Progress:
    """One long piece of work of a command, counted in ``unit``."""

    def __init__(self, title: str, total: int | None = None, *, unit: str = "items", stream: TextIO | None = None,
                 mode: str | None = None, interval: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.title = title
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.mode = _mode(self.stream, mode)
        self.interval = interval
        self.clock = clock
        self.done = 0
        self.started = self._part_started = clock()
        self._parts: list[tuple[int, str]] = []
        self._last_line = self.started
        self._closed = False
        self._bar = None
        self._task = None
        if self.mode == "bar":
            self._start_bar()
        elif self.mode == "plain":
            self._line(self._status())

    # -- what the command calls ------------------------------------------------------------
    def advance(self, n: int = 1) -> None:
        """``n`` more units done."""
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, total=self.total)
        elif self.mode == "plain" and self.clock() - self._last_line >= self.interval:
            self._line(self._status())

    def set_total(self, total: int | None) -> None:
        """The total, once known (or changed)."""
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def phase(self, title: str, total: int | None = None, *, unit: str | None = None) -> None:
        """Go on with the next part of the same work, counted on its own (e.g. rows stored, then
        events published); the summary names every part's count."""
        self._parts.append((self.done, self.unit))
        self.done, self.total, self.unit = 0, total, unit or self.unit
        self._part_started = self.clock()
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self.title}: {title}", completed=0, total=total)
        elif self.mode == "plain":
            self._line(f"{self.title}: {title}" + (f" ({_count(total)} {self.unit})" if total is not None else ""))

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, advancing by one for each item handed out."""
        for item in items:
            yield item
            self.advance()

    def summary(self, text: str = "") -> str:
        """End the work: stop the bar and write the summary line (returned too)."""
        if self._closed:
            return ""
        self._closed = True
        self._stop_bar()
        elapsed = self.clock() - self.started
        counts = ", ".join(f"{_count(n)} {unit}" for n, unit in [*self._parts, (self.done, self.unit)])
        line = f"{self.title}: done: {counts} in {_duration(elapsed)}"
        rate = self.rate()
        if rate:
            line += f" ({_rate(rate)} {self.unit}/s)"
        if text:
            line += f"; {text}"
        self._line(line)
        return line

    def fail(self, text: str) -> str:
        """End the work that did not finish."""
        if self._closed:
            return ""
        self._closed = True
        self._stop_bar()
        line = f"{self.title}: stopped after {_count(self.done)} {self.unit}: {text}"
        self._line(line)
        return line

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type, exc, _tb) -> None:  # noqa: ANN001
        if exc is not None:
            self.fail(type(exc).__name__ if isinstance(exc, (KeyboardInterrupt, SystemExit)) else "failed")
        else:
            self.summary()

    # -- rendering -------------------------------------------------------------------------
    def rate(self) -> float | None:
        elapsed = self.clock() - self._part_started
        return self.done / elapsed if elapsed > 0 and self.done else None

    def _status(self) -> str:
        line = f"{self.title}: {_count(self.done)}"
        if self.total is not None:
            line += f"/{_count(self.total)} {self.unit}"
            if self.total:
                line += f" ({min(100, int(100 * self.done / self.total))}%)"
        else:
            line += f" {self.unit}"
        rate = self.rate()
        if rate:
            line += f", {_rate(rate)} {self.unit}/s"
            if self.total is not None and self.total > self.done:
                line += f", ETA {_duration((self.total - self.done) / rate)}"
        return line

    def _line(self, text: str) -> None:
        self._last_line = self.clock()
        print(text, file=self.stream, flush=True)

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress
        from rich.text import Text

        owner = self

        class RateColumn(ProgressColumn):
            """Units per second since the start (rich's own speed column counts bytes)."""

            def render(self, task) -> Text:  # noqa: ANN001
                rate = owner.rate()
                return Text(f"{_rate(rate)} {owner.unit}/s" if rate else "")

        self._bar = RichProgress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(), RateColumn(),
            TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn(),
            console=Console(file=self.stream), transient=True, redirect_stdout=False, redirect_stderr=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.title, total=self.total)

    def _stop_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
