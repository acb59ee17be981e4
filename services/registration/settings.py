"""Registration settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from shared.secrets import MissingSecret, installation_secret
from shared.settings import ServiceSettings

SECRET_FILE = "person_id_secret"
# The value earlier releases used when none was set: public, so never accepted.
PUBLIC_PLACEHOLDER = "local-development-secret-change-me"


class RegistrationSettings(ServiceSettings):
    """Registration's own settings on top of the common ones."""

    service: str = "registration"
    person_id_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of the pseudonymous person_id: per deployment, stable, secret. Outside "
                    "production a missing key is generated once under var/ (person_id_secret) and reused",
    )
    future_tolerance_seconds: int = 300
    max_batch: int = 500
    # An accepted (202) visit must survive a power loss: the registration database syncs on commit.
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL"] = "FULL"
    # Single-visit requests waiting for their group commit; beyond this the intake answers 503.
    max_pending_visits: int = Field(default=5000, ge=1)

    @model_validator(mode="after")
    def _no_public_secret(self) -> "RegistrationSettings":
        if self.person_id_secret is not None and self.person_id_secret.get_secret_value() == PUBLIC_PLACEHOLDER:
            raise ValueError("JEJARING_PERSON_ID_SECRET is the public placeholder of earlier releases; set a secret")
        if self.environment == "production" and self.person_id_secret is None:
            raise ValueError("JEJARING_PERSON_ID_SECRET must be set in production")
        return self

    def person_id_key(self) -> bytes:
        """The pseudonym key: configured, else this installation's generated one (not in production)."""
        if self.person_id_secret is not None:
            return self.person_id_secret.get_secret_value().encode()
        if self.environment == "production":
            raise MissingSecret("JEJARING_PERSON_ID_SECRET must be set in production")
        return installation_secret(self.var_dir, SECRET_FILE).encode()
