"""Generate ``docs/screening-rules.md`` from the rule registry, so the documentation cannot drift.

Regenerate with::

    python -m services.screening.docs > docs/screening-rules.md
"""

from __future__ import annotations

from dataclasses import fields

from services.screening.domain import anaemia, engine, immunization, tables, zscores
from services.screening.domain.config import DEFAULT
from services.screening.domain.model import LEVELS, RULESET_VERSION, SEVERITIES
from services.screening.domain.registry import CONFIDENCE, GROUPS, RULES, Rule


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cluster(rule: Rule) -> str:
    return str(rule.cluster) if rule.cluster is not None else "2/3 by stage"


def _confidence(rule: Rule) -> str:
    return "**[UNCONFIRMED]**" if rule.confidence == "UNCONFIRMED" else rule.confidence


def _rule_table(rules: list[Rule]) -> list[str]:
    out = [
        "| code | rule | stages | cluster | trigger | inputs | severity | recommended level | source | confidence "
        "| notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rules:
        cells = (
            f"`{r.code}`", r.title, ", ".join(r.stages), _cluster(r), r.criteria,
            ", ".join(f"`{i}`" for i in r.inputs), r.severity, r.level, r.source, _confidence(r), r.notes,
        )
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out


def _anaemia_tables() -> list[str]:
    out = ["### Haemoglobin thresholds, g/dL [WHO-HB]", "",
           "Kemenkes uses WHO 2011 (reproduced by Kemenkes 2016): the default. WHO 2024 is selectable "
           "(`anaemia_reference`) for screening's risks; the PWS fact `anemia_pregnancy` keeps Hb < 11 g/dL.", ""]
    for name, table in (("WHO 2011 (default)", anaemia.WHO2011), ("WHO 2024", anaemia.WHO2024)):
        out += [f"{name}:", "", "| group | anaemia below | mild from | severe below |", "|---|---|---|---|"]
        out += [f"| {g} | {a:g} | {m:g} | {s:g} |" for g, (a, m, s) in table.items()]
        out.append("")
    out += ["WHO 2024 severity bands of the 6-23 months and trimester-2 groups: **[UNCONFIRMED]**.", "",
            "Anaemia grade -> severity, level (a product assumption): "
            + "; ".join(f"{g}: {s}, {lv}" for g, (s, lv) in anaemia.ACTION.items()) + ".", "",
            "Adjustments (WHO 2011, g/dL subtracted from the measured Hb when `hb_adjustments` is on): elevation "
            + ", ".join(f">= {m} m {v:g}" for m, v in reversed(anaemia.ELEVATION_ADJUSTMENT))
            + "; smoking " + ", ".join(f">= {n} cigarettes/day {v:g}" for n, v in reversed(anaemia.SMOKING_ADJUSTMENT))
            + " (a smoker of unknown amount: 0.3). Whether WHO 2024 changes these values: **[UNCONFIRMED]**.", ""]
    return out


def _source_tables() -> list[str]:
    out = ["## Source tables", ""] + _anaemia_tables()
    out += ["### KBM, minimum monthly weight gain [KIA2023] [UNCONFIRMED]", "",
            "| age (completed months) | KBM (g) |", "|---|---|"]
    last = DEFAULT.kbm_g[-1][0]
    out += [f"| {m}{'+' if m == last else ''} | {g} |" for m, g in DEFAULT.kbm_g]
    out += ["", "T: gain since the weighing of the previous calendar month below the KBM for the age at this "
            "weighing (the last weighing of each month counts; no weighing last month: no N/T; not with oedema). "
            "2T: T at this and at the previous monthly weighing. `growth_n_rule = kbm_or_curve` also counts N when "
            "the weight-for-age z did not fall (the curve follows the growth line). BGM (below the red line): "
            "weight-for-age < -3 SD.", ""]
    out += ["### Child blood pressure screening table, 7-12 years [ILP-T 07-skrining-ht]", "",
            "| age (years) | boys systolic/diastolic | girls systolic/diastolic |", "|---|---|---|"]
    out += [f"| {a} | {b[0]}/{b[1]} | {g[0]}/{g[1]} |" for a, (b, g) in tables.CHILD_BP.items()]
    c13 = tables.CHILD_BP_13
    out += ["", f"13-17 years (juknis table for >= 13): elevated systolic {c13['elevated_sys']}-{c13['stage1'][0] - 1} "
            f"with diastolic < {c13['stage1'][1]}; stage 1 systolic >= {c13['stage1'][0]} or diastolic >= "
            f"{c13['stage1'][1]}; stage 2 systolic >= {c13['stage2'][0]} or diastolic >= {c13['stage2'][1]}; "
            f"emergency from {tables.ADOLESCENT_URGENT[0]}/{tables.ADOLESCENT_URGENT[1]} [AAP 2017].", ""]
    out += ["### Adult hypertension grades, from 18 years [ILP-T 02-skrining-hipertensi]", "",
            "| grade | systolic from | or diastolic from | severity |", "|---|---|---|---|"]
    out += [f"| {g} | {s} | {d} | {sev} |" for s, d, g, sev in tables.ADULT_HT_GRADES]
    out += [f"| normal-tinggi | {tables.ADULT_HIGH_NORMAL[0]} | {tables.ADULT_HIGH_NORMAL[1]} | low |", ""]
    out += ["### Adult BMI classes [ILP-T 01-skrining-obesitas] [IMT-SCRIBD]", "",
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
            "Cumulative standard contacts due: " + "; ".join(
                f">= {due} once past week {week}" for week, due in DEFAULT.anc_deadlines)
            + " (the trimester-3 steps at 30 and 36 weeks are **[UNCONFIRMED]**); at least 1 contact in trimester 1 "
            "(0-12 weeks) and 2 in trimester 2 (> 12-24 weeks) once each has passed. Doctor: K1 in trimester 1, K5 "
            f"in trimester 3 (expected by week {DEFAULT.anc_doctor_t3_by_week}, **[UNCONFIRMED]**), with ultrasound.",
            "", "### Immunisation schedule [ILP-T 06-imunisasi-rutin]", "",
            "| antigen | due at (months) | after | minimum interval (days) |", "|---|---|---|---|"]
    out += [f"| `{a}` | {m} | {p or '-'} | {i or '-'} |" for a, (m, p, i) in immunization.SCHEDULE.items()]
    out += ["", f"Overdue {DEFAULT.immunization_grace_months} month after due; HB0 not due after "
            f"{DEFAULT.hb0_max_days} days, BCG after {DEFAULT.bcg_max_months} months (all **[UNCONFIRMED]**); JE "
            "(endemic areas) is not scheduled. IDL: " + ", ".join(f"`{a}`" for a in sorted(immunization.IDL)) + ".",
            "", "### Visit windows", "",
            "Neonatal (days of age, **[UNCONFIRMED]**): " + ", ".join(
                f"KN{n} {a}-{b}" for n, a, b in DEFAULT.kn_windows)
            + ". Postpartum [ILP-T 05-pelayanan-nifas] (days after delivery): " + ", ".join(
                f"KF{n} {a}-{b}" for n, a, b in DEFAULT.kf_windows) + ".", ""]
    out += ["### Other cut-offs", "",
            f"- Glucose [ILP-T 03-skrining-dm] [WHO 2013]: GDM fasting {tables.GDM_FASTING:g}-125, 2-h OGTT "
            f"{tables.GDM_OGTT_2H:g}-199; diabetes in pregnancy fasting >= {tables.DIP_FASTING:g}, 2-h >= "
            f"{tables.DIP_OGTT_2H:g}, random >= {tables.DIP_RANDOM:g} mg/dL; same-day crisis check from "
            f"{DEFAULT.glucose_crisis_mg_dl:g} (**[UNCONFIRMED]**), hyperosmolar range from {tables.GLUCOSE_HHS:g} "
            f"[PERKENI 2021]; hypoglycaemia < {tables.HYPOGLYCAEMIA_L1:g} (level 2 < {tables.HYPOGLYCAEMIA_L2:g}) "
            "[ADA 2024].",
            f"- Total cholesterol [ILP-T 04-skrining-stroke]: borderline {tables.CHOLESTEROL_BORDERLINE:g}-239, high "
            f">= {tables.CHOLESTEROL_HIGH:g}, statin above {tables.CHOLESTEROL_STATIN:g} mg/dL.",
            "- Visual acuity [ILP-T 12-skrining-mata]: refer when not better than 6/12; " + "; ".join(
                band for _, band in reversed(tables.VISION_BANDS)) + ".",
            f"- SDQ total difficulties (borderline, abnormal from): parent/teacher {DEFAULT.sdq_parent_cutoffs}, "
            f"self-report {DEFAULT.sdq_self_cutoffs} (**[UNCONFIRMED]** for the self-report).",
            f"- AMT < {tables.AMT_MODERATE_BELOW} moderate, < {tables.AMT_SEVERE_BELOW} severe; Mini-Cog < "
            f"{tables.MINI_COG_POSITIVE_BELOW}; GDS-4 >= {tables.GDS4_POSSIBLE} possible, >= {tables.GDS4_DEPRESSION} "
            f"depression; MNA-SF < {tables.MNA_AT_RISK_BELOW} at risk, < {tables.MNA_MALNOURISHED_BELOW} "
            "malnourished.",
            "- Birth weight [ILP-T 03-bblr]: " + "; ".join(n for _, n in tables.BIRTH_WEIGHT_CLASSES)
            + f"; under {tables.LBW_REFER_G} g to the hospital.", ""]
    return out


def _configuration() -> list[str]:
    out = ["## Configuration", "",
           "Values the sources leave open, in `services/screening/domain/config.py` (`ScreeningConfig`; the service "
           "reads them from `JEJARING_SCREENING_*` settings, see `services/screening/settings.py`):", "",
           "| name | default |", "|---|---|"]
    out += [f"| `{f.name}` | `{getattr(DEFAULT, f.name)!r}` |" for f in fields(DEFAULT)]
    return out + [""]


def _facts() -> list[str]:
    return [
        "## Facts for the PWS (`VisitScreened.facts`)", "",
        "Every screened visit carries `facts` (schema `VisitFacts` in `shared/contracts/events.py`), computed here "
        "with one copy of each threshold, so the dashboard counts without restating them:", "",
        "- `pws`: the v1 verdicts with the contract's fixed definitions (`None` = the visit does not count): "
        "`hypertension` (>= 15 x 365.25 days, pregnant women included, systolic >= 140 or diastolic >= 90, both "
        "pressures measured), `diabetes` (>= 15 y, random >= 200 or fasting >= 126 mg/dL), `anemia_pregnancy` "
        "(Hb < 11, unadjusted), `kek_pregnancy` (MUAC < 23.5), `tb_presumptive` (the TB rule's criteria; `None` "
        "without a TB input), `tb_close_contact`, and `underweight` / `stunting` / `wasting` (under-five stage, "
        "z < -2, implausible z not counted, oedema counted < -3 SD for the weight-based two). Intended differences "
        "from the clinical rules: blood pressure (contract 140/90 from 15 y vs adolescent table to 17 y), WHO 2024 "
        "or adjusted Hb (rules only), GDM in pregnancy (rules only). `severe_wasting` (gizi buruk): under-five stage, "
        "weight-for-length/height z < -3 or oedema [PMK2-FLIP], implausible z not counted.",
        "- `pws`, SPM verdicts (Permenkes 4/2019; `None` = the visit does not count; docs/dashboard.md, \"SPM and ILP "
        "coverage indicators\"): `spm_productive_screened` (15 to < 60 y: weight, height, waist, both pressures and "
        "glucose measured), `spm_elderly_screened` (>= 60 y: weight, waist, height or MUAC, both pressures, glucose, "
        "cholesterol, ADL, and SKILAS or AMT/Mini-Cog with GDS-4), `spm_hypertension_care` / `spm_diabetes_care` "
        "(>= 15 y, measured at a Pustu, Puskesmas or RS, in the v1 range or ICD-10 I10-I15 / E10-E14 coded), "
        "`tb_examined` (a TB test recorded now or in the 30 days before a presumptive visit; `false`: presumptive "
        "without one).",
        "- `growth` (under-five weighings, SKDN): `weighed`, `first_weighing`, `trend` N/T (`None` = not weighed "
        "last month), `two_t`, `bgm`, `gain_g`, `kbm_g`.",
        "- `anc` (pregnancy visits): `pregnancy_id`, `gestational_weeks`, `trimester` (contract: 1 <= 13, 2 = 14-27, "
        "3 = 28+), `contact`, `contact_number`, `by`, `ultrasound`, `contacts`, `contacts_by_trimester`, "
        "`doctor_contacts`, and `k1`, `k1_murni`, `k4`, `k6` reached at this visit (once per pregnancy).",
        "- `newborn`: `birth_weight_g`, `low_birth_weight` (< 2,500 g), `neonatal_visit` (KN), `shk`, `kn_complete` "
        "(KN lengkap reached at this visit: KN1, KN2 and KN3 all recorded for the baby, the last now [ILP-T "
        "01-neonatal]).",
        "- `immunization` (under-fives with a dose known): `given`, `idl_complete` (IDL completed at this visit "
        "before the first birthday), `idl_complete_late`, `due`, `overdue`, `drop_out`, `next_due`, `next_due_on`.",
        "- `services`: `vitamin_a`, `deworming`, `kpsp`, `ttd_tablets`, `hb_tested`, `triple_elimination_tested`, "
        "`td_given`, `postpartum_visit` (KF), `delivery_facility` (a delivery first reported at this visit, none in "
        "the 42 days before: at a health facility?), `ttd_adolescent_girl` (a girl 10 to < 18 y, not pregnant, "
        "`ttd_tablets` recorded: > 0?), "
        "`triple_elimination_complete` (the third of HIV, syphilis and HBsAg "
        "of this pregnancy has its result at this visit), `kf_complete` (KF lengkap reached at this visit: KF1-KF4 "
        "since this delivery, `postpartum_days` before the visit or else the 42 days of the nifas period [ILP-T "
        "05-pelayanan-nifas], Permenkes 21/2021), `vitamin_a_6_59` (vitamin A recorded for a child of 6-59 completed "
        "months [ILP-T 07-vitamin-a]).",
        "- Milestones (`k1` ... `k6`, `idl_complete`, `kn_complete`, `kf_complete`, `triple_elimination_complete`) "
        "are true only at the visit that reaches them, judged against the history of earlier dates (same-day "
        "records included, later-dated ones not): the dashboard counts each in the month it is reached.", "",
    ]


def render_rules_markdown() -> str:
    """The full ``docs/screening-rules.md`` text."""
    unconfirmed = [r.code for r in RULES if r.confidence == "UNCONFIRMED"]
    out = [
        "# Screening rules",
        "",
        "<!-- Generated from the rule registry by services.screening.docs.render_rules_markdown(); "
        "do not edit by hand. -->",
        "",
        f"Rule set version `{RULESET_VERSION}`: {len(RULES)} rules, {len(unconfirmed)} marked [UNCONFIRMED] "
        f"({', '.join(unconfirmed)}).",
        "",
        "Every risk carries its code, ILP cluster (1-5: 2 mother & child, 3 adult & elderly, 4 communicable "
        f"disease), severity ({', '.join(SEVERITIES)}), evidence (the values and z-scores that triggered it), "
        f"the recommended level of care ({', '.join(LEVELS)}) and the rule set version. Rules run only for "
        "the life-cycle stages listed; a rule whose inputs are all measurements runs only when one is given. "
        "Source tags are those of ilp-domain.md section 7 (ILP-T: the juknis transcription, paths under "
        "`docs/ILP/`); other sources are named in full. Programme rules that need a history (immunisation, vitamin "
        "A, deworming, KN/KF) fire only for a person whose record carries that programme.",
        "",
        "Confidence: " + "; ".join(f"**{k}** {v}" for k, v in CONFIDENCE.items()) + ".",
        "",
        "## Anthropometry",
        "",
        f"WHO z-scores from the LMS tables shipped in `{zscores.LIBRARY}`, computed in floats. Under 60 months "
        "(1826 days): WHO Child Growth Standards 2006 (weight-for-age, length/height-for-age, "
        "weight-for-length/height, BMI-for-age, arm circumference-for-age, head circumference-for-age), restricted "
        "LMS beyond +-3 SD for the weight-based indicators, 0.7 cm length/height correction at 731 days, "
        "weight-based z-scores not computed with oedema. Pre-school and school-age from 60 months: WHO Growth "
        "Reference 2007 BMI-for-age, 60-228 months (WHO anthroplus starts at 60 months since its version 1.0.0; "
        "the month-60 row is its `bfawho2007`). Z-scores are rounded to 2 decimals before classification. "
        "Under-five BMI-for-age and arm circumference-for-age z-scores are reported but not classified: wasting "
        "and overweight come from weight-for-length/height, acute malnutrition by MUAC from the absolute 11.5 and "
        "12.5 cm cut-offs. A z-score flagged as biologically implausible produces no risk.",
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
    out += _facts()
    out += _source_tables()
    out += _configuration()
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(render_rules_markdown(), end="")
