"""Jejaring's own library: event contracts, messaging, persistence, settings, metrics."""
