"""The DR stack's plan against the source's: what really differs once the renaming is accounted for."""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fleet.plan.changes import PropertyChange
from fleet.plan.diff import diff_plans
from fleet.plan.model import Plan, PlannedResource
from fleet.plan.preview import tree_order
from fleet.plan.runner import plan_stack


def _renamed(plan: Plan, old: str, new: str, old_stack: str, new_stack: str) -> Plan:
    """The source plan as if it had been declared under the DR names (URNs carry stack and names)."""
    prefix, new_prefix = f"urn:pulumi:{old_stack}::", f"urn:pulumi:{new_stack}::"
    resources = [
        dataclasses.replace(
            r,
            urn=r.urn.replace(prefix, new_prefix).replace(old, new),
            name=r.name.replace(old, new),
            parent=r.parent.replace(old, new) if r.parent else None,
        )
        for r in plan.resources
    ]
    return dataclasses.replace(plan, resources=resources)


@dataclass(frozen=True)
class DrRow:
    """One resource of the new stack: always a create (the DR stack has no state yet), with what differs from the
    source's counterpart once the renaming is accounted for (None: the source has no counterpart)."""

    resource: PlannedResource
    differs: list[PropertyChange] | None


def dr_plan_diff(
    source_stack: str, source_text: str, source_cluster: str, target_stack: str, target_text: str, target_cluster: str
) -> list[DrRow]:
    with tempfile.TemporaryDirectory(prefix="fleet-dr-") as tmp:
        stacks = Path(tmp)
        (stacks / f"Pulumi.{source_stack}.yaml").write_text(source_text, encoding="utf-8")
        (stacks / f"Pulumi.{target_stack}.yaml").write_text(target_text, encoding="utf-8")
        source = plan_stack(stacks, source_stack, policy=False)
        target = plan_stack(stacks, target_stack, policy=False)
    renamed = _renamed(source, source_cluster, target_cluster, source_stack, target_stack)
    changes = {c.urn: c for c in diff_plans(renamed, target)}
    rows = []
    for r in tree_order([r for r in target.resources if r.custom]):
        change = changes.get(r.urn)
        rows.append(DrRow(r, None if change and change.op == "create" else (change.properties if change else [])))
    return rows
