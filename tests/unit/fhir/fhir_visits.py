"""Hypothesis strategies for intake visits that exercise every field of the intake contract."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone
from typing import get_args

from hypothesis import strategies as st

from shared.contracts.intake import (
    SNELLEN_RE,
    Antigen,
    ObstetricHistory,
    PostpartumDangerSign,
    PregnancyDangerSign,
    SkilasDomain,
    Syndrome,
    TbSymptom,
)

OFFSETS = [timezone(timedelta(hours=h)) for h in (7, 8, 9, 0)]
DIGITS = "0123456789"


def _nik() -> st.SearchStrategy[str]:
    return st.text(DIGITS, min_size=16, max_size=16)


@functools.lru_cache(maxsize=1024)  # one strategy object per argument: built and validated once, not per draw
def _optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


@functools.lru_cache(maxsize=1024)
def _decimal(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def _pressure(draw: st.DrawFn) -> dict:
    systolic = draw(_optional(st.integers(51, 300)))
    diastolic = draw(_optional(st.integers(20, min(systolic - 1, 200) if systolic else 200)))
    return {"systolic_mmhg": systolic, "diastolic_mmhg": diastolic}


@functools.lru_cache(maxsize=1024)
def _signs(values: tuple) -> st.SearchStrategy[list]:
    return st.lists(st.sampled_from(values), unique=True)


def _present(body: dict) -> dict | None:
    return {k: v for k, v in body.items() if v is not None} or None


@st.composite
def _pre_pregnancy(draw: st.DrawFn) -> dict | None:
    body = {"status": draw(st.sampled_from(["catin", "pus"])),
            "living_children": draw(_optional(st.integers(0, 25))),
            "months_since_last_birth": draw(_optional(st.integers(0, 600)))}
    body |= {k: draw(_optional(st.booleans())) for k in ("previous_complication", "chronic_disease", "sti")}
    return _present(body)


@st.composite
def _skilas(draw: st.DrawFn) -> dict | None:
    body = {"recall_words": draw(_optional(st.integers(0, 3))),
            "chair_rise_seconds": draw(_optional(_decimal(0, 300)))}
    body |= {k: draw(_optional(st.booleans())) for k in (
        "orientation_correct", "chair_rise_unable", "weight_loss_3kg", "appetite_loss", "eye_problem",
        "sad_or_hopeless", "anhedonia")}
    return _present(body)


@st.composite
def _screening(draw: st.DrawFn) -> dict:
    """The screening inputs the project added to the measurements."""
    body = {
        "glucose_ogtt_2h_mg_dl": draw(_optional(_decimal(20, 1000))),
        "cholesterol_total_mg_dl": draw(_optional(_decimal(50, 1000))),
        "cvd_risk_percent": draw(_optional(_decimal(0, 100))), "fever_weeks": draw(_optional(_decimal(0, 104))),
        "cigarettes_per_day": draw(_optional(st.integers(0, 100))), "elevation_m": draw(_optional(st.integers(-100, 5000))),
        "school_grade": draw(_optional(st.integers(1, 12))), "ttd_tablets": draw(_optional(st.integers(0, 200))),
        "sdq_score": draw(_optional(st.integers(0, 40))),
        "visual_acuity": draw(_optional(st.from_regex(SNELLEN_RE.strip("^$"), fullmatch=True))),
        "iva_result": draw(_optional(st.sampled_from(["negative", "positive", "suspect_cancer"]))),
        "sadanis_result": draw(_optional(st.sampled_from(["normal", "abnormal"]))),
        "td_status": draw(_optional(st.integers(0, 5))), "pre_pregnancy": draw(_optional(_pre_pregnancy())),
        "postpartum_days": draw(_optional(st.integers(0, 42))), "postpartum_visit": draw(_optional(st.integers(1, 4))),
        "postpartum_danger_signs": draw(_optional(_signs(get_args(PostpartumDangerSign)))),
        "skilas": draw(_skilas()), "amt_score": draw(_optional(st.integers(0, 10))),
        "mini_cog_score": draw(_optional(st.integers(0, 5))), "gds4_score": draw(_optional(st.integers(0, 4))),
        "mna_sf_score": draw(_optional(st.integers(0, 14))),
    }
    body |= {k: draw(_optional(st.booleans())) for k in (
        "tb_contact", "smoker", "vitamin_a_given", "deworming_given", "finger_count_passed", "colour_vision_passed",
        "whisper_test_passed")}
    return body


@st.composite
def measurements(draw: st.DrawFn) -> dict:
    body = {
        "weight_kg": draw(_optional(_decimal(0.5, 250))), "height_cm": draw(_optional(_decimal(30, 230))),
        "measured_lying": draw(_optional(st.booleans())), "muac_cm": draw(_optional(_decimal(5, 60))),
        "head_circumference_cm": draw(_optional(_decimal(20, 70))), "hb_g_dl": draw(_optional(_decimal(2, 25))),
        **draw(_pressure()),
        "glucose_mg_dl": draw(_optional(_decimal(20, 1000))), "glucose_fasting": draw(_optional(st.booleans())),
        "waist_cm": draw(_optional(_decimal(30, 250))), "cough_weeks": draw(_optional(_decimal(0, 104))),
        "tb_symptoms": draw(_optional(st.lists(st.sampled_from(get_args(TbSymptom)), unique=True))),
        "oedema": draw(_optional(st.booleans())), "puma_score": draw(_optional(st.integers(0, 9))),
        "srq20_score": draw(_optional(st.integers(0, 20))), "srq20_item17": draw(_optional(st.booleans())),
        "adl_barthel": draw(_optional(st.integers(0, 20))),
        "skilas_positive_domains": draw(_optional(st.lists(st.sampled_from(get_args(SkilasDomain)), unique=True))),
        **draw(_screening()),
    }
    return {k: v for k, v in body.items() if v is not None}


@st.composite
def pregnancy(draw: st.DrawFn) -> dict:
    labs = {k: draw(_optional(st.sampled_from(["reactive", "non_reactive"]))) for k in ("hiv", "syphilis", "hbsag")}
    body = {
        "gestational_weeks": draw(st.integers(1, 45)),
        "anc": draw(_optional(st.fixed_dictionaries({"by": st.sampled_from(["midwife", "doctor", "nurse"]),
                                                      "ultrasound": st.booleans()}))),
        "labs": {k: v for k, v in labs.items() if v is not None} or None,
        "gravida": draw(_optional(st.integers(1, 25))), "living_children": draw(_optional(st.integers(0, 25))),
        "months_since_last_birth": draw(_optional(st.integers(0, 600))),
        "anc_visit_number": draw(_optional(st.integers(1, 30))), "proteinuria": draw(_optional(st.integers(0, 4))),
        "parity": draw(_optional(st.integers(0, 25))),
        "obstetric_history": draw(_optional(_signs(get_args(ObstetricHistory)))),
        "danger_signs": draw(_optional(_signs(get_args(PregnancyDangerSign)))),
    }
    return {k: v for k, v in body.items() if v is not None}


@st.composite
def visits(draw: st.DrawFn, *, facility_id: str = "PSY1801062001A") -> dict:
    """A valid intake visit dict; blocks and lists present are never empty (an empty block says nothing)."""
    tz = draw(st.sampled_from(OFFSETS))
    occurred = draw(st.datetimes(datetime(2001, 1, 1), datetime(2026, 11, 1))).replace(tzinfo=tz)
    newborn = draw(st.booleans())
    if newborn:
        born = occurred.date() - timedelta(days=draw(st.integers(0, 28)))
    else:
        born = draw(st.dates(max(date(1900, 1, 1), date(occurred.year - 125, 1, 1)), occurred.date()))
    sex = draw(st.sampled_from(["M", "F"]))
    has_nik = draw(st.booleans())
    person = {"nik": draw(_nik()) if has_nik else None,
              "mother_nik": draw(_nik()) if not has_nik or draw(st.booleans()) else None,
              "name": draw(_optional(st.from_regex(r"[A-Za-z][A-Za-z' ]{0,40}[A-Za-z]", fullmatch=True))),
              "sex": sex, "birth_date": born.isoformat(),
              "village_code": draw(st.from_regex(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}", fullmatch=True))}
    visit = {
        "visit_id": str(draw(st.uuids())), "facility_id": facility_id, "occurred_at": occurred.isoformat(),
        "service_point": draw(st.sampled_from(["posyandu", "pustu", "puskesmas", "home_visit", "rs"])),
        "person": person, "measurements": draw(measurements()),
        "pregnancy": draw(_optional(pregnancy())) if sex == "F" else None,
        "immunizations": draw(_optional(st.lists(st.sampled_from(get_args(Antigen)), min_size=1, max_size=5))),
        "development": draw(_optional(st.fixed_dictionaries(
            {"kpsp": st.sampled_from(["appropriate", "doubtful", "deviant"])}))),
        "diagnoses": draw(_optional(st.lists(st.from_regex(r"[A-TV-Z][0-9]{2}(\.[0-9A-Z]{1,4})?", fullmatch=True),
                                             min_size=1, max_size=4))),
        "syndromes": draw(_optional(st.lists(st.sampled_from(get_args(Syndrome)), min_size=1, max_size=4))),
    }
    if newborn:
        nb = {"birth_weight_g": draw(_optional(st.integers(300, 7000))),
              "neonatal_visit": draw(_optional(st.sampled_from([1, 2, 3]))),
              "shk": draw(_optional(st.sampled_from(["normal", "high_tsh", "not_done"])))}
        visit["newborn"] = {k: v for k, v in nb.items() if v is not None} or None
    return {k: v for k, v in visit.items() if v is not None}
