"""VM size properties the checks use (vm_sizes.toml)."""

from __future__ import annotations

from functools import cache

from . import field, table

TABLE = "vm_sizes"


@cache
def ephemeral_capacity() -> dict[str, int]:
    """The GiB an ephemeral OS disk can use on each size (its temp or NVMe disk), keyed case-insensitively."""
    return {field(r, TABLE, "name", str).lower(): field(r, TABLE, "ephemeral_disk_gib", int) for r in table(TABLE).rows}


def ephemeral_capacity_gib(size: str) -> int | None:
    return ephemeral_capacity().get(size.lower())
