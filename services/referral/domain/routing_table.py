"""The routing table: which capability and which level each risk code needs. Data, not code.

One ``Route`` per screening rule code (``services/screening/domain``). The level a referral aims at
is the higher of the risk's ``recommended_level`` (set by the screening rule) and ``level`` here;
the destination must have every capability in ``needs``; an ``emergency`` severity adds the
``emergency`` capability. ``onward`` is where a risk goes when it is found at or above its level
(e.g. a stunted child seen *at* the Puskesmas goes on to the hospital's paediatrician).

Capabilities are the registry's vocabulary (facilities CSV): ``hb_test``, ``glucose_test``,
``doctor``, ``ultrasound``, ``emergency``. Sources are tags of the ILP domain reference (§7);
``confidence`` is that of the routing choice: ``UNCONFIRMED`` where the capability is our assumption;
``docs/referral.md`` renders this table. To extend: add a line; a unit test fails for any screening
rule code that has no line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EMERGENCY = "emergency"


@dataclass(frozen=True)
class Route:
    """How one risk code is routed."""

    needs: frozenset[str] = field(default_factory=frozenset)
    level: str | None = None  # minimum destination level (None: the risk's recommended level)
    onward: str | None = None  # level to go on to when found at or above the target level
    source: str = ""
    confidence: str = "C"


def _r(needs: str = "", level: str | None = None, onward: str | None = None, *, source: str,
       confidence: str = "C") -> Route:
    return Route(frozenset(n for n in needs.split(";") if n), level, onward, source, confidence)


DOCTOR, HB, GLUCOSE = "doctor", "hb_test", "glucose_test"

# Adults and elderly (klaster 3), any-age TB (klaster 4).
_ADULT = {
    "HT": _r(DOCTOR, source="[ILP-T 02-skrining-hipertensi]: HT signs/uncontrolled -> Puskesmas, diagnosis by a "
             "doctor"),
    "DM_SUSPECT": _r(f"{DOCTOR};{GLUCOSE}", source="[ILP-T 03-skrining-dm]: DM range -> Puskesmas/FKTP, diagnosis by a "
                     "doctor with photometer/analyzer/HbA1c"),
    "PREDIABETES": _r(source="[ILP-T 03-skrining-dm]: lifestyle + recheck every 3 months at Posyandu/Pustu"),
    "UNDERWEIGHT_ADULT": _r(source="[ILP-T 01-skrining-obesitas]: education at Posyandu/Pustu"),
    "OVERWEIGHT_ADULT": _r(source="[ILP-T 01-skrining-obesitas]: education, re-evaluate at 3 months"),
    "OBESITY": _r(source="[ILP-T 01-skrining-obesitas]: education, re-evaluate at 3 months; no change -> FKTP"),
    "CENTRAL_OBESITY": _r(source="[ILP-T 01-skrining-obesitas]"),
    "PPOK_HIGH_RISK": _r(DOCTOR, level="rs", source="[ILP-T 09-skrining-ppok]: PUMA >= 6 -> FKRTL (spirometry)"),
    "MENTAL_POSITIVE": _r(DOCTOR, source="[ILP-T 07-skrining-jiwa]: Puskesmas psychiatric interview by a doctor, "
                          "and/or RS/RSJ"),
    "DEPENDENT": _r(source="[ILP-T 01-skrining-geriatri]: Posyandu -> Pustu/Puskesmas; severe -> home care or RS"),
    "SKILAS_POSITIVE": _r(source="[ILP-T 05-kuesioner-skilas]: follow-up instruments by a health worker (Pustu)"),
    "TB_PRESUMPTIVE": _r(source="[ILP-T 10-skrining-tb]: sputum x2 at Pustu -> TCM at Puskesmas"),
}

# Under-fives (klaster 2).
_CHILD = {
    "SEVERELY_UNDERWEIGHT": _r(DOCTOR, source="[PMK2-FLIP] [ILP-T 08-balita-masalah-gizi]; doctor assumed",
                               confidence="UNCONFIRMED"),
    "UNDERWEIGHT": _r(source="[PMK2-FLIP]: confirmation by a health worker"),
    "SEVERELY_STUNTED": _r(DOCTOR, onward="rs",
                           source="[ILP-T 08-balita-masalah-gizi]: stunting -> Puskesmas -> RS Sp.A"),
    "STUNTED": _r(DOCTOR, onward="rs", source="[ILP-T 08-balita-masalah-gizi]: stunting -> Puskesmas -> RS Sp.A"),
    "SEVERELY_WASTED": _r(DOCTOR, source="[ILP-T 08-balita-masalah-gizi]: gizi buruk < 6 months or < 4 kg -> RS "
                          "(level set by the screening rule)"),
    "WASTED": _r(DOCTOR, source="[ILP-T 08-balita-masalah-gizi]; doctor assumed", confidence="UNCONFIRMED"),
    "RISK_OF_OVERWEIGHT": _r(source="[PMK2-FLIP]: education at Posyandu"),
    "OVERWEIGHT": _r(source="[PMK2-FLIP]"),
    "OBESE": _r(DOCTOR, source="[PMK2-FLIP]; doctor assumed", confidence="UNCONFIRMED"),
    "SAM_MUAC": _r(DOCTOR, source="[ILP-T 08-balita-masalah-gizi]: gizi buruk at Puskesmas; doctor assumed",
                   confidence="UNCONFIRMED"),
    "SAM_OEDEMA": _r(DOCTOR, source="[ILP-T 08-balita-masalah-gizi]: gizi buruk at Puskesmas; doctor assumed",
                     confidence="UNCONFIRMED"),
    "ANEMIA_CHILD": _r(HB, source="[WHO-HB] [ILP-T 11-skrining-thalassemia]; Hb confirmation assumed",
                       confidence="UNCONFIRMED"),
    "WEIGHT_NOT_GAINED": _r(source="[KIA2023]: kader refer T to a health worker", confidence="UNCONFIRMED"),
    "GROWTH_FALTERING_2T": _r(DOCTOR, source="[KIA2023]: 2T -> Puskesmas", confidence="UNCONFIRMED"),
}

# Pregnancy (klaster 2).
_PREGNANCY = {
    "ANEMIA_PREG": _r(HB, source="[WHO-HB] [ILP-T 01-anc-terpadu]: Hb at ANC"),
    "KEK": _r(DOCTOR, source="[ILP-T 03-pmt-ibu-hamil-kek]: KEK must be handled by a doctor"),
    "LOW_BMI_PREG": _r(DOCTOR, source="[ILP-T 03-pmt-ibu-hamil-kek]: must be handled by a doctor"),
    "HT_PREG": _r(DOCTOR, source="[PREEK-DICTIO] [ILP-T]: hypertension in pregnancy; >= 160/110 emergency",
                  confidence="S"),
    "SUSPECT_PE": _r(DOCTOR, level="rs", source="[ANC-IG Logical-Preeclampsia-Referral]: pre-eclampsia -> hospital",
                     confidence="S"),
    "RISK_4T": _r(DOCTOR, source="[ILP-T 01-anc-terpadu]: risk at K1 -> doctor's recommendation"),
    "ANC_DEFAULT": _r(source="[ILP-T 01-anc-terpadu]: kader sweeping, Pustu"),
}

# Preschool and school age (klaster 2).
_SCHOOL = {
    "SEVERE_THINNESS": _r(DOCTOR, source="[ILP-T 05-skrining-obesitas] [PMK2-FLIP]; doctor assumed",
                          confidence="UNCONFIRMED"),
    "THINNESS": _r(DOCTOR, source="[ILP-T 05-skrining-obesitas]: find the cause, nutritionist; doctor assumed",
                   confidence="UNCONFIRMED"),
    "BMIFA_OVERWEIGHT": _r(source="[ILP-T 05-skrining-obesitas]: education, re-evaluate at 3 months"),
    "BMIFA_OBESE": _r(source="[ILP-T 05-skrining-obesitas]: no change after 3 months -> FKTP"),
    "ANEMIA_SCHOOL": _r(HB, source="[ILP-T 01-skrining-anemia]: PoCT Hb"),
    "BP_SCREEN_CHILD": _r(DOCTOR, source="[ILP-T 07-skrining-ht]: diagnosis at a facility; doctor assumed",
                          confidence="UNCONFIRMED"),
    "BP_ELEVATED_CHILD": _r(source="[ILP-T 07-skrining-ht]"),
    "HT_CHILD": _r(DOCTOR, onward="rs", source="[ILP-T 07-skrining-ht]: Posyandu/Pustu -> facility; Puskesmas -> "
                   "FKRTL/Sp.A"),
}

ROUTES: dict[str, Route] = {**_ADULT, **_CHILD, **_PREGNANCY, **_SCHOOL}

# A code not in the table is routed by its recommended level alone (and logged by the service).
DEFAULT = Route(source="no routing entry: the screening rule's recommended level only", confidence="UNCONFIRMED")


def route_for(code: str) -> Route:
    """The routing entry of ``code`` (``DEFAULT`` for an unknown code)."""
    return ROUTES.get(code, DEFAULT)
