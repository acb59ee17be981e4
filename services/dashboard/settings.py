"""Dashboard settings."""

from __future__ import annotations

from shared.settings import ServiceSettings


class DashboardSettings(ServiceSettings):
    """Dashboard's settings on top of the common ones."""

    service: str = "dashboard"
    suppress_small_counts: bool = False
    session_max_age_seconds: int = 12 * 3600
