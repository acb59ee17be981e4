"""The intake fields and target groups the SPM indicators need: validated field by field, carried on visit
recorded, accepted by the targets import; over HTTP a bad value is a field-level 422."""

from __future__ import annotations

import pytest

from shared.contracts.events import VisitRecorded
from shared.envelope import decode
from shared.regions import load_regions
from tests.unit.registration.test_registration_http import api, post  # noqa: F401  (fixture)
from tests.unit.registration.test_registration_http import visit as http_visit
from tests.unit.registration.test_registration_usecases import (  # noqa: F401
    db,
    imports,
    registrar,
    run,
    seeded,
    visit,
)

TCM = {"method": "tcm", "result": "positive"}


async def test_tb_test_is_carried_on_visit_recorded(seeded) -> None:  # noqa: F811
    reg = registrar()
    body = visit(measurements={"cough_weeks": 3, "tb_test": TCM}, service_point="puskesmas", facility_id="PKM180106",
                 diagnoses=["I10"])
    outcome, emitted = await run(seeded, lambda u: reg.record(u, body, token_facility=None))
    assert outcome.status == "recorded"
    event = decode(emitted[0][1]).data
    assert isinstance(event, VisitRecorded)
    assert event.measurements.tb_test is not None and event.measurements.tb_test.model_dump() == TCM
    assert event.service_point == "puskesmas" and event.diagnoses == ["I10"]  # what the SPM care verdicts read


@pytest.mark.parametrize(("tb_test", "loc"), [
    ({"method": "culture", "result": "positive"}, ["measurements", "tb_test", "method"]),
    ({"method": "tcm", "result": "rif_resistant"}, ["measurements", "tb_test", "result"]),
    ({"method": "tcm"}, ["measurements", "tb_test", "result"]),
    ({"result": "negative"}, ["measurements", "tb_test", "method"]),
    ("tcm", ["measurements", "tb_test"]),
])
async def test_a_bad_tb_test_is_rejected_at_its_field(seeded, tb_test, loc) -> None:  # noqa: F811
    reg = registrar()
    outcome, emitted = await run(seeded, lambda u: reg.record(u, visit(measurements={"tb_test": tb_test}),
                                                              token_facility=None))
    assert outcome.status == "rejected" and emitted == []
    assert outcome.errors[0]["loc"] == loc


async def test_a_bad_tb_test_answers_422_over_http(api) -> None:  # noqa: F811
    body = http_visit(measurements={"tb_test": {"method": "tcm", "result": "maybe"}})
    answer = await post(api, body, api.kalianda)
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == ["measurements", "tb_test", "result"]
    ok = await post(api, http_visit(measurements={"tb_test": {"method": "microscopy", "result": "negative"}}),
                    api.kalianda)
    assert ok.status_code == 202


@pytest.mark.parametrize("group", ["adolescent_girl", "hypertension_estimated", "diabetes_estimated", "maternal"])
def test_the_new_target_groups_are_accepted_by_the_targets_import(group: str) -> None:
    rows = imports.parse_targets_csv(f"village_code,year,target,count\n18.01.06.2001,2026,{group},37\n", load_regions())
    assert (rows[0].target, rows[0].count) == (group, 37)
    with pytest.raises(imports.CsvImportError):
        imports.parse_targets_csv("village_code,year,target,count\n18.01.06.2001,2026,hypertension,37\n",
                                  load_regions())


async def test_delivery_is_carried_validated_and_for_women_only(seeded) -> None:  # noqa: F811
    reg = registrar()
    delivery = {"place": "midwife_practice", "attendant": "midwife"}
    outcome, emitted = await run(seeded, lambda u: reg.record(
        u, visit(measurements={"postpartum_days": 1, "delivery": delivery}), token_facility=None))
    assert outcome.status == "recorded"
    assert decode(emitted[0][1]).data.measurements.delivery.model_dump() == delivery
    for bad, loc in (({"place": "car"}, ["measurements", "delivery", "place"]),
                     ({"place": "home", "attendant": "neighbour"}, ["measurements", "delivery", "attendant"]),
                     ({"attendant": "midwife"}, ["measurements", "delivery", "place"])):
        outcome, emitted = await run(seeded, lambda u, b=bad: reg.record(u, visit(measurements={"delivery": b}),
                                                                         token_facility=None))
        assert outcome.status == "rejected" and outcome.errors[0]["loc"] == loc and emitted == []
    man = visit(measurements={"delivery": {"place": "home"}})
    man["person"] = {**man["person"], "sex": "M", "nik": "1801060508920003"}
    outcome, _ = await run(seeded, lambda u: reg.record(u, man, token_facility=None))
    assert outcome.status == "rejected" and "delivery" in outcome.errors[0]["msg"]
