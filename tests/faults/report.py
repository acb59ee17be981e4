"""The fault and abuse suite's report: what it did and found, printed as the reliability table
(``docs/reliability.md``). One module, imported by the suite's conftest and its tests alike."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Report:
    """What the suite did and found; printed as the reliability table."""

    faults: Counter = field(default_factory=Counter)
    inputs: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    events_lost: int | None = None
    duplicates_counted: int | None = None
    pii_hits: list[str] = field(default_factory=list)
    pii_scanned: Counter = field(default_factory=Counter)
    invalid_referrals: list[str] = field(default_factory=list)
    accepted_visits: int = 0

    def rows(self) -> list[tuple[str, str]]:
        def counts(c: Counter) -> str:
            return f"{sum(c.values())} ({', '.join(f'{k} {v}' for k, v in sorted(c.items()))})" if c else "0"

        return [
            ("faults injected", counts(self.faults)),
            ("inputs tried", counts(self.inputs)),
            ("requests refused", counts(self.refused)),
            ("server errors (5xx) to abuse", str(len(self.server_errors))),
            ("visits accepted under load", str(self.accepted_visits)),
            ("events lost", "not checked" if self.events_lost is None else str(self.events_lost)),
            ("duplicates counted", "not checked" if self.duplicates_counted is None else str(self.duplicates_counted)),
            ("referrals in an invalid state", str(len(self.invalid_referrals))),
            ("NIK and name hits", f"{len(self.pii_hits)} in {counts(self.pii_scanned)}"),
        ]

    def table(self) -> str:
        lines = ["| check | result |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in self.rows()]
        return "\n".join(lines)


REPORT = Report()
