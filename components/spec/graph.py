"""The kustomization dependency graph of one flux configuration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from graphlib import CycleError, TopologicalSorter


def dependency_order(depends_on: Mapping[str, Sequence[str]]) -> list[str]:
    """Kustomization names in an order where every dependency comes first.

    Raises graphlib.CycleError (args[1] is the cycle) when the graph has one. Unknown targets are
    ignored here; `checks.py` reports them with their key path.
    """
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for name, deps in depends_on.items():
        sorter.add(name, *(d for d in deps if d in depends_on))
    return list(sorter.static_order())


def find_cycle(depends_on: Mapping[str, Sequence[str]]) -> list[str] | None:
    try:
        dependency_order(depends_on)
    except CycleError as err:
        return list(err.args[1])
    return None
