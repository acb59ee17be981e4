"""Generate ``docs/screening-rules.md`` from the rule registry, so the documentation cannot drift.

Regenerate with::

    python -c "from services.screening.domain import render_rules_markdown as r; print(r(), end='')" \
        > docs/screening-rules.md
"""

from __future__ import annotations

from . import engine, tables, zscores
from .model import LEVELS, RULESET_VERSION, SEVERITIES
from .registry import CONFIDENCE, GROUPS, RULES, Rule
from .rules_pregnancy import ANC_DEADLINES


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cluster(rule: Rule) -> str:
    return str(rule.cluster) if rule.cluster is not None else "2/3 by stage"


def _confidence(rule: Rule) -> str:
    return "**[UNCONFIRMED]**" if rule.confidence == "UNCONFIRMED" else rule.confidence


def _rule_table(rules: list[Rule]) -> list[str]:
    out = [
        "| code | rule | stages | cluster | trigger | severity | recommended level | source | confidence | notes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rules:
        cells = (
            f"`{r.code}`", r.title, ", ".join(r.stages), _cluster(r), r.criteria, r.severity, r.level, r.source,
            _confidence(r), r.notes,
        )
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out


def _source_tables() -> list[str]:
    out = ["## Source tables", "", "### Haemoglobin thresholds, g/dL [WHO-HB]", "",
           "| group | anaemia below | mild from | severe below |", "|---|---|---|---|"]
    out += [f"| {g} | {a:g} | {m:g} | {s:g} |" for g, (a, m, s) in tables.ANAEMIA.items()]
    out += ["", "Anaemia grade -> severity, level (level mapping is a product assumption): "
            + "; ".join(f"{g}: {s}, {lv}" for g, (s, lv) in tables.ANAEMIA_ACTION.items()) + ".", ""]
    out += ["### KBM, minimum monthly weight gain [KIA2023] [UNCONFIRMED]", "",
            "| age (completed months) | KBM (g) |", "|---|---|"]
    out += [f"| {m}{'+' if m == max(tables.KBM_G) else ''} | {g} |" for m, g in tables.KBM_G.items()]
    out += ["", "T: gain since the weighing of the previous calendar month below the KBM for the age at this "
            "weighing (the last weighing of each month counts; no weighing last month: no N/T). 2T: T at this "
            "and at the previous monthly weighing.", ""]
    out += ["### Child blood pressure screening table, 7-12 years [ILP-T 07-skrining-ht]", "",
            "| age (years) | boys systolic/diastolic | girls systolic/diastolic |", "|---|---|---|"]
    out += [f"| {a} | {b[0]}/{b[1]} | {g[0]}/{g[1]} |" for a, (b, g) in tables.CHILD_BP.items()]
    c13 = tables.CHILD_BP_13
    out += ["", f"13-14 years: elevated systolic {c13['elevated_sys']}-{c13['stage1'][0] - 1} with diastolic < "
            f"{c13['stage1'][1]}; stage 1 systolic >= {c13['stage1'][0]} or diastolic >= {c13['stage1'][1]}; "
            f"stage 2 systolic >= {c13['stage2'][0]} or diastolic >= {c13['stage2'][1]}.", ""]
    out += ["### Adult hypertension grades [ILP-T 02-skrining-hipertensi]", "",
            "| grade | systolic from | or diastolic from | severity |", "|---|---|---|---|"]
    out += [f"| {g} | {s} | {d} | {sev} |" for s, d, g, sev in tables.ADULT_HT_GRADES]
    out += ["", "### Adult BMI classes [ILP-T 01-skrining-obesitas] [IMT-SCRIBD]", "",
            "Asia-Pacific (classification): " + "; ".join(
                f"{name} < {upper:g}" if upper != float("inf") else f"{name} otherwise"
                for upper, name in tables.BMI_ASIA_PACIFIC) + ".",
            "",
            "National, reported alongside in evidence: " + "; ".join(
                f"{name} {'<=' if inc else '<'} {upper:g}" if upper != float("inf") else f"{name} otherwise"
                for upper, inc, name in tables.BMI_NATIONAL) + ".", ""]
    out += ["### ADL (modified Barthel, 0-20) [ILP-T 09-form-table/06-adl]", "",
            "| from score | class | AKS group | severity | level |", "|---|---|---|---|---|"]
    out += [f"| {lo} | {n} | {g} | {s or '-'} | {lv or '-'} |" for lo, n, g, s, lv in tables.ADL_CLASSES]
    out += ["", "### ANC 1-2-3 schedule [ILP-T 01-anc-terpadu]", "",
            "; ".join(f">= {due} contacts by week {week}" for week, due in ANC_DEADLINES) + ".", ""]
    return out


def render_rules_markdown() -> str:
    """The full ``docs/screening-rules.md`` text."""
    unconfirmed = [r.code for r in RULES if r.confidence == "UNCONFIRMED"]
    out = [
        "# Screening rules",
        "",
        "<!-- Generated from the rule registry by services.screening.domain.docs.render_rules_markdown(); "
        "do not edit by hand. -->",
        "",
        f"Rule set version `{RULESET_VERSION}`: {len(RULES)} rules, {len(unconfirmed)} marked [UNCONFIRMED] "
        f"({', '.join(unconfirmed)}).",
        "",
        "Every risk carries its code, ILP cluster (1-5: 2 mother & child, 3 adult & elderly, 4 communicable "
        f"disease), severity ({', '.join(SEVERITIES)}), evidence (the values and z-scores that triggered it), "
        f"the recommended level of care ({', '.join(LEVELS)}) and the rule set version. Rules run only for "
        "the life-cycle stages listed; source tags are those of ilp-domain.md section 7.",
        "",
        "Confidence: " + "; ".join(f"**{k}** {v}" for k, v in CONFIDENCE.items()) + ".",
        "",
        "## Anthropometry",
        "",
        f"WHO z-scores from the LMS tables shipped in `{zscores.LIBRARY}`, computed in floats. Under-fives: WHO "
        "Child Growth Standards 2006 (weight-for-age, length/height-for-age, weight-for-length/height, "
        "BMI-for-age, arm circumference-for-age), age < 60 months, restricted LMS beyond +-3 SD for the "
        "weight-based indicators, 0.7 cm length/height correction at 731 days, weight-based z-scores not "
        "computed with oedema. Pre-school and school-age: WHO Growth Reference 2007 BMI-for-age, 61-228 "
        "months. Z-scores are rounded to 2 decimals before classification. Between 60 and 61 months no "
        "z-score is computed (WHO anthro stops below 60 months, anthroplus starts at 61). Under-five "
        "BMI-for-age and arm circumference-for-age z-scores are reported but not classified: wasting and "
        "overweight come from weight-for-length/height, severe acute malnutrition by MUAC from the absolute "
        "11.5 cm cut-off. A z-score flagged as biologically implausible produces no risk.",
        "",
        "| flag | meaning |",
        "|---|---|",
    ]
    out += [f"| `{k}` | {_cell(v)} |" for k, v in zscores.FLAGS.items()]
    out.append("")
    for group in GROUPS:
        out += [f"## {group}", ""] + _rule_table([r for r in RULES if r.group == group]) + [""]
    out += ["## Rules by stage", ""]
    out += [f"- **{stage}**: " + ", ".join(f"`{r.code}`" for r in rules)
            for stage, rules in engine.RULES_BY_STAGE.items()]
    out.append("")
    out += _source_tables()
    return "\n".join(out).rstrip("\n") + "\n"

