"""Screening settings."""

from __future__ import annotations

from shared.settings import ServiceSettings


class ScreeningSettings(ServiceSettings):
    """Screening's settings on top of the common ones."""

    service: str = "screening"
