"""The routing table: which capability and which level each risk code needs. Data, not code.

One ``Route`` per screening rule code (``services/screening/domain``). The level a referral aims at
is the higher of the risk's ``recommended_level`` (set by the screening rule) and ``level`` here;
the destination must have every capability in ``needs``; an ``emergency`` severity adds the
``emergency`` capability. ``onward`` is where a risk goes when it is found at or above its level
(e.g. a stunted child seen *at* the Puskesmas goes on to the hospital's paediatrician).

Capabilities are the registry's vocabulary (facilities CSV): ``hb_test``, ``glucose_test``,
``doctor``, ``ultrasound``, ``emergency`` (PONED at a Puskesmas, IGD at a hospital), ``pdp`` (the HIV
care, support and treatment service, *layanan PDP*, where ART starts). Sources are tags of the ILP domain
reference (§7);
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


DOCTOR, HB, GLUCOSE, PDP = "doctor", "hb_test", "glucose_test", "pdp"

# A reminder the screening rule leaves at the level that saw the person (``recommended_level`` posyandu:
# vitamin A and deworming rounds, immunisation DOFU, monthly BP monitoring) needs no entry of its own: with
# no capability and no minimum level, a facility at or above that level handles it and no referral is made.

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
    "TB_CLOSE_CONTACT": _r(DOCTOR, source="[ILP-T 10-skrining-tb]: kontak erat -> Puskesmas (TST/IGRA, TPT decided "
                           "by a doctor)"),
    "ANEMIA_ADULT": _r(HB, source="[WHO-HB] [ILP-T 01-catin; 02-skrining-layak-hamil]; Hb confirmation assumed, levels "
                       "by severity from the screening rule", confidence="UNCONFIRMED"),
    "BP_HIGH_NORMAL": _r(source="[ILP-T 02-skrining-hipertensi]: normal-tinggi -> monthly monitoring at Posyandu/Pustu"),
    "HYPOGLYCAEMIA": _r(f"{DOCTOR};{GLUCOSE}", source="[ADA 2024] section 6: oral glucose at once, glucose rechecked; "
                        "level 2 (< 54 mg/dL) an emergency, a doctor the same day", confidence="S"),
    "CHOLESTEROL_HIGH": _r(source="[ILP-T 04-skrining-stroke]: borderline -> lifestyle at Posyandu; high -> Puskesmas "
                           "(PERKENI 2021, statin)"),
    "CVD_RISK": _r(DOCTOR, source="[ILP-T 04-skrining-stroke; 05-skrining-jantung]: follow-up by a doctor at the chart "
                   "band's interval; >= 20 % unchanged at 6 months -> FKRTL"),
    "KEK_WUS": _r(source="[ILP-T 01-catin; 02-skrining-layak-hamil]: nutrition counselling before pregnancy at Puskesmas"),
    "PREPREGNANCY_RISK": _r(DOCTOR, source="[ILP-T 02-skrining-layak-hamil; 01-catin]: tidak layak hamil / dengan "
                            "pengawasan -> Puskesmas: treatment, contraception, supervised planning"),
    "TD_INCOMPLETE": _r(source="[ILP-T 01-anc-terpadu; 03-skrining-tetanus]: Td to T5 at the next contact (Puskesmas, "
                        "Pustu or Posyandu)"),
    "CERVICAL_IVA_POSITIVE": _r(DOCTOR, source="[ILP-T 02-skrining-kanker-leher-rahim]: IVA positive -> Puskesmas "
                                "(cryotherapy by a trained doctor or midwife); suspected cancer -> FKRTL (level from the "
                                "screening rule)"),
    "BREAST_SADANIS_ABNORMAL": _r(DOCTOR, level="rs", source="[ILP-T 01-skrining-kanker-payudara]: SADANIS abnormal "
                                  "-> FKRTL"),
    "SMOKER": _r(source="[ILP-T 09-skrining-merokok]: counselling to quit (UBM) at Puskesmas"),
    "VISION_IMPAIRED": _r(DOCTOR, source="[ILP-T 12-skrining-mata]: not better than 6/12 -> Puskesmas (refraction; "
                          "cataract screening from 40 y)"),
    "COLOUR_VISION_DEFICIT": _r(source="[ILP-T 09-skrining-penglihatan]: confirmation and counselling at Puskesmas"),
    "HEARING_IMPAIRED": _r(DOCTOR, source="[ILP-T 10-skrining-pendengaran]: failed whisper test -> Puskesmas "
                           "(otoscopy, audiometry or onward referral)"),
}

# Elderly (klaster 3).
_ELDERLY = {
    "COGNITIVE_IMPAIRMENT": _r(DOCTOR, source="[ILP-T 09-form-table/08-amt; 05-kuesioner-skilas]: AMT/Mini-Cog "
                               "positive -> Puskesmas doctor; doubtful or not manageable -> RS"),
    "GERIATRIC_DEPRESSION": _r(DOCTOR, source="[ILP-T 09-form-table/11-gds]: GDS positive -> Puskesmas (GDS-15, "
                               "diagnosis by a doctor)"),
    "MALNUTRITION_ELDERLY": _r(source="[ILP-T 09-form-table/10-nutrisi]: MNA-SF at risk or malnourished -> Puskesmas "
                               "(nutrition)"),
}

# Newborns (klaster 2).
_NEWBORN = {
    "LOW_BIRTH_WEIGHT": _r(DOCTOR, source="[ILP-T 03-bblr]: stable BBLR above 2,000 g -> Puskesmas (PONED); under "
                           "2,000 g -> RS (level from the screening rule); Pustu monitors after discharge"),
    "SHK_HIGH_TSH": _r(DOCTOR, level="rs", source="[ILP-T 04-shk]: high TSH -> confirmation (serum TSH, FT4) and Sp.A "
                       "at the hospital before 1 month of age", confidence="S"),
    "SHK_NOT_DONE": _r(source="[ILP-T 04-shk]: the Puskesmas takes and sends the sample (ideal at 48-72 hours)"),
    "NEONATAL_VISIT_MISSED": _r(source="[ILP-T 01-neonatal]: KN by the Pustu midwife, kader sweeping",
                                confidence="UNCONFIRMED"),
}

# Postpartum (klaster 2).
_POSTPARTUM = {
    "POSTPARTUM_VISIT_MISSED": _r(source="[ILP-T 05-pelayanan-nifas]: KF by the Pustu midwife, kader sweeping"),
    "POSTPARTUM_DANGER_SIGN": _r(DOCTOR, source="[KIA2023] tanda bahaya nifas: at once to a health facility; an "
                                 "emergency sign to PONEK/IGD (the emergency capability)"),
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
    "RISK_OVERWEIGHT_WFA": _r(source="[PMK2-FLIP]: BB/U > +1 SD -> confirm with BB/PB or BB/TB at Posyandu"),
    "TALL_FOR_AGE": _r(DOCTOR, source="[PMK2-FLIP]: very tall -> a doctor when an endocrine disorder is suspected",
                       confidence="UNCONFIRMED"),
    "MICROCEPHALY": _r(DOCTOR, level="rs", source="[SDIDTK 2016]: head circumference outside the normal band -> "
                       "hospital (Sp.A)", confidence="S"),
    "MACROCEPHALY": _r(DOCTOR, level="rs", source="[SDIDTK 2016]: head circumference outside the normal band -> "
                       "hospital (Sp.A)", confidence="S"),
    "MAM_MUAC": _r(DOCTOR, source="[ILP-T 08-balita-masalah-gizi]: gizi kurang at Puskesmas; doctor assumed",
                   confidence="UNCONFIRMED"),
    "IMMUNIZATION_DROP_OUT": _r(source="[ILP-T 06-imunisasi-rutin]: DOFU by kader home visit, the dose at Posyandu"),
    "IMMUNIZATION_OVERDUE": _r(source="[ILP-T 06-imunisasi-rutin]: the dose at the next Posyandu"),
    "KPSP_DOUBTFUL": _r(source="[S36] [S37] (ilp-domain.md 9.5): re-test in 2 weeks (Pustu); doubtful again -> Puskesmas; "
                        "with a nutrition problem -> RS (levels from the screening rule)", confidence="S"),
    "KPSP_DEVIANT": _r(DOCTOR, level="rs", source="[ILP-T 08-balita-masalah-gizi]: development menyimpang -> RS "
                       "(Sp.A); KPSP [S36] [S37]"),
    "VITAMIN_A_DUE": _r(source="[ILP-T 07-vitamin-a]: February and August rounds at Posyandu, kader sweeping"),
    "DEWORMING_DUE": _r(source="[ILP-T 07-vitamin-a]: deworming at Posyandu (August)"),
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
    "ANC_DOCTOR_DUE": _r(DOCTOR, source="[ILP-T 01-anc-terpadu]: K1 and K5 by the Puskesmas doctor, with ultrasound"),
    "RISK_OBSTETRIC": _r(DOCTOR, source="[ILP-T 01-anc-terpadu]: risk at K1 -> the doctor decides where ANC and "
                         "delivery continue; [NAKITA] height < 145 cm"),
    "GDM": _r(f"{DOCTOR};{GLUCOSE}", source="[WHO 2013] (WHO/NMH/MND/13.2): GDM range -> diagnosis by a doctor with a "
              "glucose test; [ILP-T 01-anc-terpadu] glucose at ANC", confidence="S"),
    "HIV_REACTIVE_PREG": _r(f"{DOCTOR};{PDP}", source="[ILP-T 01-anc-terpadu]: HIV reactive -> PDP service "
                            "(confirmation, ART): a Puskesmas with PDP, else the hospital's"),
    "SYPHILIS_REACTIVE_PREG": _r(f"{DOCTOR};{PDP}", source="[ILP-T 01-anc-terpadu]: syphilis reactive -> PDP service "
                                 "(treatment of the mother and her partner)"),
    "HBSAG_REACTIVE_PREG": _r(DOCTOR, level="rs", source="[ILP-T 01-anc-terpadu]: HBsAg reactive -> FKRTL (Sp.PD); the "
                              "newborn gets HB0 and HBIg"),
    "DANGER_SIGN_PREG": _r(DOCTOR, source="[KIA2023] tanda bahaya kehamilan: at once to a health facility; an emergency "
                           "sign to PONEK/IGD (the emergency capability)"),
    "TRIPLE_ELIMINATION_DUE": _r(source="[ILP-T 01-anc-terpadu]: the tests at the next ANC contact, at the Puskesmas "
                                 "lab"),
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
    "SDQ_PROBLEM": _r(DOCTOR, source="[ILP-T 11-skrining-jiwa; 06-skrining-jiwa]: counselling (teacher, KAP) and/or "
                      "Puskesmas doctor or psychologist; RS/RSJ if needed"),
    "ADOLESCENT_HB_DUE": _r(HB, source="[ILP-T 01-skrining-anemia]: girls' Hb at grades 7 and 10, PoCT at Pustu"),
    "TTD_NOT_RECEIVED": _r(source="[ILP-T 02-pemberian-tdd]: weekly TTD through school and Pustu"),
}

ROUTES: dict[str, Route] = {**_ADULT, **_ELDERLY, **_NEWBORN, **_CHILD, **_PREGNANCY, **_POSTPARTUM, **_SCHOOL}

# A code not in the table is routed by its recommended level alone (and logged by the service).
DEFAULT = Route(source="no routing entry: the screening rule's recommended level only", confidence="UNCONFIRMED")


def route_for(code: str) -> Route:
    """The routing entry of ``code`` (``DEFAULT`` for an unknown code)."""
    return ROUTES.get(code, DEFAULT)
