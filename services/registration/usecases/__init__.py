"""Registration's use cases, one module per concern: visits, the facility registry, CSV imports,
tokens. Each runs in the caller's unit of work (``shared.unit.Unit``); events go through the outbox."""
