"""Regions the DR derivation knows: short codes used in names, and availability-zone support.

Zone support changes over time (Japan West gained zones recently, see jpaztech/blog#552); a region not
listed here needs an explicit `--zones` so a derived stack never guesses.
"""

from __future__ import annotations

# region -> (short code used in resource names, has availability zones)
REGIONS: dict[str, tuple[str, bool]] = {
    "japaneast": ("jpe", True),
    "japanwest": ("jpw", True),
    "eastus": ("eus", True),
    "eastus2": ("eus2", True),
    "westus2": ("wus2", True),
    "westus3": ("wus3", True),
    "centralus": ("cus", True),
    "northeurope": ("neu", True),
    "westeurope": ("weu", True),
    "uksouth": ("uks", True),
    "germanywestcentral": ("gwc", True),
    "swedencentral": ("sec", True),
    "southeastasia": ("sea", True),
    "eastasia": ("ea", True),
    "australiaeast": ("aue", True),
    "koreacentral": ("krc", True),
    "canadacentral": ("cac", True),
    "westus": ("wus", False),
    "northcentralus": ("ncus", False),
    "ukwest": ("ukw", False),
    "australiasoutheast": ("ause", False),
}


def short_code(region: str) -> str | None:
    entry = REGIONS.get(region)
    return entry[0] if entry else None


def has_zones(region: str) -> bool | None:
    entry = REGIONS.get(region)
    return entry[1] if entry else None
