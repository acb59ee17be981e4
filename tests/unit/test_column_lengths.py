"""Every word of a contract's vocabulary fits the columns that store it (PostgreSQL enforces a
``VARCHAR``'s length where SQLite does not, so a too-long name fails only in production)."""

from __future__ import annotations

from typing import get_args

import pytest

from services.dashboard import models as dashboard
from services.dashboard.domain.registry import REGISTRY
from services.registration import models as registration
from shared.contracts.events import FacilityType, ReferralStatus, TargetGroup

VOCABULARIES = [
    (dashboard.targets.c.target, get_args(TargetGroup)),
    (dashboard.area_targets.c.target, get_args(TargetGroup)),
    (registration.targets.c.target, get_args(TargetGroup)),
    (dashboard.cells.c.indicator, [i.id for i in REGISTRY]),
    (dashboard.area_cells.c.indicator, [i.id for i in REGISTRY]),
    (dashboard.person_status.c.indicator, [i.id for i in REGISTRY]),
    (dashboard.referrals.c.status, get_args(ReferralStatus)),
    (dashboard.area_referrals.c.status, get_args(ReferralStatus)),
    (dashboard.facilities.c.type, get_args(FacilityType)),
]


@pytest.mark.parametrize(("column", "words"), VOCABULARIES, ids=lambda v: str(v) if hasattr(v, "table") else "")
def test_every_word_fits_its_column(column, words) -> None:  # noqa: ANN001
    longest = max(words, key=len)
    assert len(longest) <= column.type.length, f"{column}: {longest!r} has {len(longest)} characters"
