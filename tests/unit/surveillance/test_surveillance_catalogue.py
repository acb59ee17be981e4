"""The SKDR catalogue: what counts as a case, the intake syndromes it covers, and configured rules."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from services.surveillance.domain import catalogue
from services.surveillance.domain.catalogue import DISEASES, diseases_of
from services.surveillance.settings import SurveillanceSettings
from shared.contracts.intake import Syndrome


def test_every_intake_syndrome_is_in_the_catalogue_and_nothing_else() -> None:
    assert set(DISEASES) == set(get_args(Syndrome))


def test_every_rule_names_its_source_and_known_tags() -> None:
    for disease in DISEASES.values():
        for rule in disease.rules.values():
            if rule is not None:
                assert rule.source and rule.confidence in ("C", "S", "UNCONFIRMED"), disease.code
                assert any(tag in rule.source for tag in catalogue.SOURCES), (disease.code, rule.source)


def test_skdr_letter_codes_a_to_h() -> None:
    letters = {d.skdr_code: d.code for d in DISEASES.values() if d.skdr_code}
    assert letters == {"A": "acute_diarrhoea", "B": "malaria_confirmed", "C": "suspected_dengue", "D": "pneumonia",
                       "E": "bloody_diarrhoea", "F": "suspected_typhoid", "G": "acute_jaundice",
                       "H": "suspected_chikungunya"}


@pytest.mark.parametrize(("syndromes", "diagnoses", "expected"), [
    (["suspected_dengue"], None, {"suspected_dengue"}),
    (None, ["A91"], {"suspected_dengue"}),
    (None, ["A90", "A97.1"], {"suspected_dengue"}),
    (None, ["A09.0"], {"acute_diarrhoea"}),
    (None, ["a09"], {"acute_diarrhoea"}),
    (None, ["A06.0"], {"bloody_diarrhoea"}),
    (None, ["A06.1"], set()),          # chronic amoebiasis is not dysentery
    (None, ["B05.9"], {"suspected_measles"}),
    (None, ["B54"], {"malaria_clinical"}),
    (None, ["B50.9"], {"malaria_confirmed"}),
    (None, ["I10", "E11"], set()),     # hypertension and diabetes are no SKDR cases
    (["afp"], ["A36"], {"afp", "suspected_diphtheria"}),
    ([], [], set()),
])
def test_a_visit_is_a_case_of_what_its_syndromes_and_diagnoses_name(syndromes, diagnoses, expected) -> None:
    assert diseases_of(syndromes, diagnoses) == expected


def test_configured_rules_change_fields_disable_levels_and_keep_the_default_source() -> None:
    configured = catalogue.configured({
        "suspected_dengue": {"village": {"method": "mean_sd", "weeks": 8, "k": 2, "min_cases": 3}, "puskesmas": None},
        "suspected_measles": {"puskesmas": {"method": "single"}},
    })
    dengue = configured["suspected_dengue"]
    assert dengue.rule("village").method == "mean_sd" and dengue.rule("village").weeks == 8
    assert dengue.rule("village").source.startswith("configuration (default: PMK1501")
    assert dengue.rule("puskesmas") is None
    assert configured["suspected_measles"].rule("puskesmas").method == "single"
    assert DISEASES["suspected_dengue"].rule("village").method == "doubling"  # the defaults are untouched


@pytest.mark.parametrize("overrides", [
    {"plague": {"village": {"method": "single"}}},
    {"suspected_dengue": {"kabupaten": {"method": "single"}}},
    {"suspected_dengue": {"village": {"colour": "red"}}},
    {"suspected_measles": {"puskesmas": {"min_cases": 2}}},  # a new rule needs a method
    {"suspected_dengue": {"village": {"method": "mean_sd", "weeks": 1}}},
])
def test_bad_configuration_is_refused(overrides) -> None:
    with pytest.raises(ValueError):
        catalogue.configured(overrides)


def test_rules_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("JEJARING_SURVEILLANCE_RULES", json.dumps({"acute_diarrhoea": {"puskesmas": {
        "method": "fixed", "threshold": 15}}}))
    settings = SurveillanceSettings()
    assert settings.diseases["acute_diarrhoea"].rule("puskesmas").threshold == 15
    assert settings.port == 8004
    monkeypatch.setenv("JEJARING_SURVEILLANCE_RULES", json.dumps({"acute_diarrhoea": {"town": None}}))
    with pytest.raises(ValueError):
        SurveillanceSettings()


def test_production_needs_the_internal_token(monkeypatch) -> None:
    with pytest.raises(ValueError):
        SurveillanceSettings(environment="production")
    assert SurveillanceSettings(environment="production", internal_token="s3cret").internal_token
