"""docs/fhir.md is rendered from the mapping table; the committed page must be up to date."""

from __future__ import annotations

from pathlib import Path

from shared.fhir import codes, docs

DOC = Path(__file__).resolve().parents[3] / "docs" / "fhir.md"


def test_committed_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == docs.render(), "run: python -m shared.fhir.docs > docs/fhir.md"


def test_every_row_and_antigen_is_in_the_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{row.name}`" in text for row in codes.FIELDS)
    assert all(f"`{a.antigen}`" in text for a in codes.ANTIGENS)
