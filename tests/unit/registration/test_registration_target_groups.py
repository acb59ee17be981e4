"""Every target group of the contract fits the targets tables of registration and the dashboard."""

from __future__ import annotations

from typing import get_args

import pytest

from services.dashboard import models as dashboard_models
from services.registration import models as registration_models
from shared.contracts.events import TargetGroup


@pytest.mark.parametrize("models", [registration_models, dashboard_models], ids=["registration", "dashboard"])
def test_the_longest_target_group_fits_the_column(models) -> None:  # noqa: ANN001
    longest = max(get_args(TargetGroup), key=len)
    assert longest == "hypertension_estimated"
    assert len(longest) <= models.targets.c.target.type.length
