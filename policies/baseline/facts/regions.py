"""Availability-zone support per Azure region (regions.toml)."""

from __future__ import annotations

from functools import cache

from . import field, table

TABLE = "regions"


@cache
def zone_support() -> dict[str, bool]:
    return {field(r, TABLE, "name", str): field(r, TABLE, "zones", bool) for r in table(TABLE).rows}


def has_zones(region: str) -> bool | None:
    """True or False from the table; None for a region the table does not know."""
    return zone_support().get(region.lower().replace(" ", ""))
