"""Versioned public contracts: intake JSON, event data, topics."""
