"""docs/intake.md documents every intake field, so the contract extension cannot drift undocumented."""

from __future__ import annotations

from pathlib import Path

from shared.contracts.intake import Measurements, Person, Pregnancy

DOC = (Path(__file__).resolve().parents[2] / "docs" / "intake.md").read_text(encoding="utf-8")


def test_every_intake_field_is_documented() -> None:
    for model in (Person, Pregnancy, Measurements):
        for name in model.model_fields:
            assert f"`{name}`" in DOC, f"{model.__name__}.{name} missing from docs/intake.md"
