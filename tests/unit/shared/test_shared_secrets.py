"""The person-id secret: never a public default; generated once per installation outside production."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from pydantic import ValidationError

from services.registration.settings import PUBLIC_PLACEHOLDER, RegistrationSettings
from shared.secrets import installation_secret


def test_a_missing_secret_is_generated_once_and_reused(tmp_path, caplog) -> None:
    first = RegistrationSettings(var_dir=tmp_path, environment="local").person_id_key()
    assert "generated a new installation secret" in caplog.text
    caplog.clear()
    again = RegistrationSettings(var_dir=tmp_path, environment="test").person_id_key()
    assert first == again and len(first) >= 32 and caplog.text == ""  # said once, on creation
    mode = stat.S_IMODE(os.stat(tmp_path / "person_id_secret").st_mode)
    assert mode == 0o600
    other = RegistrationSettings(var_dir=tmp_path / "elsewhere", environment="local").person_id_key()
    assert other != first  # another installation, another key


def test_concurrent_processes_agree_on_one_secret(tmp_path) -> None:
    values: list[str] = []
    threads = [threading.Thread(target=lambda: values.append(installation_secret(tmp_path, "s"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(values)) == 1


def test_production_refuses_to_start_without_a_secret_and_nobody_runs_on_the_public_one(tmp_path) -> None:
    with pytest.raises(ValidationError, match="must be set in production"):
        RegistrationSettings(var_dir=tmp_path, environment="production")
    for environment in ("local", "production"):
        with pytest.raises(ValidationError, match="public placeholder"):
            RegistrationSettings(var_dir=tmp_path, environment=environment, person_id_secret=PUBLIC_PLACEHOLDER)
    given = RegistrationSettings(var_dir=tmp_path, environment="production", person_id_secret="a-real-secret")
    assert given.person_id_key() == b"a-real-secret" and not (tmp_path / "person_id_secret").exists()
