"""Dashboard settings (environment prefix ``JEJARING_``, see shared.settings)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings


class DashboardSettings(ServiceSettings):
    """Dashboard's settings on top of the common ones."""

    service: str = "dashboard"
    # Publication: counts of 1-4 become "<5" in every CSV export (JEJARING_SUPPRESS_SMALL_COUNTS=true).
    suppress_small_counts: bool = False
    session_max_age_seconds: int = Field(default=12 * 3600, ge=60)
    # Mark the session cookie Secure (set true wherever the page is served over HTTPS).
    cookie_secure: bool = False
    # Indicator targets in percent overriding the registry, e.g. JEJARING_TARGETS='{"stunting": 14}'.
    targets: dict[str, float | None] = Field(default_factory=dict)
    # Freshness: a village's latest event within fresh_days is "baru", within silent_after_days
    # "lama", older (or never) "senyap".
    fresh_days: float = Field(default=7, gt=0)
    silent_after_days: float = Field(default=14, gt=0)
    # The default period is the current month at this UTC offset (WIB).
    utc_offset_hours: int = Field(default=7, ge=-12, le=14)
    # Live page: at most one change notice per stream per this many seconds; how often the
    # database is polled for changes applied by other replicas; how often rebuilds are checked.
    stream_min_interval_seconds: float = Field(default=0.5, ge=0)
    change_poll_seconds: float = Field(default=1.0, gt=0)
    rewind_check_seconds: float = Field(default=2.0, gt=0)
    # Outbreak signals: verify/close and the epidemic curves are forwarded to surveillance's internal
    # API (docs/surveillance.md section 6) with the shared secret JEJARING_INTERNAL_TOKEN.
    surveillance_url: str = "http://127.0.0.1:8004"
    internal_token: SecretStr | None = None
    surveillance_timeout_seconds: float = Field(default=5.0, gt=0)
