"""Rules for the elderly (lansia, >= 60 years, cluster 3): ADL, SKILAS (from raw items where given) and the
follow-up instruments the juknis names (AMT, Mini-Cog, GDS-4, MNA-SF)."""

from __future__ import annotations

from . import tables
from .registry import ELDERLY, Ctx, Finding, rule

GROUP = "Elderly (lansia)"


@rule(
    "DEPENDENT", title="ADL dependence (ketergantungan, modified Barthel)", stages=ELDERLY, cluster=3, group=GROUP,
    criteria="elderly: Barthel < 20; ringan 12-19, sedang 9-11, berat 5-8, total 0-4",
    severity="ringan low, sedang moderate, berat/total high", level="ringan pustu, otherwise puskesmas",
    source="[ILP-T 01-skrining-geriatri; 09-form-table/06-adl]", confidence="C", inputs=("measurements.adl_barthel",),
    notes="Puskesmas: sedang/berat/total -> home care with a caregiver or referral to RS.",
)
def dependent(c: Ctx) -> Finding | None:
    score = c.m.adl_barthel
    if score is None:
        return None
    for lowest, name, group, severity, level in tables.ADL_CLASSES:
        if score >= lowest:
            if not severity:
                return None
            return severity, level, {"adl_barthel": score, "class": name, "aks_group": group}
    return None


def skilas_from_items(c: Ctx) -> dict[str, list[str]]:
    """[ILP-T 09-form-table/05-kuesioner-skilas] positive domains from raw items, with the items that made them."""
    m, s = c.m, c.m.skilas
    found: dict[str, list[str]] = {}

    def add(domain: str, item: str) -> None:
        found.setdefault(domain, []).append(item)

    if s is not None:
        if s.recall_words is not None and s.recall_words < 3:
            add("cognition", "cannot repeat the three words")
        if s.orientation_correct is False:
            add("cognition", "wrong on date or place")
        if s.chair_rise_unable or (s.chair_rise_seconds is not None and s.chair_rise_seconds > 14):
            add("mobility", "5 chair rises not within 14 s")
        if s.weight_loss_3kg:
            add("malnutrition", "weight loss > 3 kg in 3 months or looser clothes")
        if s.appetite_loss:
            add("malnutrition", "appetite loss or feeding difficulty")
        if s.eye_problem:
            add("vision", "eye problem reported")
        if s.sad_or_hopeless:
            add("depression", "sad, depressed or hopeless")
        if s.anhedonia:
            add("depression", "little interest or pleasure")
    if m.muac_cm is not None and m.muac_cm < 21.0:
        add("malnutrition", "LiLA < 21 cm")
    if m.finger_count_passed is False:
        add("vision", "fails the finger-count test")
    if m.whisper_test_passed is False:
        add("hearing", "fails the whisper test")
    return found


@rule(
    "SKILAS_POSITIVE", title="SKILAS positive (ICOPE domains)", stages=ELDERLY, cluster=3, group=GROUP,
    criteria="elderly: >= 1 positive SKILAS domain, from the domain list or the raw items (recall and orientation; "
    "5 chair rises > 14 s; weight loss > 3 kg, appetite loss, LiLA < 21 cm; eye problem or finger count; whisper "
    "test; sadness or anhedonia)", severity="low", level="pustu",
    inputs=("measurements.skilas_positive_domains", "measurements.skilas", "measurements.muac_cm",
            "measurements.finger_count_passed", "measurements.whisper_test_passed"),
    source="[ILP-T 09-form-table/05-kuesioner-skilas; 01-skrining-geriatri]", confidence="C",
    notes="Follow-up by a health worker with the domain instruments (Mini-Cog/AMT, SPPB, MNA-SF, GDS-4, ...).",
)
def skilas_positive(c: Ctx) -> Finding | None:
    declared = set(c.m.skilas_positive_domains or ())
    items = skilas_from_items(c)
    domains = sorted(declared | set(items))
    if not domains:
        return None
    return "low", "pustu", {"domains": domains, "count": len(domains), "items": items}


@rule(
    "COGNITIVE_IMPAIRMENT", title="Cognitive impairment on follow-up (AMT, Mini-Cog)", stages=ELDERLY, cluster=3,
    group=GROUP, criteria="AMT 4-7 (moderate) or 0-3 (severe); Mini-Cog 0-2 (possible impairment)",
    severity="moderate; high for AMT 0-3", level="puskesmas", inputs=("measurements.amt_score", "measurements.mini_cog_score"),
    source="[ILP-T 09-form-table/08-amt; 05-kuesioner-skilas] (Mini-Cog)", confidence="C",
    notes="Doubtful or not manageable at Puskesmas: RS.",
)
def cognitive_impairment(c: Ctx) -> Finding | None:
    amt, cog = c.m.amt_score, c.m.mini_cog_score
    ev: dict = {}
    if amt is not None and amt < tables.AMT_MODERATE_BELOW:
        ev.update(amt_score=amt, amt_class="severe" if amt < tables.AMT_SEVERE_BELOW else "moderate")
    if cog is not None and cog < tables.MINI_COG_POSITIVE_BELOW:
        ev.update(mini_cog_score=cog)
    if not ev:
        return None
    return ("high" if ev.get("amt_class") == "severe" else "moderate"), "puskesmas", ev


@rule(
    "GERIATRIC_DEPRESSION", title="Depressive symptoms on follow-up (GDS-4)", stages=ELDERLY, cluster=3, group=GROUP,
    criteria="GDS-4 = 1 possible depression (go on to GDS-15); 2-4 depression", severity="possible low, depression "
    "moderate", level="puskesmas", inputs=("measurements.gds4_score",),
    source="[ILP-T 09-form-table/11-gds]", confidence="C",
)
def geriatric_depression(c: Ctx) -> Finding | None:
    score = c.m.gds4_score
    if score is None or score < tables.GDS4_POSSIBLE:
        return None
    if score >= tables.GDS4_DEPRESSION:
        return "moderate", "puskesmas", {"gds4_score": score, "class": "depression"}
    return "low", "puskesmas", {"gds4_score": score, "class": "possible depression", "next": "GDS-15"}


@rule(
    "MALNUTRITION_ELDERLY", title="Malnutrition risk on follow-up (MNA-SF)", stages=ELDERLY, cluster=3, group=GROUP,
    criteria="MNA-SF 8-11 at risk, 0-7 malnourished", severity="at risk low, malnourished moderate",
    level="puskesmas", inputs=("measurements.mna_sf_score",),
    source="[ILP-T 09-form-table/10-nutrisi]; bands of the MNA-SF (Kaiser et al., 2009) [S]", confidence="S",
    notes="The transcription prints '> 12 normal, < 11 possible malnutrition'; the published bands are used.",
)
def malnutrition_elderly(c: Ctx) -> Finding | None:
    score = c.m.mna_sf_score
    if score is None or score >= tables.MNA_AT_RISK_BELOW:
        return None
    if score < tables.MNA_MALNOURISHED_BELOW:
        return "moderate", "puskesmas", {"mna_sf_score": score, "class": "malnourished"}
    return "low", "puskesmas", {"mna_sf_score": score, "class": "at risk of malnutrition"}
