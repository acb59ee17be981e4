"""Routing per risk code and per network shape, without a broker or a database."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.referral.domain import routing
from services.referral.domain.network import LEVELS, ancestors, scope_of
from services.referral.domain.routing_table import DEFAULT, ROUTES, route_for
from tests.unit.referral.factories import facility, network, standard

CAPABILITIES = {"doctor", "hb_test", "glucose_test", "ultrasound", "emergency", "pdp"}


def decide(code: str, severity: str, level: str, origin: str, net: dict):
    return routing.decide(code, severity, level, net.get(origin), net.get)


# -- the table -------------------------------------------------------------------------------------
def test_every_screening_rule_code_has_a_routing_entry() -> None:
    registry = pytest.importorskip("services.screening.domain.registry")
    pytest.importorskip("services.screening.domain.engine")  # registers the rules
    missing = sorted({r.code for r in registry.RULES} - set(ROUTES))
    assert not missing, f"add these codes to services/referral/domain/routing_table.py: {missing}"


@pytest.mark.parametrize("code", sorted(ROUTES))
def test_table_entries_use_the_registry_vocabulary_and_cite_a_source(code: str) -> None:
    entry = ROUTES[code]
    assert entry.needs <= CAPABILITIES
    assert entry.level in (None, *LEVELS) and entry.onward in (None, *LEVELS)
    assert entry.source.startswith("[") and entry.confidence in ("C", "S", "UNCONFIRMED")


def test_unknown_code_routes_by_recommended_level_only() -> None:
    assert route_for("NOT_A_CODE") is DEFAULT
    chosen = decide("NOT_A_CODE", "moderate", "pustu", "PSY", standard())
    assert (chosen.destination_id, chosen.level) == ("PST", "pustu")


# -- per risk code on the standard network ---------------------------------------------------------
EXPECTED = {  # code, severity, recommended level -> destination from a Posyandu on the standard network
    ("HT", "moderate", "puskesmas"): "PKM",
    ("HT", "emergency", "puskesmas"): "RS",  # grade 3: straight to emergency
    ("DM_SUSPECT", "moderate", "puskesmas"): "PKM",
    ("PREDIABETES", "low", "posyandu"): None,  # no referral
    ("TB_PRESUMPTIVE", "moderate", "pustu"): "PST",
    ("ANEMIA_PREG", "low", "pustu"): "PST",  # Pustu has PoCT Hb
    ("ANEMIA_PREG", "moderate", "puskesmas"): "PKM",
    ("ANEMIA_PREG", "high", "rs"): "RS",
    ("KEK", "moderate", "puskesmas"): "PKM",
    ("SUSPECT_PE", "high", "rs"): "RS",
    ("HT_PREG", "emergency", "rs"): "RS",
    ("PPOK_HIGH_RISK", "moderate", "rs"): "RS",
    ("STUNTED", "moderate", "puskesmas"): "PKM",
    ("SEVERELY_WASTED", "high", "rs"): "RS",
    ("WEIGHT_NOT_GAINED", "low", "pustu"): "PST",
    ("SKILAS_POSITIVE", "low", "pustu"): "PST",
    ("MENTAL_POSITIVE", "high", "puskesmas"): "PKM",
    ("HT_CHILD", "moderate", "puskesmas"): "PKM",
    # newborns: stable BBLR to the Puskesmas doctor, under 2,000 g and SHK positive to the hospital
    ("LOW_BIRTH_WEIGHT", "moderate", "puskesmas"): "PKM",
    ("LOW_BIRTH_WEIGHT", "high", "rs"): "RS",
    ("SHK_HIGH_TSH", "high", "rs"): "RS",
    ("SHK_NOT_DONE", "low", "puskesmas"): "PKM",
    ("NEONATAL_VISIT_MISSED", "low", "pustu"): "PST",
    # under-fives: development and head size to the paediatrician, whatever level the rule found
    ("KPSP_DEVIANT", "moderate", "rs"): "RS",
    ("MICROCEPHALY", "moderate", "puskesmas"): "RS",
    ("MACROCEPHALY", "high", "rs"): "RS",
    ("KPSP_DOUBTFUL", "low", "pustu"): "PST",
    ("MAM_MUAC", "moderate", "puskesmas"): "PKM",
    # reminders followed up where the child was seen: no referral
    ("VITAMIN_A_DUE", "low", "posyandu"): None,
    ("DEWORMING_DUE", "low", "posyandu"): None,
    ("IMMUNIZATION_OVERDUE", "low", "posyandu"): None,
    ("IMMUNIZATION_DROP_OUT", "moderate", "posyandu"): None,
    ("RISK_OVERWEIGHT_WFA", "low", "posyandu"): None,
    ("BP_HIGH_NORMAL", "low", "posyandu"): None,
    ("CHOLESTEROL_HIGH", "low", "posyandu"): None,
    ("CHOLESTEROL_HIGH", "moderate", "puskesmas"): "PKM",
    # pregnancy: triple elimination by its pathway; danger signs by severity
    ("HIV_REACTIVE_PREG", "high", "puskesmas"): "RS",  # the standard Puskesmas has no PDP: the hospital's
    ("SYPHILIS_REACTIVE_PREG", "high", "puskesmas"): "RS",
    ("HBSAG_REACTIVE_PREG", "high", "rs"): "RS",
    ("DANGER_SIGN_PREG", "emergency", "rs"): "RS",
    ("DANGER_SIGN_PREG", "high", "puskesmas"): "PKM",
    ("GDM", "moderate", "puskesmas"): "PKM",
    ("ANC_DOCTOR_DUE", "low", "puskesmas"): "PKM",
    ("TRIPLE_ELIMINATION_DUE", "low", "puskesmas"): "PKM",
    ("POSTPARTUM_DANGER_SIGN", "emergency", "rs"): "RS",
    ("POSTPARTUM_VISIT_MISSED", "low", "pustu"): "PST",
    # school age, adults, elderly, any age
    ("ADOLESCENT_HB_DUE", "low", "pustu"): "PST",  # PoCT Hb at the Pustu
    ("SDQ_PROBLEM", "moderate", "puskesmas"): "PKM",
    ("HYPOGLYCAEMIA", "emergency", "puskesmas"): "RS",
    ("HYPOGLYCAEMIA", "moderate", "puskesmas"): "PKM",
    ("BREAST_SADANIS_ABNORMAL", "high", "rs"): "RS",
    ("CERVICAL_IVA_POSITIVE", "moderate", "puskesmas"): "PKM",
    ("CERVICAL_IVA_POSITIVE", "high", "rs"): "RS",
    ("TB_CLOSE_CONTACT", "low", "puskesmas"): "PKM",
    ("COGNITIVE_IMPAIRMENT", "moderate", "puskesmas"): "PKM",
}


@pytest.mark.parametrize(("case", "destination"), sorted(EXPECTED.items()))
def test_per_risk_code_from_a_posyandu(case: tuple[str, str, str], destination: str | None) -> None:
    chosen = decide(*case, "PSY", standard())
    if destination is None:
        assert chosen is None
    else:
        assert chosen is not None and chosen.destination_id == destination
        assert chosen.level == standard()[destination].type


@pytest.mark.parametrize("code", sorted(ROUTES))
def test_every_code_found_at_a_posyandu_and_needing_the_puskesmas_goes_up(code: str) -> None:
    chosen = decide(code, "moderate", "puskesmas", "PSY", standard())
    assert chosen is not None
    needs = ROUTES[code].needs
    expected = "RS" if ROUTES[code].level == "rs" or not needs <= standard()["PKM"].capabilities else "PKM"
    assert chosen.destination_id == expected


def test_triple_elimination_goes_to_a_puskesmas_with_pdp_before_the_hospital() -> None:
    with_pdp = standard(PKM="doctor;hb_test;glucose_test;pdp")
    for code in ("HIV_REACTIVE_PREG", "SYPHILIS_REACTIVE_PREG"):
        assert decide(code, "high", "puskesmas", "PSY", with_pdp).destination_id == "PKM"
        assert decide(code, "high", "puskesmas", "PKM", with_pdp) is None  # found there: handled there
        chosen = decide(code, "high", "puskesmas", "PKM", standard())
        assert chosen.destination_id == "RS" and "skipped" not in chosen.note
    # hepatitis B: the specialist at the hospital even from a Puskesmas with PDP
    assert decide("HBSAG_REACTIVE_PREG", "high", "rs", "PKM", with_pdp).destination_id == "RS"
    no_pdp = network(facility("RS", "rs", None, "doctor;emergency"), facility("PKM", "puskesmas", "RS", "doctor"),
                     facility("PSY", "posyandu", "PKM"))
    gap = decide("HIV_REACTIVE_PREG", "high", "puskesmas", "PSY", no_pdp)
    assert (gap.destination_id, gap.level) == (None, "rs") and "pdp" in gap.note  # the missing service is visible


def test_a_reminder_found_at_the_level_that_follows_it_up_makes_no_referral() -> None:
    net = standard()
    assert decide("TRIPLE_ELIMINATION_DUE", "low", "puskesmas", "PKM", net) is None
    assert decide("ANC_DOCTOR_DUE", "low", "puskesmas", "PKM", net) is None
    assert decide("ADOLESCENT_HB_DUE", "low", "pustu", "PST", net) is None  # the Pustu has PoCT Hb
    assert decide("NEONATAL_VISIT_MISSED", "low", "pustu", "PST", net) is None
    assert decide("TD_INCOMPLETE", "low", "puskesmas", "PKM", net) is None
    for code in ("VITAMIN_A_DUE", "DEWORMING_DUE", "IMMUNIZATION_OVERDUE", "IMMUNIZATION_DROP_OUT", "BP_HIGH_NORMAL"):
        for origin in ("PSY", "PST", "PKM"):
            assert decide(code, "low", "posyandu", origin, net) is None, (code, origin)


def test_development_and_head_size_go_on_to_the_hospital_from_the_puskesmas() -> None:
    for code in ("KPSP_DEVIANT", "MICROCEPHALY", "MACROCEPHALY", "SHK_HIGH_TSH", "BREAST_SADANIS_ABNORMAL"):
        assert decide(code, "moderate", "puskesmas", "PKM", standard()).destination_id == "RS", code


# -- network shapes --------------------------------------------------------------------------------
def test_village_without_pustu_goes_straight_to_the_puskesmas() -> None:
    net = network(facility("RS", "rs", None, "doctor;emergency;hb_test"),
                  facility("PKM", "puskesmas", "RS", "doctor;hb_test"), facility("PSY", "posyandu", "PKM"))
    assert decide("TB_PRESUMPTIVE", "moderate", "pustu", "PSY", net).destination_id == "PKM"
    assert decide("HT", "moderate", "puskesmas", "PSY", net).destination_id == "PKM"


def test_puskesmas_without_lab_is_skipped_for_a_lab_test() -> None:
    net = standard(PKM="doctor", PST="")
    chosen = decide("ANEMIA_PREG", "moderate", "puskesmas", "PSY", net)
    assert (chosen.destination_id, chosen.level) == ("RS", "rs")
    assert "skipped PKM (no hb_test)" in chosen.note
    assert decide("DM_SUSPECT", "moderate", "puskesmas", "PSY", net).destination_id == "RS"
    assert decide("HT", "moderate", "puskesmas", "PSY", net).destination_id == "PKM"  # no lab needed


def test_pustu_without_hb_meter_skips_to_the_puskesmas() -> None:
    assert decide("ANEMIA_PREG", "low", "pustu", "PSY", standard(PST="")).destination_id == "PKM"


def test_no_hospital_in_the_district_gives_no_destination_at_rs_level() -> None:
    net = network(facility("PKM", "puskesmas", None, "doctor;hb_test"), facility("PST", "pustu", "PKM"),
                  facility("PSY", "posyandu", "PST"))
    chosen = decide("SUSPECT_PE", "high", "rs", "PSY", net)
    assert (chosen.destination_id, chosen.level) == (None, "rs")
    assert "no rs" in chosen.note
    assert "no rs" in chosen.reason("SUSPECT_PE", "high")
    emergency = decide("HT", "emergency", "puskesmas", "PSY", net)  # no emergency anywhere
    assert (emergency.destination_id, emergency.level) == (None, "rs")
    no_lab = decide("ANEMIA_PREG", "moderate", "puskesmas", "PKM", standard(PKM="doctor") | {"RS": None})
    assert no_lab is not None and (no_lab.destination_id, no_lab.level) == (None, "rs")


def test_origin_puskesmas_whose_parent_is_the_hospital() -> None:
    net = standard()
    assert decide("HT", "moderate", "puskesmas", "PKM", net) is None  # handled where it was found
    assert decide("SUSPECT_PE", "high", "rs", "PKM", net).destination_id == "RS"
    assert decide("HT", "emergency", "puskesmas", "PKM", net).destination_id == "RS"  # no emergency at PKM
    assert decide("HT", "emergency", "puskesmas", "PKM", standard(PKM="doctor;emergency")) is None
    assert decide("STUNTED", "moderate", "puskesmas", "PKM", net).destination_id == "RS"  # onward to Sp.A
    assert decide("ANEMIA_PREG", "moderate", "puskesmas", "PKM", standard(PKM="doctor")).destination_id == "RS"


def test_emergency_skips_levels_without_emergency_capability() -> None:
    net = standard(PKM="doctor;hb_test;emergency")  # a Puskesmas with PONED
    assert decide("HT", "emergency", "puskesmas", "PSY", net).destination_id == "PKM"
    assert decide("HT", "emergency", "puskesmas", "PSY", standard()).destination_id == "RS"


def test_hospital_origin_never_refers_within_the_district() -> None:
    assert decide("PPOK_HIGH_RISK", "moderate", "rs", "RS", standard()) is None
    assert decide("ANEMIA_PREG", "high", "rs", "RS", standard(RS="doctor")) is None


def test_inactive_facilities_are_passed_over() -> None:
    net = standard() | {"PKM": facility("PKM", "puskesmas", "RS", "doctor;hb_test;glucose_test", active=False)}
    assert decide("HT", "moderate", "puskesmas", "PSY", net).destination_id == "RS"


def test_unknown_origin_still_makes_a_visible_referral() -> None:
    chosen = decide("HT", "moderate", "puskesmas", "NOPE", standard())
    assert (chosen.destination_id, chosen.level) == (None, "puskesmas") and "unknown" in chosen.note


def test_a_parent_cycle_in_a_bad_registry_terminates() -> None:
    net = network(facility("A", "posyandu", "B"), facility("B", "pustu", "A"))
    assert [f.facility_id for f in ancestors(net["A"], net.get)] == ["B"]
    assert decide("HT", "moderate", "puskesmas", "A", net).destination_id is None


def test_a_token_acts_for_its_facility_and_the_pustu_and_posyandu_run_from_it() -> None:
    net = standard()
    assert scope_of("PKM", net) == {"PKM", "PST", "PSY"}
    assert scope_of("PST", net) == {"PST", "PSY"} and "PKM" not in scope_of("PST", net)
    assert scope_of("RS", net) == {"RS"}  # referral path, not management
    assert scope_of("NOPE", net) == {"NOPE"} and "NOPE" not in scope_of("PKM", net)


# -- properties on random networks -----------------------------------------------------------------
LEVEL_LIST = list(LEVELS)


@st.composite
def chains(draw):  # noqa: ANN001, ANN201
    """A random chain from a facility up to the top, with random capabilities and activity."""
    types = sorted(draw(st.sets(st.sampled_from(LEVEL_LIST), min_size=1)), key=LEVELS.__getitem__)
    facilities, parent = [], None
    for i, type_ in enumerate(reversed(types)):
        caps = draw(st.sets(st.sampled_from(sorted(CAPABILITIES))))
        facilities.append(facility(f"F{i}", type_, parent, ";".join(caps), draw(st.booleans()) or i == 0))
        parent = f"F{i}"
    return network(*facilities), facilities[-1].facility_id


@settings(max_examples=300, deadline=None)
@given(chains(), st.sampled_from([*sorted(ROUTES), "UNKNOWN"]),
       st.sampled_from(["low", "moderate", "high", "emergency"]), st.sampled_from(LEVEL_LIST))
def test_destination_is_the_nearest_suitable_ancestor(chain, code: str, severity: str, level: str) -> None:
    net, origin = chain
    chosen = routing.decide(code, severity, level, net[origin], net.get)
    up = list(ancestors(net[origin], net.get))
    needs = routing.needs_for(code, severity)
    target = LEVELS[routing.target_level(code, level)]
    onward = routing.route_for(code).onward
    if net[origin].level >= target and net[origin].has(needs) and onward is not None:
        target = max(target, LEVELS[onward])  # the origin can handle it: the onward step is the target
    suitable = [f for f in up if f.active and f.level >= target and f.has(needs)]
    if chosen is None:
        here = net[origin]
        assert here.type == "rs" or (here.level >= target and here.has(needs))
        return
    if chosen.destination_id is None:
        assert not suitable or net[origin].level >= target
        assert LEVELS[chosen.level] > net[origin].level or net[origin].type == "rs"
    else:
        best = net[chosen.destination_id]
        assert best in up and best.active and best.has(needs) and best.level >= target
        assert up.index(best) == min(up.index(f) for f in suitable)
        assert chosen.level == best.type


def test_docs_show_the_current_routing_table() -> None:
    from pathlib import Path

    from services.referral.docs import routing_markdown

    text = (Path(__file__).resolve().parents[3] / "docs" / "referral.md").read_text()
    between = text.split("<!-- routing-table:start -->\n", 1)[1].split("\n<!-- routing-table:end -->", 1)[0]
    assert between == routing_markdown(), "regenerate with: python -m services.referral.docs"
