"""docs/surveillance.md shows the rules the code applies by default."""

from __future__ import annotations

from pathlib import Path

from services.surveillance.admin import main, rules_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "surveillance.md"


def test_the_rules_table_in_the_docs_is_the_catalogue() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- rules:start -->\n", 1)[1].split("\n<!-- rules:end -->", 1)[0]
    assert table == rules_markdown(), "docs/surveillance.md is stale: python -m services.surveillance.admin rules"


def test_the_command_prints_the_table(capsys, monkeypatch) -> None:
    monkeypatch.delenv("JEJARING_SURVEILLANCE_RULES", raising=False)
    assert main(["rules"]) == 0
    assert capsys.readouterr().out.strip() == rules_markdown()
    assert main(["bogus"]) == 2
