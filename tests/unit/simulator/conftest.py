"""Fixtures of the simulator tests: one small district run shared by the tests that only read it."""

from __future__ import annotations

from datetime import date

import pytest

from shared.regions import load_regions
from simulator.faults import FaultConfig
from simulator.visits import build_simulation

SMALL = dict(seed=3, start=date(2026, 10, 24), days=12, population_scale=0.1)
# Fault shares raised so a small run holds every kind of fault several times.
SMALL_FAULTS = FaultConfig(offline_share=0.3, duplicate_share=0.05, invalid_share=0.05, warning_share=0.02)


@pytest.fixture(scope="session")
def regions():
    return load_regions()


@pytest.fixture(scope="session")
def small_simulation(regions):  # noqa: ANN001, ANN201
    """Factory: a fresh small Kota Metro simulation (keyword overrides of SMALL allowed)."""

    def make(**overrides):  # noqa: ANN003, ANN202
        return build_simulation(regions, "18.72", **{**SMALL, "faults": SMALL_FAULTS, **overrides})

    return make


@pytest.fixture(scope="session")
def small_run(small_simulation):  # noqa: ANN001, ANN201
    """(simulation, emissions in sending order) of Kota Metro at 10 % population, 12 days across a month end."""
    sim = small_simulation()
    return sim, list(sim.emissions())
