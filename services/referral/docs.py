"""Renders the routing table for ``docs/referral.md`` (a unit test keeps the two in step)."""

from __future__ import annotations

from services.referral.domain.routing_table import ROUTES


def routing_markdown() -> str:
    """The routing table as a Markdown table, one row per risk code."""
    lines = ["| risk code | needs | min. level | onward from that level | source | conf. |",
             "| --- | --- | --- | --- | --- | --- |"]
    for code in sorted(ROUTES):
        r = ROUTES[code]
        needs = ", ".join(f"`{n}`" for n in sorted(r.needs)) or "—"
        lines.append(f"| `{code}` | {needs} | {r.level or 'recommended'} | {r.onward or '—'} | "
                     f"{r.source.replace('|', '/')} | {r.confidence} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(routing_markdown())
