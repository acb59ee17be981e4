"""The committed AsyncAPI documents are what FastStream generates: a contract change is a visible diff.

Regenerate with ``make asyncapi`` (``jejaring asyncapi --out docs/asyncapi``).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from shared.settings import EMBEDDED_BOOTSTRAP, SERVICES, KafkaSettings
from services.cli import SETTINGS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"


@pytest.mark.parametrize("service", SERVICES)
def test_asyncapi_document_is_up_to_date(service: str, tmp_path: Path) -> None:
    module, name = SETTINGS[service]
    settings = getattr(importlib.import_module(module), name)(
        kafka=KafkaSettings(bootstrap_servers=EMBEDDED_BOOTSTRAP), var_dir=tmp_path
    )
    built = importlib.import_module(f"services.{service}.app").build_service(settings)
    runtime = built[0] if isinstance(built, tuple) else built
    generated = runtime.asyncapi().to_specification().to_yaml()
    committed = (DOCS / f"{service}.yaml").read_text(encoding="utf-8")
    # FastStream's channel order is not stable between runs: compare the documents, not the text.
    assert yaml.safe_load(generated) == yaml.safe_load(committed), f"docs/asyncapi/{service}.yaml is stale: run `make asyncapi`"
    for event_type in runtime.produces:
        assert event_type.topic in committed
