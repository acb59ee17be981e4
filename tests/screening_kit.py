"""What screening makes of a recorded visit, for tests that feed the dashboard without the screening service.

The dashboard's measurement indicators read screening's verdicts (``VisitScreened.facts.pws``), so a test
that sends a recorded visit straight to the dashboard sends the screened visit screening's own code makes
of it too, as the pipeline would: the definitions under test are the one copy in screening.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.contracts.events import EventData, VisitRecorded, VisitScreened


def screen(event: VisitRecorded) -> VisitScreened:
    """The *visit screened* screening emits for ``event`` (its own code; no earlier history)."""
    from services.screening import domain, usecases

    return usecases.screened_event(event, domain.evaluate(domain.from_recorded(event)))


def with_screening(events: Iterable[EventData]) -> list[EventData]:
    """Each recorded visit followed by its screened visit, as screening emits it."""
    out: list[EventData] = []
    for e in events:
        out.append(e)
        if isinstance(e, VisitRecorded):
            out.append(screen(e))
    return out
