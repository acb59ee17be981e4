"""Reliable messaging: transactional outbox, idempotent consumer, dead letters, broker admin."""
