"""Regions the DR derivation knows: the short codes this toolkit uses in names.

Availability-zone support is an outside fact and lives in policies/baseline/facts/regions.toml; a region
the table does not know needs an explicit `--zones` so a derived stack never guesses.
"""

from __future__ import annotations

from policies.baseline.facts import regions as region_facts

# region -> short code used in resource names (this toolkit's naming convention, not an Azure fact)
REGIONS: dict[str, str] = {
    "japaneast": "jpe",
    "japanwest": "jpw",
    "eastus": "eus",
    "eastus2": "eus2",
    "westus2": "wus2",
    "westus3": "wus3",
    "centralus": "cus",
    "northeurope": "neu",
    "westeurope": "weu",
    "uksouth": "uks",
    "germanywestcentral": "gwc",
    "swedencentral": "sec",
    "southeastasia": "sea",
    "eastasia": "ea",
    "australiaeast": "aue",
    "koreacentral": "krc",
    "canadacentral": "cac",
    "westus": "wus",
    "northcentralus": "ncus",
    "ukwest": "ukw",
    "australiasoutheast": "ause",
}


def short_code(region: str) -> str | None:
    return REGIONS.get(region)


def has_zones(region: str) -> bool | None:
    return region_facts.has_zones(region)
