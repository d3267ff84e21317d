"""Compare two plans of one stack and guard against replacing or deleting what must survive.

A change to a property Azure cannot update in place forces a replacement. For a named cluster that is
delete and recreate of production; for a flux configuration with prune it deletes every workload it
applied (research A4, B6). The guard refuses those changes on clusters, system pools, the Flux extension
and flux configurations unless the user explicitly allows them, and names the property that forces it.
"""

from __future__ import annotations

from typing import Any

from components.azure_types import AGENT_POOL, SECRET, TYPES, UNKNOWN

from .changes import GuardViolation, Operation, PropertyChange, ResourceChange
from .model import Plan, PlannedResource
from .mutability import create_only_paths, forces_replacement

# The types whose replace or delete the guard refuses (a system pool too, decided from its mode).
PROTECTED_TYPES = {t.token for t in TYPES if t.protected}


def diff_plans(old: Plan | None, new: Plan) -> list[ResourceChange]:
    before = {r.urn: r for r in old.resources if r.custom} if old else {}
    after = {r.urn: r for r in new.resources if r.custom}
    changes: list[ResourceChange] = []
    for urn, resource in after.items():
        previous = before.get(urn)
        if previous is None:
            changes.append(ResourceChange(urn, resource.type, resource.name, "create"))
            continue
        props = _property_changes(previous, resource)
        if props:
            op: Operation = "replace" if any(p.forces_replace for p in props) else "update"
            system = _system_pool(previous) or _system_pool(resource)
            changes.append(ResourceChange(urn, resource.type, resource.name, op, props, system_pool=system))
    for urn, resource in before.items():
        if urn not in after:
            changes.append(
                ResourceChange(urn, resource.type, resource.name, "delete", system_pool=_system_pool(resource))
            )
    return changes


def guard(changes: list[ResourceChange]) -> list[GuardViolation]:
    """Replace or delete of a cluster, a system pool, the Flux extension or a flux configuration."""
    violations = []
    for change in changes:
        if change.op not in ("replace", "delete"):
            continue
        protected = change.type in PROTECTED_TYPES or change.system_pool
        if protected:
            violations.append(
                GuardViolation(f"{change.type.rsplit(':', 1)[-1]} {change.name}", change.op, change.replace_reasons)
            )
    return violations


def _system_pool(resource: PlannedResource) -> bool:
    return resource.type == AGENT_POOL.token and resource.inputs.get("mode") == "System"


def _property_changes(old: PlannedResource, new: PlannedResource) -> list[PropertyChange]:
    replace_paths = create_only_paths(new.type)  # from the REST specifications (fleet/plan/mutability.py)
    ignored = set(new.options.ignore_changes)
    out = []
    for path, (a, b) in leaf_diffs(old.inputs, new.inputs, ""):
        if path in ignored or any(path.startswith(f"{i}.") or path.startswith(f"{i}[") for i in ignored):
            continue
        if UNKNOWN in (a, b) or (a == SECRET and b == SECRET):
            continue
        forces = forces_replacement(path, replace_paths)
        out.append(PropertyChange(path, a, b, forces))
    return out


def leaf_diffs(a: Any, b: Any, path: str) -> list[tuple[str, tuple[Any, Any]]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += leaf_diffs(a.get(key), b.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(isinstance(x, dict) for x in a + b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += leaf_diffs(x, y, f"{path}[{i}]")
        return out
    return [] if a == b else [(path, (a, b))]
