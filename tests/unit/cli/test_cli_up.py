"""``jejaring up``'s demo: the dengue cluster it injects lies in the district, and the simulator takes it."""

from __future__ import annotations

from typing import get_args

from services.cli import demo_outbreak
from shared.contracts.intake import Syndrome
from shared.regions import load_regions
from simulator.syndromes import parse_outbreak


def test_the_demo_cluster_is_this_weeks_dengue_in_a_desa_of_the_district() -> None:
    text = demo_outbreak("18.01")
    assert text is not None
    outbreak = parse_outbreak(text, set(get_args(Syndrome)))
    village = load_regions().get(outbreak.village)
    assert village is not None and outbreak.village.startswith("18.01.") and outbreak.village[9] == "2"
    assert outbreak.week == "now" and outbreak.disease == "suspected_dengue" and outbreak.cases >= 1


def test_no_cluster_where_the_regions_file_has_no_village() -> None:
    assert demo_outbreak("99.99") is None
