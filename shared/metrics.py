"""Prometheus metrics: one registry per app, injected; names follow Prometheus conventions."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The messaging metrics every service exposes, plus a place for domain counters."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.consumed = Counter(
            "jejaring_events_applied_total", "Events applied by a consumer", ["service", "topic"], registry=r
        )
        self.duplicates = Counter(
            "jejaring_events_duplicate_total", "Redelivered or replayed events skipped", ["service", "topic"], registry=r
        )
        self.dead_letters = Counter(
            "jejaring_dead_letters_total", "Messages sent to a dead-letter topic", ["service", "topic"], registry=r
        )
        self.infra_retries = Counter(
            "jejaring_infra_retries_total", "Batches retried because the database was unavailable",
            ["service", "topic"], registry=r,
        )
        self.batch_seconds = Histogram(
            "jejaring_batch_seconds", "Time to apply one consumed batch", ["service", "topic"], registry=r,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.published = Counter(
            "jejaring_outbox_published_total", "Outbox rows published to Kafka", ["service"], registry=r
        )
        self.outbox_backlog = Gauge(
            "jejaring_outbox_backlog", "Outbox rows waiting to be published", ["service"], registry=r
        )
        self.broker_resets = Counter(
            "jejaring_broker_resets_total", "Partitions whose log was found shorter than before (broker lost data)",
            ["service"], registry=r,
        )

    def counter(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
        """A domain counter on this app's registry."""
        return Counter(name, documentation, list(labels), registry=self.registry)
