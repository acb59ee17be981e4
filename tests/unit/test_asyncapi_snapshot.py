"""The committed AsyncAPI documents are what FastStream generates: a contract change is a visible diff.

Regenerate with ``make asyncapi`` (``jejaring asyncapi --out docs/asyncapi``).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from services.cli import SETTINGS
from shared.settings import EMBEDDED_BOOTSTRAP, SERVICES, KafkaSettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"


@pytest.mark.parametrize("service", SERVICES)
def test_asyncapi_document_is_up_to_date(service: str, tmp_path: Path) -> None:
    module, name = SETTINGS[service]
    settings = getattr(importlib.import_module(module), name)(
        kafka=KafkaSettings(bootstrap_servers=EMBEDDED_BOOTSTRAP), var_dir=tmp_path
    )
    runtime = importlib.import_module(f"services.{service}.app").build_service(settings)
    generated = runtime.asyncapi()
    committed = (DOCS / f"{service}.yaml").read_text(encoding="utf-8")
    # FastStream's channel order is not stable between runs: compare the documents, not the text.
    assert generated == yaml.safe_load(committed), f"docs/asyncapi/{service}.yaml is stale: run `make asyncapi`"
    for event_type in runtime.produces:
        assert event_type.topic in committed


@pytest.mark.parametrize("service", SERVICES)
def test_each_consumed_channel_shows_its_event_schema_and_its_own_handler(service: str, tmp_path: Path) -> None:
    module, name = SETTINGS[service]
    settings = getattr(importlib.import_module(module), name)(var_dir=tmp_path)
    runtime = importlib.import_module(f"services.{service}.app").build_service(settings)
    spec = runtime.asyncapi()
    consumed = {c["address"]: name for name, c in spec["channels"].items() if name.startswith(f"{service}:consumer")}
    assert set(consumed) == {p.topic for p in runtime.processors}
    for processor in runtime.processors:
        channel = spec["channels"][consumed[processor.topic]]
        handler = processor.handler or processor.batch_handler
        assert channel["description"] == handler.__doc__.strip()  # its own handler's, not every handler's
        assert not any(p.topic in channel["description"] for p in runtime.processors)
        payload = spec["components"]["messages"][f"{consumed[processor.topic]}:SubscribeMessage"]["payload"]
        schema = spec["components"]["schemas"][payload["$ref"].rsplit("/", 1)[1]]
        assert schema["properties"], processor.topic
