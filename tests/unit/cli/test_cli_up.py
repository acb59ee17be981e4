"""``jejaring up``'s demo: the dengue cluster it injects lies in the district, and the simulator takes it."""

from __future__ import annotations

from typing import get_args

from services.cli import (
    DEMO_BACKFILL_MONTHS,
    DEMO_BACKFILL_SCALE,
    demo_command,
    demo_outbreak,
    parser,
)
from shared.contracts.intake import Syndrome
from shared.regions import load_regions
from simulator.cli import run_parser
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


def test_the_demo_backfills_three_months_at_a_reduced_population_then_goes_live(tmp_path) -> None:  # noqa: ANN001
    args = parser().parse_args(["up"])
    assert (args.backfill_months, args.backfill_scale) == (DEMO_BACKFILL_MONTHS, DEMO_BACKFILL_SCALE) == (3, 0.03)
    command = demo_command(tmp_path, "18.01")
    assert command[2:4] == ["services.cli", "simulate"]
    simulated = run_parser().parse_args(command[4:])
    assert simulated.demo and simulated.backfill_months == 3 and simulated.backfill_scale == 0.03
    assert simulated.outbreak and simulated.dir == str(tmp_path / "demo")
    off = run_parser().parse_args(demo_command(tmp_path, "18.01", backfill_months=0, outbreak=False)[4:])
    assert off.backfill_months == 0 and off.outbreak == []
