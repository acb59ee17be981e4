"""Registration settings."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from shared.settings import ServiceSettings

_PLACEHOLDER = "local-development-secret-change-me"


class RegistrationSettings(ServiceSettings):
    """Registration's own settings on top of the common ones."""

    service: str = "registration"
    person_id_secret: SecretStr = Field(
        default=SecretStr(_PLACEHOLDER),
        description="HMAC key of the pseudonymous person_id: per deployment, stable, secret",
    )
    future_tolerance_seconds: int = 300
    max_batch: int = 500

    @model_validator(mode="after")
    def _real_secret_in_production(self) -> "RegistrationSettings":
        if self.environment == "production" and self.person_id_secret.get_secret_value() == _PLACEHOLDER:
            raise ValueError("JEJARING_PERSON_ID_SECRET must be set in production")
        return self
