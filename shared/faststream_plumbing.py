"""Kafka-side plumbing of a ``Service`` that is not its runtime: FastStream's security object for the
configured SASL/TLS, and the service's AsyncAPI document."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from faststream.specification import AsyncAPI
from pydantic.json_schema import models_json_schema

from shared.contracts.events import EVENT_TYPES, EventData
from shared.settings import KafkaSettings

if TYPE_CHECKING:
    from shared.service import Service

EVENT_BY_TOPIC: dict[str, type[EventData]] = {cls.topic: cls for cls in EVENT_TYPES.values()}


def faststream_security(settings: KafkaSettings) -> BaseSecurity | None:
    """FastStream's security object for the configured SASL/TLS settings."""
    options = settings.client_options()
    ssl_context = options.get("ssl_context")
    if settings.sasl_mechanism:
        password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
        cls = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
        return cls[settings.sasl_mechanism](
            username=settings.sasl_username or "", password=password, ssl_context=ssl_context
        )
    if ssl_context is not None:
        return BaseSecurity(ssl_context=ssl_context)
    return None


def asyncapi_document(service: Service) -> dict[str, Any]:
    """The AsyncAPI document of what this service consumes and produces, as a dict.

    FastStream generates it; each consumed channel then gets its own handler's description and
    its event's schema as payload (one subscriber serves every topic, so FastStream knows
    neither).
    """
    service.subscribe()
    spec = json.loads(AsyncAPI(
        service.broker, title=f"Jejaring {service.name}", version=service.version,
        description=f"Topics the {service.name} service consumes and produces.",
    ).to_specification().to_json())
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    consumed = {c["address"]: name for name, c in spec["channels"].items() if name.startswith(f"{service.name}:consumer")}
    for processor in service.processors:
        channel = consumed[processor.topic]
        handler = processor.handler or processor.batch_handler
        spec["channels"][channel]["description"] = (handler.__doc__ or "").strip()
        model = processor.schema or EVENT_BY_TOPIC.get(processor.topic)
        if model is None:
            continue
        _, definitions = models_json_schema([(model, "validation")], ref_template="#/components/schemas/{model}")
        schemas.update(definitions.get("$defs", {}))
        message = spec["components"]["messages"][f"{channel}:SubscribeMessage"]
        message["payload"] = {"$ref": f"#/components/schemas/{model.__name__}"}
    return spec

