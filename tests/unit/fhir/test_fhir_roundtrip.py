"""JSON visit -> FHIR Bundle -> visit: equal apart from the visit id, for every intake field."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from shared.contracts.intake import IntakeVisit
from shared.fhir import codes, inbound, outbound
from tests.unit.fhir.fhir_visits import visits

FACILITY = "PSY1801062001A"
SATUSEHAT_ORG = "10000004"
FULL = {
    "visit_id": "0b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11", "facility_id": FACILITY,
    "occurred_at": "2026-11-20T09:15:00+07:00", "service_point": "posyandu",
    "person": {"nik": "1801064508920003", "mother_nik": "1801064508700001", "name": "Siti Aminah", "sex": "F",
               "birth_date": "1992-08-05", "village_code": "18.01.06.2001"},
    "pregnancy": {"gestational_weeks": 14, "anc": {"by": "midwife", "ultrasound": True},
                  "labs": {"hiv": "non_reactive", "syphilis": "reactive", "hbsag": "non_reactive"},
                  "gravida": 2, "living_children": 1, "months_since_last_birth": 30, "anc_visit_number": 2,
                  "proteinuria": 1, "parity": 1, "obstetric_history": ["previous_caesarean", "obstructed_labour"],
                  "danger_signs": ["bleeding", "swelling"]},
    "measurements": {"weight_kg": 52.0, "height_cm": 155.0, "measured_lying": False, "muac_cm": 22.5,
                     "head_circumference_cm": 54.0, "hb_g_dl": 10.2, "systolic_mmhg": 150, "diastolic_mmhg": 95,
                     "glucose_mg_dl": 210, "glucose_fasting": True, "waist_cm": 92, "cough_weeks": 3,
                     "tb_symptoms": ["fever", "night_sweats"], "oedema": False, "puma_score": 4, "srq20_score": 7,
                     "srq20_item17": False, "adl_barthel": 18, "skilas_positive_domains": [],
                     "glucose_ogtt_2h_mg_dl": 162.5, "cholesterol_total_mg_dl": 215, "cvd_risk_percent": 12.5,
                     "fever_weeks": 2, "tb_contact": True, "smoker": True, "cigarettes_per_day": 12,
                     "elevation_m": 1250, "school_grade": 7, "ttd_tablets": 30, "vitamin_a_given": False,
                     "deworming_given": True, "sdq_score": 14, "visual_acuity": "6/18", "finger_count_passed": True,
                     "colour_vision_passed": False, "whisper_test_passed": True, "iva_result": "suspect_cancer",
                     "sadanis_result": "abnormal", "td_status": 3,
                     "pre_pregnancy": {"status": "pus", "living_children": 2, "months_since_last_birth": 18,
                                       "previous_complication": True, "chronic_disease": False, "sti": False},
                     "postpartum_days": 5, "postpartum_visit": 2, "postpartum_danger_signs": ["fever", "sadness"],
                     "skilas": {"recall_words": 2, "orientation_correct": True, "chair_rise_seconds": 14.2,
                                "chair_rise_unable": False, "weight_loss_3kg": True, "appetite_loss": False,
                                "eye_problem": True, "sad_or_hopeless": False, "anhedonia": True},
                     "amt_score": 7, "mini_cog_score": 3, "gds4_score": 2, "mna_sf_score": 11},
    "immunizations": ["td"], "development": {"kpsp": "appropriate"}, "diagnoses": ["O99.0"], "syndromes": ["ili"],
}


def resolve(org_id: str) -> str | None:
    return {FACILITY: FACILITY, SATUSEHAT_ORG: FACILITY}.get(org_id)


def canonical(visit: dict) -> dict:
    body = IntakeVisit.model_validate(visit).model_dump(mode="json")
    body.pop("visit_id")
    return body


def round_trip(visit: dict, **kw) -> dict:
    wire = json.dumps(outbound.visit_bundle(IntakeVisit.model_validate(visit).model_dump(mode="json"), **kw))
    mapping = inbound.map_bundle(wire.encode(), resolve_organization=resolve)
    assert mapping.problems == [] and len(mapping.visits) == 1
    mapped = mapping.visits[0]
    assert [i for i in mapped.issues if i.blocking] == [], [i.as_dict() for i in mapped.issues]
    return mapped.visit


def leaves(model: type, prefix: tuple = ()) -> set[tuple]:
    found = set()
    for name, info in model.model_fields.items():
        inner = [a for a in getattr(info.annotation, "__args__", (info.annotation,)) if hasattr(a, "model_fields")]
        found |= leaves(inner[0], (*prefix, name)) if inner else {(*prefix, name)}
    return found


def test_every_intake_field_has_a_row_in_the_mapping_table() -> None:
    assert leaves(IntakeVisit) == set(codes.BY_PATH)


def test_a_visit_with_every_field_comes_back_equal() -> None:
    assert leaves(IntakeVisit) <= {p for p in codes.BY_PATH} and canonical(round_trip(FULL)) == canonical(FULL)


def test_satusehat_organization_id_and_batch_map_to_the_same_visit() -> None:
    assert canonical(round_trip(FULL, org_id=SATUSEHAT_ORG, bundle_type="batch")) == canonical(FULL)


def test_visit_id_is_derived_from_facility_and_encounter_identifier() -> None:
    first, again = round_trip(FULL), round_trip(FULL, bundle_type="collection")
    assert first["visit_id"] == again["visit_id"] != FULL["visit_id"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(visits(facility_id=FACILITY))
def test_round_trip_of_generated_visits(visit: dict) -> None:
    assert canonical(round_trip(visit)) == canonical(visit)
