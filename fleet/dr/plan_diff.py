"""The DR stack's plan against the source's: what really differs once the renaming is accounted for."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from fleet.plan.diff import ResourceChange, diff_plans
from fleet.plan.model import Plan
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


def dr_plan_diff(
    source_stack: str, source_text: str, source_cluster: str, target_stack: str, target_text: str, target_cluster: str
) -> list[ResourceChange]:
    with tempfile.TemporaryDirectory(prefix="fleet-dr-") as tmp:
        stacks = Path(tmp)
        (stacks / f"Pulumi.{source_stack}.yaml").write_text(source_text, encoding="utf-8")
        (stacks / f"Pulumi.{target_stack}.yaml").write_text(target_text, encoding="utf-8")
        source = plan_stack(stacks, source_stack, policy=False)
        target = plan_stack(stacks, target_stack, policy=False)
    return diff_plans(_renamed(source, source_cluster, target_cluster, source_stack, target_stack), target)
