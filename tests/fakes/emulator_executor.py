"""An executor test double: `up` applies a stack's plan to the ARM emulator through the Azure SDK clients.

It stands in for the Pulumi engine (which cannot run here): the same resources, in dependency order,
independent ones in parallel, each PUT a long-running operation polled by the SDK. Types the emulator
does not serve (resource group, identity, workspace, role assignment) take a simulated provisioning time.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from components import program
from components.azure_types import AGENT_POOL, EXTENSION, MANAGED_CLUSTER, SECRET, UNKNOWN, by_token, to_arm
from components.spec import load_stack
from fleet.executors.base import Preview, UpResult
from fleet.plan.azure_outputs import SUBSCRIPTION
from fleet.plan.engine import run_program
from fleet.plan.model import Plan, PlannedResource
from tests.fakes.arm import ArmEmulator


@dataclass
class EmulatorExecutor:
    stacks_dir: Path
    arm: ArmEmulator
    simulated_seconds: dict[str, float] = field(default_factory=dict)  # type token -> seconds
    preview_of: dict[str, Preview] = field(default_factory=dict)
    name: str = "emulator"
    ups: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def preview(self, stack: str) -> Preview:
        return self.preview_of.get(stack, Preview(changes={"create": 1}))

    def plan(self, stack: str) -> Plan:
        loaded = load_stack(self.stacks_dir, stack)
        return run_program(loaded, lambda: program.main(self.stacks_dir), preview=False)

    def up(self, stack: str) -> UpResult:
        plan = self.plan(stack)
        began = time.monotonic()
        spans: dict[str, list[float]] = {}
        errors: list[str] = []
        resources = {r.urn: r for r in plan.resources if r.custom}
        children = _children_of_components(plan)
        graph = {
            urn: {d for dep in r.options.depends_on for d in children.get(dep, {dep}) if d in resources}
            for urn, r in resources.items()
        }
        sorter = TopologicalSorter(graph)
        sorter.prepare()
        with ThreadPoolExecutor(max_workers=8) as pool:
            running: dict[Future[None], str] = {}
            while sorter.is_active():
                for urn in sorter.get_ready():
                    running[pool.submit(self._apply, resources[urn], began, spans)] = urn
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    urn = running.pop(future)
                    error = future.exception()
                    if error is not None:
                        errors.append(f"{resources[urn].name}: {error}")
                    sorter.done(urn)
        with self._lock:
            self.ups.append(stack)
        phases = {p: (s, e) for p, (s, e) in ((p, tuple(v)) for p, v in spans.items())}
        return UpResult(ok=not errors, detail="; ".join(errors), phases=phases)  # type: ignore[arg-type]

    def destroy(self, stack: str) -> UpResult:
        spec = load_stack(self.stacks_dir, stack).spec
        client = self.arm.azure_context().container_service(SUBSCRIPTION)
        client.managed_clusters.begin_delete(spec.resource_group_name, spec.name).result()
        return UpResult(ok=True, detail="destroyed")

    def _apply(self, resource: PlannedResource, began: float, spans: dict[str, list[float]]) -> None:
        start = time.monotonic() - began
        azure_type = by_token(resource.type)
        if azure_type is None or not azure_type.api_version:
            time.sleep(self.simulated_seconds.get(resource.type, 0.0))
        else:
            inputs = _concrete(resource.inputs)
            body = to_arm(azure_type, inputs)
            ctx = self.arm.azure_context()
            rg = inputs["resourceGroupName"]
            if azure_type is MANAGED_CLUSTER:
                ctx.container_service(SUBSCRIPTION).managed_clusters.begin_create_or_update(
                    rg, inputs["resourceName"], body
                ).result()
            elif azure_type is AGENT_POOL:
                ctx.container_service(SUBSCRIPTION).agent_pools.begin_create_or_update(
                    rg, inputs["resourceName"], inputs["agentPoolName"], body
                ).result()
            else:
                scope = (rg, "Microsoft.ContainerService", "managedClusters", inputs["clusterName"])
                config = ctx.kubernetes_configuration(SUBSCRIPTION)
                if azure_type is EXTENSION:
                    config.extensions.begin_create(*scope, inputs["extensionName"], body).result()
                else:
                    config.flux_configurations.begin_create_or_update(
                        *scope, inputs["fluxConfigurationName"], body
                    ).result()
        end = time.monotonic() - began
        phase = azure_type.phase if azure_type else ""
        if phase:
            with self._lock:
                span = spans.setdefault(phase, [start, end])
                span[0], span[1] = min(span[0], start), max(span[1], end)


def _children_of_components(plan: Plan) -> dict[str, set[str]]:
    """A dependency on a component means a dependency on every custom resource beneath it."""
    parents = {r.urn: r.parent for r in plan.resources}
    out: dict[str, set[str]] = {}
    for r in plan.resources:
        if not r.custom:
            continue
        node = r.parent
        while node:
            out.setdefault(node, set()).add(r.urn)
            node = parents.get(node)
    return out


def _concrete(value: Any) -> Any:
    """Secrets cannot be sent from a plan; drop them (the emulator never returns them anyway)."""
    if isinstance(value, dict):
        return {k: _concrete(v) for k, v in value.items() if v not in (SECRET, UNKNOWN)}
    if isinstance(value, list):
        return [_concrete(v) for v in value if v not in (SECRET, UNKNOWN)]
    return value
