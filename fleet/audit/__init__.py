"""Audit of the live fleet: Resource Graph in bulk, normalised into the canonical shape, judged by the catalogue."""
