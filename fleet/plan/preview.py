"""How a plan's operations read in `pulumi preview`'s terms: marks, styles, the summary line and the tree order.

`Plan.operations` says what each resource undergoes: without a base every resource is a create, as `pulumi preview`
of a new stack shows; with a base the operation comes from the diff against the plan at that ref, and resources
absent from the diff are unchanged. Only custom (Azure) resources carry an operation; component resources group
them and are not counted, as in the tree header.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from .changes import COUNTED, Op
from .model import PlannedResource

# The marks and words of pulumi's preview summary ("Resources:" then "    + 7 to create" per operation and
# "N unchanged"): pulumi/pulumi pkg/backend/display/diff.go renderSummaryEvent @a8ea363d. Pulumi marks a replace
# "+-"; we print "±" for it.
MARK: dict[Op, str] = {"create": "+", "update": "~", "replace": "±", "delete": "-", "same": ""}
STYLE: dict[Op, str] = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red", "same": "dim"}


def summary_line(counts: dict[str, int]) -> str:
    parts = [f"{MARK[op]} {counts[op]} to {op}" for op in COUNTED]
    return ", ".join([*parts, f"{counts['same']} unchanged"])


def tree_order(resources: list[PlannedResource]) -> list[PlannedResource]:
    """Parents before children; otherwise dependency order (a resource after those it dependsOn), ties by URN.

    A component carries no dependsOn of its own, so a dependency between two resources also orders the siblings
    that hold them (the tenant's configuration component after the extension's): each edge is lifted to the
    children of the two resources' closest common ancestor. A stable key rather than registration order, so two
    runs (and two refs) print the same tree.
    """
    by_urn = {r.urn: r for r in resources}
    edges = {r.urn: [d for d in r.options.depends_on if d in by_urn] for r in resources}
    lifted = {urn: list(before) for urn, before in edges.items()}
    for urn, before in edges.items():
        for dependency in before:
            pair = _siblings_holding(by_urn, urn, dependency)
            if pair is not None:
                lifted[pair[0]].append(pair[1])
    try:
        return _topological(by_urn, lifted)
    except CycleError:  # two components that depend on each other through their children: own edges only
        return _topological(by_urn, edges)


def _ancestry(by_urn: dict[str, PlannedResource], urn: str) -> list[str]:
    chain = [urn]
    while (parent := by_urn[chain[-1]].parent) in by_urn and parent not in chain:
        chain.append(parent)
    return chain


def _siblings_holding(by_urn: dict[str, PlannedResource], urn: str, dependency: str) -> tuple[str, str] | None:
    """The children of the closest common ancestor that hold `urn` and `dependency`, when they differ."""
    mine, theirs = _ancestry(by_urn, urn), _ancestry(by_urn, dependency)
    common = next((a for a in mine if a in theirs), None)
    if common is None:
        roots = (mine[-1], theirs[-1])
        return roots if roots[0] != roots[1] else None
    holder, held = mine[mine.index(common) - 1], theirs[theirs.index(common) - 1]
    if common in (urn, dependency) or holder == held:
        return None
    return holder, held


def _topological(by_urn: dict[str, PlannedResource], edges: dict[str, list[str]]) -> list[PlannedResource]:
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for urn, before in edges.items():
        parent = by_urn[urn].parent
        sorter.add(urn, *before, *([parent] if parent in by_urn else []))
    sorter.prepare()
    out: list[PlannedResource] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        out += [by_urn[u] for u in ready]
        sorter.done(*ready)
    return out
