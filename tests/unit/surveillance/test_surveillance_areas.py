"""Puskesmas catchments drawn from the facility network."""

from __future__ import annotations

from services.surveillance.domain.areas import (
    Facility,
    catchment,
    district_of,
    villages_by_puskesmas,
)


def net(*facilities: Facility) -> dict[str, Facility]:
    return {f.facility_id: f for f in facilities}


def test_villages_of_a_puskesmas_follow_its_pustu_and_posyandu() -> None:
    network = net(
        Facility("RS", "rs", None, "18.01.06.1001"),
        Facility("PKM", "puskesmas", "RS", "18.01.06.2001"),
        Facility("PST", "pustu", "PKM", "18.01.06.2002"),
        Facility("PSY", "posyandu", "PST", "18.01.06.2003"),
        Facility("PSY-OFF", "posyandu", "PST", "18.01.06.2004", active=False),
        Facility("LOST", "posyandu", "NOWHERE", "18.01.06.2005"),
    )
    mapping = catchment(network)
    assert mapping == {"18.01.06.2001": "PKM", "18.01.06.2002": "PKM", "18.01.06.2003": "PKM"}
    assert villages_by_puskesmas(mapping) == {"PKM": ["18.01.06.2001", "18.01.06.2002", "18.01.06.2003"]}


def test_a_shared_village_goes_to_the_puskesmas_located_in_it_else_the_one_with_most_facilities() -> None:
    network = net(
        Facility("A", "puskesmas", None, "18.01.06.2001"),
        Facility("B", "puskesmas", None, "18.01.06.2009"),
        Facility("B1", "posyandu", "B", "18.01.06.2001"),
        Facility("B2", "posyandu", "B", "18.01.06.2001"),
        Facility("A1", "posyandu", "A", "18.01.06.2005"),
        Facility("B3", "posyandu", "B", "18.01.06.2005"),
        Facility("B4", "posyandu", "B", "18.01.06.2005"),
        Facility("A2", "posyandu", "A", "18.01.06.2006"),
        Facility("B5", "posyandu", "B", "18.01.06.2006"),
    )
    mapping = catchment(network)
    assert mapping["18.01.06.2001"] == "A"   # located there, despite B's two Posyandu
    assert mapping["18.01.06.2005"] == "B"   # more facilities
    assert mapping["18.01.06.2006"] == "A"   # a tie: the smaller id


def test_a_cycle_in_a_bad_registry_ends() -> None:
    network = net(Facility("X", "pustu", "Y", "18.01.06.2001"), Facility("Y", "pustu", "X", "18.01.06.2002"))
    assert catchment(network) == {}


def test_district_of() -> None:
    assert district_of("18.01.06.2001") == "18.01"
