"""docs/intake.md documents every intake field, so the contract extension cannot drift undocumented."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from shared.contracts.intake import (
    AncContact,
    Antigen,
    Development,
    IntakeVisit,
    Measurements,
    Newborn,
    Person,
    Pregnancy,
    PregnancyLabs,
    Syndrome,
)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "intake.md").read_text(encoding="utf-8")


def test_every_intake_field_is_documented() -> None:
    for model in (IntakeVisit, Person, Pregnancy, AncContact, PregnancyLabs, Measurements, Newborn, Development):
        for name in model.model_fields:
            assert f"`{name}`" in DOC, f"{model.__name__}.{name} missing from docs/intake.md"


def test_every_code_list_is_documented() -> None:
    for vocabulary in (Antigen, Syndrome):
        for code in get_args(vocabulary):
            assert f"`{code}`" in DOC, f"code {code} missing from docs/intake.md"
