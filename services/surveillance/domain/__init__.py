"""Surveillance's pure domain: the SKDR catalogue, ISO weeks, threshold rules, the signal lifecycle."""
