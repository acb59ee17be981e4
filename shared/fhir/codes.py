"""THE mapping table: every intake field <-> FHIR resource, code system, code, UCUM unit, value type.

Longer than most modules on purpose: it is one table, read top to bottom, and ``docs/fhir.md`` is
rendered from it. Adding an optional intake field that travels as an Observation or as a
QuestionnaireResponse item is one ``Field`` row in ``FIELDS``; ``inbound`` and ``outbound`` and the
documentation follow. Rows of other resources (Patient, Encounter, Immunization, Condition,
EpisodeOfCare) document the structural mapping that ``inbound``/``outbound`` implement by hand.

Sources: SATUSEHAT's identifier systems, administrativeCode extension, ANC EpisodeOfCare and
Encounter label, LiLA code and clinical-term codes are from ilp-domain.md §4.1 and the SATUSEHAT
use-case examples (ANC Observation, EpisodeOfCare, Immunization and QuestionnaireResponse
resources); laboratory codes of the triple elimination follow the SATUSEHAT-based ANC examples;
everything else is LOINC, SNOMED CT, CVX or HL7 terminology. Where no published code exists the
code lives in a Jejaring system under ``JEJARING`` and says so in its row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# -- code systems and identifier systems ---------------------------------------------------------
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
CVX = "http://hl7.org/fhir/sid/cvx"
KFA = "http://sys-ids.kemkes.go.id/kfa"
NIK = "https://fhir.kemkes.go.id/id/nik"
NIK_IBU = "https://fhir.kemkes.go.id/id/nik-ibu"
ADMINISTRATIVE_CODE = "https://fhir.kemkes.go.id/r4/StructureDefinition/administrativeCode"
ENCOUNTER_IDS = "http://sys-ids.kemkes.go.id/encounter/"  # + SATUSEHAT organization id
KEMKES_ANC = "http://terminology.kemkes.go.id/CodeSystem/anc-custom-codes"
WHO_ANC = "http://fhir.org/guides/who/anc-cds/CodeSystem/anc-custom-codes"
CLINICAL_TERM = "http://terminology.kemkes.go.id/CodeSystem/clinical-term"
EPISODE_TYPE = "http://terminology.kemkes.go.id/CodeSystem/episodeofcare-type"
ANC_LABEL = "http://terminology.kemkes.go.id/CodeSystem/episodeofcare/ANC"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
REQUEST_PRIORITY = "http://hl7.org/fhir/request-priority"

JEJARING = "https://jejaring.id/fhir"
SERVICE_POINT = f"{JEJARING}/CodeSystem/service-point"
SKDR = f"{JEJARING}/CodeSystem/skdr-syndrome"
JEJARING_OBS = f"{JEJARING}/CodeSystem/observation"
SHK = f"{JEJARING}/CodeSystem/shk"
KPSP = f"{JEJARING}/CodeSystem/kpsp"
SKILAS = f"{JEJARING}/CodeSystem/skilas-domain"
DELIVERY_PLACE = f"{JEJARING}/CodeSystem/delivery-place"
DELIVERY_ATTENDANT = f"{JEJARING}/CodeSystem/delivery-attendant"
IVA = f"{JEJARING}/CodeSystem/iva"
PRE_PREGNANCY = f"{JEJARING}/CodeSystem/pre-pregnancy-status"
DANGER_SIGN = f"{JEJARING}/CodeSystem/danger-sign"
OBSTETRIC_HISTORY = f"{JEJARING}/CodeSystem/obstetric-history"
RISK_CODE = f"{JEJARING}/CodeSystem/risk"
REFERRAL_ID = f"{JEJARING}/sid/referral"
QUESTIONNAIRE = f"{JEJARING}/Questionnaire/"
EXT_REFERRAL_STATUS = f"{JEJARING}/StructureDefinition/referral-status"
EXT_REFERRAL_OVERDUE = f"{JEJARING}/StructureDefinition/referral-overdue"
EXT_RUJUK_BALIK = f"{JEJARING}/StructureDefinition/rujuk-balik"
EXT_RISK = f"{JEJARING}/StructureDefinition/risk"


@dataclass(frozen=True)
class Coding:
    """One FHIR Coding."""

    system: str
    code: str
    display: str = ""

    def as_dict(self) -> dict[str, str]:
        body = {"system": self.system, "code": self.code}
        if self.display:
            body["display"] = self.display
        return body


@dataclass(frozen=True)
class Variant:
    """Another code for a field: accepted inbound (where it ``implies`` a qualifier's value) and, when
    ``outbound``, sent instead of the row's code while that qualifier holds."""

    coding: Coding
    implies: tuple[tuple[str, ...], Any] | None = None
    outbound: bool = False


@dataclass(frozen=True)
class Field:
    """One intake field and where it lives in FHIR.

    Observation rows: ``coding`` is ``Observation.code``; ``value`` one of ``decimal``, ``integer``
    (``valueQuantity`` in ``unit`` when a unit is given, else ``valueInteger``), ``boolean``
    (``valueBoolean``), ``string`` (``valueString``) or ``coded`` (``valueCodeableConcept`` from
    ``answers``; several answers may carry one value, the first is sent).
    QuestionnaireResponse rows: ``coding.system`` is the Questionnaire's canonical URL and
    ``coding.code`` the item's ``linkId``; ``codes`` is a list of ``valueCoding`` answers (an item
    without answers is an empty list). Other rows document ``element`` only.
    """

    path: tuple[str, ...]
    resource: str
    coding: Coding | None
    value: str
    unit: str | None = None
    units: tuple[tuple[str, float], ...] = ()
    category: str | None = None
    also: tuple[Coding, ...] = ()
    variants: tuple[Variant, ...] = ()
    answers: tuple[tuple[Any, Coding], ...] = ()
    element: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        return ".".join(self.path)

    def accepted_units(self) -> dict[str, float]:
        """UCUM code -> factor to this row's unit."""
        return {self.unit: 1.0, **dict(self.units)} if self.unit else {}


def _loinc(code: str, display: str) -> Coding:
    return Coding(LOINC, code, display)


def _sct(code: str, display: str) -> Coding:
    return Coding(SNOMED, code, display)


def _q(name: str, link_id: str, text: str) -> Coding:
    return Coding(QUESTIONNAIRE + name, link_id, text)


REACTIVE = (("reactive", _sct("11214006", "Reactive")), ("non_reactive", _sct("131194007", "Non-reactive")))
M, P, MS = ("measurements",), ("pregnancy",), ("person",)
PP, SK = (*M, "pre_pregnancy"), (*M, "skilas")
SEIZURE, FEVER, HEADACHE = (_sct("91175000", "Seizure"), _sct("386661006", "Fever"), _sct("25064002", "Headache"))


def _sign(code: str, display: str) -> Coding:
    return Coding(DANGER_SIGN, code, display)

FIELDS: tuple[Field, ...] = (
    # -- visit and person: structural (inbound/outbound implement these) --------------------------
    Field(("visit_id",), "Encounter", None, "uuid", element="Encounter.identifier (or Encounter.id)",
          note="UUIDv5 of the facility and the Encounter's identifier (system and value) or id; "
               "a resent Bundle is a duplicate"),
    Field(("facility_id",), "Encounter", None, "id", element="Encounter.serviceProvider",
          note="Organization/<facility_id> or Organization/<satusehat_org_id>"),
    Field(("occurred_at",), "Encounter", None, "dateTime", element="Encounter.period.start",
          note="with its UTC offset"),
    Field(("service_point",), "Encounter", Coding(SERVICE_POINT, "<service_point>"), "code",
          element="Encounter.type (Jejaring coding), else Encounter.class",
          note="class HH: home_visit, FLD: posyandu, AMB: the facility's type; sent as class and type"),
    Field((*MS, "nik"), "Patient", Coding(NIK, "<NIK>"), "identifier", element="Patient.identifier"),
    Field((*MS, "mother_nik"), "Patient", Coding(NIK_IBU, "<NIK>"), "identifier", element="Patient.identifier",
          note="a child without NIK"),
    Field((*MS, "name"), "Patient", None, "string", element="Patient.name.text (else given + family)"),
    Field((*MS, "sex"), "Patient", None, "code", element="Patient.gender", note="male: M, female: F"),
    Field((*MS, "birth_date"), "Patient", None, "date", element="Patient.birthDate"),
    Field((*MS, "village_code"), "Patient", Coding(ADMINISTRATIVE_CODE, "village"), "code",
          element="Patient.address.extension(administrativeCode).extension(village).valueCode",
          note="10 digits, e.g. 1801062001 <-> 18.01.06.2001"),
    # -- measurements -----------------------------------------------------------------------------
    Field((*M, "weight_kg"), "Observation", _loinc("29463-7", "Body weight"), "decimal", "kg",
          units=(("g", 0.001),), category="vital-signs"),
    Field((*M, "height_cm"), "Observation", _loinc("8302-2", "Body height"), "decimal", "cm",
          units=(("m", 100.0), ("mm", 0.1)), category="vital-signs",
          variants=(Variant(_loinc("8306-3", "Body height --lying"), ((*M, "measured_lying"), True)),
                    Variant(_loinc("8308-9", "Body height --standing"), ((*M, "measured_lying"), False)))),
    Field((*M, "measured_lying"), "Observation", _loinc("8361-8", "Body position with respect to gravity"),
          "coded", category="exam",
          answers=((True, _sct("102538003", "Recumbent body position")),
                   (False, _sct("10904000", "Orthostatic body position"))),
          note="how height_cm was measured (recumbent length or standing height)"),
    Field((*M, "muac_cm"), "Observation", _loinc("56072-2", "Circumference Mid upper arm"), "decimal", "cm",
          units=(("mm", 0.1),), category="exam", also=(Coding(KEMKES_ANC, "ANC.SS.DE3", "Lingkar Lengan Atas (LILA)"),),
          note="SATUSEHAT's LiLA code is sent too"),
    Field((*M, "head_circumference_cm"), "Observation", _loinc("9843-4", "Head Occipital-frontal circumference"),
          "decimal", "cm", units=(("mm", 0.1),), category="vital-signs"),
    Field((*M, "hb_g_dl"), "Observation", _loinc("718-7", "Hemoglobin [Mass/volume] in Blood"), "decimal", "g/dL",
          units=(("g/L", 0.1),), category="laboratory"),
    Field((*M, "systolic_mmhg"), "Observation", _loinc("8480-6", "Systolic blood pressure"), "integer", "mm[Hg]",
          category="vital-signs"),
    Field((*M, "diastolic_mmhg"), "Observation", _loinc("8462-4", "Diastolic blood pressure"), "integer", "mm[Hg]",
          category="vital-signs"),
    Field((*M, "glucose_mg_dl"), "Observation", _loinc("2339-0", "Glucose [Mass/volume] in Blood"), "decimal",
          "mg/dL", units=(("mmol/L", 18.016),), category="laboratory",
          variants=(Variant(_loinc("1558-6", "Fasting glucose [Mass/volume] in Serum or Plasma"),
                            ((*M, "glucose_fasting"), True), outbound=True),),
          note="fasting: sent as 1558-6"),
    Field((*M, "glucose_fasting"), "Observation", _loinc("49541-6", "Fasting status - Reported"), "boolean",
          category="laboratory"),
    Field((*M, "waist_cm"), "Observation", _loinc("8280-0", "Waist Circumference at umbilicus by Tape measure"),
          "decimal", "cm", category="exam"),
    Field((*M, "oedema"), "Observation", _sct("267038008", "Edema"), "boolean", category="exam",
          note="bilateral pitting oedema present (true) or absent (false)"),
    Field((*M, "cough_weeks"), "QuestionnaireResponse", _q("tb-screening", "cough-weeks", "Cough for how many weeks"),
          "decimal", note="TB symptom screening (no published SATUSEHAT Questionnaire)"),
    Field((*M, "tb_symptoms"), "QuestionnaireResponse", _q("tb-screening", "symptoms", "Other TB symptoms present"),
          "codes", answers=(("weight_loss", _sct("89362005", "Weight loss")),
                            ("appetite_loss", _sct("79890006", "Loss of appetite")),
                            ("fever", _sct("386661006", "Fever")),
                            ("malaise", _sct("367391008", "Malaise")),
                            ("night_sweats", _sct("42984000", "Night sweats")),
                            ("dyspnoea", _sct("267036007", "Dyspnea")),
                            ("lymph_node", _sct("30746006", "Lymphadenopathy")),
                            ("haemoptysis", _sct("66857006", "Hemoptysis")))),
    Field((*M, "puma_score"), "QuestionnaireResponse", _q("puma", "score", "PUMA total score (0-9)"), "integer"),
    Field((*M, "srq20_score"), "QuestionnaireResponse", _q("srq20", "score", "SRQ-20 total score (0-20)"), "integer"),
    Field((*M, "srq20_item17"), "QuestionnaireResponse", _q("srq20", "item-17", "SRQ-20 item 17 (thoughts of ending life)"),
          "boolean"),
    Field((*M, "adl_barthel"), "QuestionnaireResponse", _q("barthel-adl", "score", "Barthel ADL index (0-20)"),
          "integer"),
    Field((*M, "skilas_positive_domains"), "QuestionnaireResponse",
          _q("skilas", "positive-domains", "SKILAS domains screened positive"), "codes",
          answers=tuple((d, Coding(SKILAS, d, d)) for d in
                        ("cognition", "mobility", "malnutrition", "vision", "hearing", "depression"))),
    Field((*M, "tb_test", "result"), "Observation", Coding(JEJARING_OBS, "tb-test", "TB examination result"), "coded",
          category="laboratory",
          variants=(Variant(_loinc("88874-3", "Mycobacterium tuberculosis complex DNA [Presence] in Isolate or Specimen "
                                              "by Molecular genetics method"),
                            ((*M, "tb_test", "method"), "tcm"), outbound=True),
                    Variant(_loinc("11545-1", "Microscopic observation [Identifier] in Specimen by Acid fast stain"),
                            ((*M, "tb_test", "method"), "microscopy"), outbound=True),
                    Variant(Coding(JEJARING_OBS, "tb-chest-xray", "Chest X-ray read for TB"),
                            ((*M, "tb_test", "method"), "xray"), outbound=True)),
          answers=(("positive", _sct("10828004", "Positive")), ("negative", _sct("260385009", "Negative"))),
          note="TCM (Xpert MTB/RIF) as SATUSEHAT's 88874-3, sputum smear (BTA) as 11545-1; the chest X-ray "
               "has no published result code (category laboratory, not imaging: not an ANC ultrasound)"),
    Field((*M, "tb_test", "method"), "Observation", None, "code",
          element="Observation.code of the tb_test.result Observation (88874-3: tcm, 11545-1: microscopy, "
                  "Jejaring tb-chest-xray: xray)"),
    Field((*M, "delivery", "place"), "Observation", Coding(JEJARING_OBS, "delivery-place", "Place of delivery"),
          "coded", category="survey",
          answers=tuple((p, Coding(DELIVERY_PLACE, p, d)) for p, d in (
              ("hospital", "Rumah sakit"), ("puskesmas", "Puskesmas"), ("pustu", "Puskesmas pembantu"),
              ("clinic", "Klinik"), ("midwife_practice", "Praktik mandiri bidan"), ("home", "Rumah"),
              ("other", "Lainnya"))),
          note="reported at the mother's postpartum visit; no published SATUSEHAT code for the place of delivery"),
    Field((*M, "delivery", "attendant"), "Observation",
          Coding(JEJARING_OBS, "delivery-attendant", "Delivery attendant"), "coded", category="survey",
          answers=(("doctor", _sct("158965000", "Medical practitioner")),
                   ("midwife", _sct("309453006", "Registered midwife")),
                   ("nurse", _sct("224535009", "Registered nurse")),
                   ("traditional", Coding(DELIVERY_ATTENDANT, "traditional", "Dukun bayi")),
                   ("family", Coding(DELIVERY_ATTENDANT, "family", "Keluarga")),
                   ("none", Coding(DELIVERY_ATTENDANT, "none", "Tanpa penolong"))),
          note="health workers as the ANC participant's SNOMED occupations; the others in a Jejaring system"),
    Field((*M, "glucose_ogtt_2h_mg_dl"), "Observation",
          _loinc("1518-0", "Glucose [Mass/volume] in Serum or Plasma --2 hours post 75 g glucose PO"), "decimal",
          "mg/dL", units=(("mmol/L", 18.016),), category="laboratory",
          variants=(Variant(_loinc("14995-5", "Glucose [Moles/volume] in Serum or Plasma --2 hours post 75 g glucose "
                                              "PO")),),
          note="2-hour glucose of a 75 g oral glucose tolerance test"),
    Field((*M, "cholesterol_total_mg_dl"), "Observation", _loinc("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"),
          "decimal", "mg/dL", units=(("mmol/L", 38.67),), category="laboratory",
          variants=(Variant(_loinc("14647-2", "Cholesterol [Moles/volume] in Serum or Plasma")),)),
    Field((*M, "cvd_risk_percent"), "Observation",
          Coding(JEJARING_OBS, "cvd-risk-10y", "10-year cardiovascular risk (juknis chart)"), "decimal", "%",
          category="survey", note="read from the juknis risk chart (WHO/ISH); no published code for that chart's risk"),
    Field((*M, "fever_weeks"), "QuestionnaireResponse", _q("tb-screening", "fever-weeks", "Fever for how many weeks"),
          "decimal"),
    Field((*M, "tb_contact"), "QuestionnaireResponse",
          _q("tb-screening", "contact", "Close or household contact of a TB case"), "boolean"),
    Field((*M, "smoker"), "Observation", _loinc("72166-2", "Tobacco smoking status"), "coded", category="social-history",
          answers=((True, _sct("77176002", "Smoker")), (False, _sct("8392000", "Non-smoker")),
                   (True, _sct("449868002", "Smokes tobacco daily")),
                   (True, _sct("428041000124106", "Occasional tobacco smoker")),
                   (False, _sct("8517006", "Ex-smoker")), (False, _sct("266919005", "Never smoked tobacco"))),
          note="current smoker: sent as Smoker or Non-smoker; the other smoking-status codes are read too"),
    Field((*M, "cigarettes_per_day"), "Observation", _loinc("64218-1", "How many cigarettes do you smoke per day now"),
          "integer", category="social-history"),
    Field((*M, "elevation_m"), "Observation", Coding(JEJARING_OBS, "residence-elevation", "Elevation of residence"),
          "integer", "m", units=(("km", 1000.0),), category="social-history",
          note="for the Hb altitude adjustment; no published code"),
    Field((*M, "school_grade"), "Observation", Coding(JEJARING_OBS, "school-grade", "School grade (kelas)"), "integer",
          category="social-history", note="grade 1-12; no published code"),
    Field((*M, "ttd_tablets"), "Observation",
          Coding(JEJARING_OBS, "ttd-tablets", "Iron-folic acid tablets given (tablet tambah darah)"), "integer",
          category="survey", note="tablets given at this visit; no published code"),
    Field((*M, "vitamin_a_given"), "Observation", Coding(JEJARING_OBS, "vitamin-a-given", "Vitamin A given"), "boolean",
          category="survey", note="false: due but not given; no published code"),
    Field((*M, "deworming_given"), "Observation", Coding(JEJARING_OBS, "deworming-given", "Deworming medicine given"),
          "boolean", category="survey", note="no published code"),
    Field((*M, "sdq_score"), "QuestionnaireResponse",
          _q("sdq", "total-difficulties", "SDQ total difficulties score (0-40)"), "integer"),
    Field((*M, "visual_acuity"), "Observation", _sct("251739003", "Distance visual acuity"), "string", category="exam",
          note="presenting acuity of the better eye as a Snellen fraction, e.g. 6/18"),
    Field((*M, "finger_count_passed"), "Observation",
          Coding(JEJARING_OBS, "finger-count-test", "Finger count test at 6 m passed"), "boolean", category="exam",
          note="no published code"),
    Field((*M, "colour_vision_passed"), "Observation",
          Coding(JEJARING_OBS, "colour-vision-test", "Colour vision plates passed"), "boolean", category="exam",
          note="no published code"),
    Field((*M, "whisper_test_passed"), "Observation",
          Coding(JEJARING_OBS, "whisper-test", "Whisper test passed"), "boolean", category="exam",
          note="80 % of words or more repeated; no published code"),
    Field((*M, "iva_result"), "Observation",
          Coding(JEJARING_OBS, "iva", "Cervical visual inspection with acetic acid (IVA)"), "coded", category="exam",
          answers=(("negative", Coding(IVA, "negative", "IVA negative")),
                   ("positive", Coding(IVA, "positive", "IVA positive")),
                   ("suspect_cancer", Coding(IVA, "suspect_cancer", "Suspected cervical cancer"))),
          note="no published code for the IVA (VIA) result"),
    Field((*M, "sadanis_result"), "Observation",
          Coding(JEJARING_OBS, "sadanis", "Clinical breast examination (SADANIS)"), "coded", category="exam",
          answers=(("normal", _sct("17621005", "Normal")), ("abnormal", _sct("263654008", "Abnormal"))),
          note="no published code for the examination; SNOMED CT answers"),
    Field((*M, "td_status"), "Observation", Coding(JEJARING_OBS, "td-status", "Tetanus immunisation status (T0-T5)"),
          "integer", category="survey", note="the national T status; no published code"),
    Field((*PP, "status"), "QuestionnaireResponse", _q("pre-pregnancy", "status", "Catin or PUS"), "coded",
          answers=(("catin", Coding(PRE_PREGNANCY, "catin", "Calon pengantin (catin)")),
                   ("pus", Coding(PRE_PREGNANCY, "pus", "Pasangan usia subur (PUS)"))),
          note="required in a pre_pregnancy block; no published code"),
    Field((*PP, "living_children"), "QuestionnaireResponse", _q("pre-pregnancy", "living-children", "Living children"),
          "integer"),
    Field((*PP, "months_since_last_birth"), "QuestionnaireResponse",
          _q("pre-pregnancy", "months-since-last-birth", "Months since the last birth"), "integer"),
    Field((*PP, "previous_complication"), "QuestionnaireResponse",
          _q("pre-pregnancy", "previous-complication", "A past pregnancy with complications"), "boolean"),
    Field((*PP, "chronic_disease"), "QuestionnaireResponse",
          _q("pre-pregnancy", "chronic-disease", "Uncontrolled or chronic disease"), "boolean"),
    Field((*PP, "sti"), "QuestionnaireResponse",
          _q("pre-pregnancy", "sti", "A sexually transmitted infection"), "boolean"),
    Field((*M, "postpartum_days"), "Observation", Coding(JEJARING_OBS, "postpartum-days", "Days since delivery"),
          "integer", "d", units=(("wk", 7.0),), category="survey", note="nifas, 0-42 days; no published code"),
    Field((*M, "postpartum_visit"), "Observation", Coding(JEJARING_OBS, "postpartum-visit", "Postpartum visit (KF)"),
          "integer", category="survey", note="KF1-KF4; no published code"),
    Field((*M, "postpartum_danger_signs"), "QuestionnaireResponse",
          _q("postpartum-danger-signs", "signs", "Postpartum danger signs present"), "codes",
          answers=(("bleeding", _sct("47821001", "Postpartum hemorrhage")), ("seizures", SEIZURE), ("fever", FEVER),
                   ("foul_discharge", _sign("foul_discharge", "Foul-smelling vaginal discharge")),
                   ("severe_headache", HEADACHE), ("breathlessness", _sct("267036007", "Dyspnea")),
                   ("breast_swelling", _sign("breast_swelling", "Swollen, red or painful breast")),
                   ("sadness", _sct("366979004", "Depressed mood"))),
          note="Buku KIA danger signs; foul_discharge and breast_swelling: Jejaring codes (no SNOMED CT code "
               "confirmed)"),
    Field((*SK, "recall_words"), "QuestionnaireResponse", _q("skilas", "recall-words", "Words recalled of three (0-3)"),
          "integer"),
    Field((*SK, "orientation_correct"), "QuestionnaireResponse",
          _q("skilas", "orientation-correct", "Date and place answered correctly"), "boolean"),
    Field((*SK, "chair_rise_seconds"), "QuestionnaireResponse",
          _q("skilas", "chair-rise-seconds", "Seconds for 5 chair rises"), "decimal"),
    Field((*SK, "chair_rise_unable"), "QuestionnaireResponse",
          _q("skilas", "chair-rise-unable", "Unable to do 5 chair rises"), "boolean"),
    Field((*SK, "weight_loss_3kg"), "QuestionnaireResponse",
          _q("skilas", "weight-loss-3kg", "Lost more than 3 kg in 3 months, or looser clothes"), "boolean"),
    Field((*SK, "appetite_loss"), "QuestionnaireResponse",
          _q("skilas", "appetite-loss", "Appetite loss or feeding difficulty"), "boolean"),
    Field((*SK, "eye_problem"), "QuestionnaireResponse",
          _q("skilas", "eye-problem", "Difficulty seeing, eye disease or treatment"), "boolean"),
    Field((*SK, "sad_or_hopeless"), "QuestionnaireResponse",
          _q("skilas", "sad-or-hopeless", "Past 2 weeks: sad, depressed or hopeless"), "boolean"),
    Field((*SK, "anhedonia"), "QuestionnaireResponse",
          _q("skilas", "anhedonia", "Past 2 weeks: little interest or pleasure"), "boolean"),
    Field((*M, "amt_score"), "QuestionnaireResponse", _q("amt", "score", "Abbreviated Mental Test score (0-10)"),
          "integer"),
    Field((*M, "mini_cog_score"), "QuestionnaireResponse", _q("mini-cog", "score", "Mini-Cog score (0-5)"), "integer"),
    Field((*M, "gds4_score"), "QuestionnaireResponse", _q("gds-4", "score", "Geriatric Depression Scale, 4 items (0-4)"),
          "integer"),
    Field((*M, "mna_sf_score"), "QuestionnaireResponse",
          _q("mna-sf", "score", "Mini Nutritional Assessment short form screening score (0-14)"), "integer"),
    # -- pregnancy --------------------------------------------------------------------------------
    Field((*P, "gestational_weeks"), "Observation", _loinc("18185-9", "Gestational age"), "integer", "wk",
          units=(("d", 1 / 7),), category="exam",
          variants=(Variant(_loinc("49051-6", "Gestational age in weeks")),
                    Variant(_loinc("11884-4", "Gestational age Estimated")),
                    Variant(_loinc("11885-1", "Gestational age Estimated from last menstrual period")),
                    Variant(_loinc("11888-5", "Gestational age US composite estimate"))),
          note="its presence makes the pregnancy block; with an ultrasound sent as 11888-5 (imaging)"),
    Field((*P, "gravida"), "Observation", _loinc("11996-6", "[#] Pregnancies"), "integer", category="survey",
          also=(Coding(WHO_ANC, "ANC.B6.DE24", "Number of pregnancies (gravida)"),)),
    Field((*P, "living_children"), "Observation", _loinc("11638-4", "[#] Births.still living"), "integer",
          category="survey"),
    Field((*P, "months_since_last_birth"), "Observation", Coding(CLINICAL_TERM, "OC000001", "Jarak kehamilan"),
          "integer", "mo", units=(("a", 12.0),), category="survey",
          also=(Coding(KEMKES_ANC, "ANC.SS.DE53", "Jarak kehamilan"),), note="SATUSEHAT's own code"),
    Field((*P, "anc_visit_number"), "Encounter", Coding(ANC_LABEL, "K<n>"), "identifier",
          element="Encounter.identifier (SATUSEHAT ANC visit label K1A, K1M, K2 ... K6)"),
    Field((*P, "proteinuria"), "Observation", _loinc("5804-0", "Protein [Mass/volume] in Urine by Test strip"),
          "coded", category="laboratory",
          answers=((0, _loinc("LA6577-6", "Negative")), (1, _loinc("LA11841-6", "1+")), (2, _loinc("LA11842-4", "2+")),
                   (3, _loinc("LA11843-2", "3+")), (4, _loinc("LA11844-0", "4+")))),
    Field((*P, "anc", "by"), "Encounter", None, "code", element="Encounter.participant.type (SNOMED occupation)",
          answers=(("midwife", _sct("309453006", "Registered midwife")),
                   ("doctor", _sct("158965000", "Medical practitioner")),
                   ("nurse", _sct("224535009", "Registered nurse"))),
          note="anc present: the Encounter's episodeOfCare is an EpisodeOfCare of type ANC"),
    Field((*P, "anc", "ultrasound"), "Observation", Coding(OBSERVATION_CATEGORY, "imaging"), "boolean",
          element="any Observation of the Encounter in category imaging (SATUSEHAT's USG findings)"),
    Field((*P, "labs", "hiv"), "Observation", _loinc("7918-6", "HIV 1+2 Ab [Presence] in Serum or Plasma"), "coded",
          category="laboratory", answers=REACTIVE),
    Field((*P, "labs", "syphilis"), "Observation", _loinc("50690-7", "Syphilis test (VDRL) [Presence] in Serum"),
          "coded", category="laboratory", answers=REACTIVE),
    Field((*P, "labs", "hbsag"), "Observation",
          _loinc("75410-1", "Hepatitis B virus surface Ag [Presence] in Serum, Plasma or Blood by Rapid immunoassay"),
          "coded", category="laboratory", answers=REACTIVE),
    Field((*P, "parity"), "Observation", _loinc("11977-6", "[#] Parity"), "integer", category="survey",
          note="previous births, live or still"),
    Field((*P, "obstetric_history"), "QuestionnaireResponse",
          _q("obstetric-history", "history", "Past pregnancies: complications"), "codes",
          answers=(("previous_caesarean", _sct("161805006", "History of cesarean section")),
                   ("stillbirth", _sct("161743003", "History of stillbirth")),
                   ("recurrent_miscarriage", _sct("102878001", "Recurrent abortion")),
                   ("preterm_birth", _sct("441493008", "History of premature labor")),
                   ("postpartum_haemorrhage", _sct("161809000", "History of postpartum hemorrhage")),
                   ("pre_eclampsia", _sct("398254007", "Pre-eclampsia")),
                   ("low_birth_weight_baby", Coding(OBSTETRIC_HISTORY, "low_birth_weight_baby",
                                                    "A baby born with low birth weight")),
                   ("obstructed_labour", Coding(OBSTETRIC_HISTORY, "obstructed_labour", "Obstructed labour"))),
          note="low_birth_weight_baby and obstructed_labour: Jejaring codes (no SNOMED CT code confirmed)"),
    Field((*P, "danger_signs"), "QuestionnaireResponse",
          _q("pregnancy-danger-signs", "signs", "Pregnancy danger signs present"), "codes",
          answers=(("bleeding", _sct("289530006", "Vaginal bleeding")), ("seizures", SEIZURE), ("fever", FEVER),
                   ("reduced_fetal_movement", _sct("276369006", "Reduced fetal movement")),
                   ("ruptured_membranes", _sct("44223004", "Premature rupture of membranes")),
                   ("persistent_vomiting", _sct("422400008", "Vomiting")), ("severe_headache", HEADACHE),
                   ("blurred_vision", _sct("111516008", "Blurring of visual image")),
                   ("swelling", _sct("267038008", "Edema"))),
          note="Buku KIA danger signs; persistent vomiting and severe headache are sent as Vomiting and Headache"),
    # -- newborn, development, immunisation, diagnoses --------------------------------------------
    Field(("newborn", "birth_weight_g"), "Observation", _loinc("8339-4", "Birth weight Measured"), "integer", "g",
          units=(("kg", 1000.0),), category="vital-signs"),
    Field(("newborn", "neonatal_visit"), "Observation", Coding(JEJARING_OBS, "neonatal-visit", "Neonatal visit (KN)"),
          "integer", category="survey", note="KN1-KN3; no published code"),
    Field(("newborn", "shk"), "Observation", Coding(JEJARING_OBS, "shk", "Congenital hypothyroidism screening (SHK)"),
          "coded", category="laboratory",
          answers=(("normal", Coding(SHK, "normal", "Normal")), ("high_tsh", Coding(SHK, "high_tsh", "High TSH")),
                   ("not_done", Coding(SHK, "not_done", "Not done")))),
    Field(("development", "kpsp"), "QuestionnaireResponse", _q("kpsp", "result", "KPSP result"), "coded",
          answers=(("appropriate", Coding(KPSP, "appropriate", "Sesuai")),
                   ("doubtful", Coding(KPSP, "doubtful", "Meragukan")),
                   ("deviant", Coding(KPSP, "deviant", "Penyimpangan")))),
    Field(("immunizations",), "Immunization", Coding(CVX, "<see antigens>"), "codes",
          element="Immunization.vaccineCode + protocolApplied.doseNumberPositiveInt",
          note="status completed; one Immunization per antigen"),
    Field(("diagnoses",), "Condition", Coding(ICD10, "<ICD-10>"), "codes", element="Condition.code"),
    Field(("syndromes",), "Condition", Coding(SKDR, "<syndrome>"), "codes", element="Condition.code",
          note="SKDR early-warning syndromes; no published code system"),
)
BY_PATH: dict[tuple[str, ...], Field] = {f.path: f for f in FIELDS}

# Encounter.class codes and the service point they mean (AMB: the facility's own type).
CLASS_OF_SERVICE_POINT = {"posyandu": "FLD", "home_visit": "HH", "pustu": "AMB", "puskesmas": "AMB", "rs": "AMB"}
PREGNANCY_STATUS = _loinc("82810-3", "Pregnancy status")
PREGNANT = _sct("77386006", "Pregnant")
NOT_PREGNANT = _sct("60001007", "Not pregnant")
ANC_EPISODE = Coding(EPISODE_TYPE, "ANC", "Antenatal Care")
ATTENDER = Coding(PARTICIPATION, "ATND", "attender")
REFERRAL = _sct("3457005", "Patient referral")


@dataclass(frozen=True)
class AntigenCode:
    """One antigen of the national schedule as an Immunization: CVX code, dose number, KFA group."""

    antigen: str
    cvx: Coding
    dose: int | None
    kfa: Coding | None = None
    also_cvx: tuple[str, ...] = ()


def _antigens() -> tuple[AntigenCode, ...]:
    hepb, polio = Coding(KFA, "VG45", "HepB"), Coding(KFA, "VG89", "POLIO")
    rows = [AntigenCode("hb0", Coding(CVX, "08", "Hep B, adolescent or pediatric"), None, hepb),
            AntigenCode("bcg", Coding(CVX, "19", "BCG"), None, Coding(KFA, "VG19", "BCG")),
            AntigenCode("je", Coding(CVX, "129", "Japanese Encephalitis, unspecified formulation"), None, None, ("134", "39")),
            AntigenCode("td", Coding(CVX, "139", "Td(adult) unspecified formulation"), None, Coding(KFA, "VG139", "Td"),
                        ("09", "113"))]
    numbered = (("opv", 4, Coding(CVX, "178", "OPV bivalent"), polio, ("02", "179", "182")),
                ("dpt_hb_hib", 4, Coding(CVX, "198", "DTP-hepB-Hib Pentavalent Non-US"), None, ()),
                ("ipv", 2, Coding(CVX, "10", "IPV"), polio, ()),
                ("pcv", 3, Coding(CVX, "152", "Pneumococcal Conjugate, unspecified formulation"),
                 Coding(KFA, "VG152", "PneumoPCV"), ("133", "215", "216")),
                ("rv", 3, Coding(CVX, "122", "rotavirus, unspecified formulation"), None, ("116", "119")),
                ("mr", 2, Coding(CVX, "04", "M/R"), Coding(KFA, "VG03", "MMR"), ("03",)))
    for stem, doses, cvx, kfa, also in numbered:
        rows += [AntigenCode(f"{stem}{n}", cvx, n, kfa, also) for n in range(1, doses + 1)]
    return tuple(rows)


ANTIGENS: tuple[AntigenCode, ...] = _antigens()
ANTIGEN_BY_CODE = {a.antigen: a for a in ANTIGENS}


def antigen_for(cvx_code: str, dose: int | None) -> str | None:
    """The intake antigen code of a CVX code and dose number (None: not in the schedule)."""
    for a in ANTIGENS:
        if cvx_code == a.cvx.code or cvx_code in a.also_cvx:
            if a.dose is None or a.dose == dose:
                return a.antigen
    return None


def village_to_fhir(code: str) -> str:
    """``18.01.06.2001`` -> ``1801062001`` (SATUSEHAT's administrativeCode village)."""
    return code.replace(".", "")


def village_from_fhir(code: str) -> str | None:
    """``1801062001`` -> ``18.01.06.2001``; None unless exactly 10 ASCII digits."""
    if len(code) != 10 or not code.isascii() or not code.isdigit():
        return None
    return f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"


# ServiceRequest.status of each referral state, and priority of each urgency.
REFERRAL_STATUS = {"made": "active", "received": "active", "attended": "active", "completed": "completed",
                   "cancelled": "revoked"}
PRIORITY = {"low": "routine", "moderate": "urgent", "high": "asap", "emergency": "stat"}
LOCATION_OF_LEVEL = {"rs": Coding(ROLE_CODE, "HOSP", "Hospital"), "puskesmas": Coding(ROLE_CODE, "PC", "primary care clinic"),
                     "pustu": Coding(ROLE_CODE, "PC", "primary care clinic"),
                     "posyandu": Coding(ROLE_CODE, "COMM", "community location")}
RISK_OF_SEVERITY = {"low": "low", "moderate": "moderate", "high": "high", "emergency": "high"}
