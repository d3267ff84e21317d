"""How a plan's operations read in `pulumi preview`'s terms: marks, styles, the summary line and the tree order.

`Plan.operations` says what each resource undergoes: without a base every resource is a create, as `pulumi preview`
of a new stack shows; with a base the operation comes from the diff against the plan at that ref, and resources
absent from the diff are unchanged. Only custom (Azure) resources carry an operation; component resources group
them and are not counted, as in the tree header.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

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

    A stable key rather than registration order, so two runs (and two refs) print the same tree.
    """
    by_urn = {r.urn: r for r in resources}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for r in resources:
        before = [d for d in r.options.depends_on if d in by_urn]
        if r.parent in by_urn:
            before.append(r.parent)
        sorter.add(r.urn, *before)
    sorter.prepare()
    out: list[PlannedResource] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        out += [by_urn[u] for u in ready]
        sorter.done(*ready)
    return out
