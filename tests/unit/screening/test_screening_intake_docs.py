"""docs/intake.md documents the screening inputs Jejaring added: nested blocks and their vocabularies."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from shared.contracts.intake import (
    ObstetricHistory,
    PostpartumDangerSign,
    PregnancyDangerSign,
    PrePregnancy,
    SkilasItems,
)

DOC = (Path(__file__).resolve().parents[3] / "docs" / "intake.md").read_text(encoding="utf-8")


def test_nested_screening_blocks_are_documented() -> None:
    for model in (SkilasItems, PrePregnancy):
        for name in model.model_fields:
            assert f"`{name}`" in DOC, f"{model.__name__}.{name} missing from docs/intake.md"


def test_screening_vocabularies_are_documented() -> None:
    for vocabulary in (ObstetricHistory, PregnancyDangerSign, PostpartumDangerSign):
        for code in get_args(vocabulary):
            assert f"`{code}`" in DOC, f"code {code} missing from docs/intake.md"
