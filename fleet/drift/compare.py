"""`fleet drift`: what differs between the live cluster, extension and flux configurations and the plan.

Only what the plan sets is compared (Azure fills in many defaults the plan never mentions); values Azure
owns by design (ignoreChanges: autoscaled counts, auto-upgraded versions), unknowns and secrets are
skipped. Live objects are read with the SDK clients and normalised by the audit's own normaliser.

Pools are compared by name: the cluster GET lists every pool in agentPoolProfiles, those created as separate
AgentPool resources too (ManagedClustersGet.json), while the plan lists only the system pool inline. Values ARM
re-cases compare case-insensitively: resource ids (ManagedClustersGet.json answers `resourcegroups`; ARM names
are case-insensitive, learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules) and the
add-on config keys (omsagent's `logAnalyticsWorkspaceResourceID` loses its case,
github.com/Azure/azure-rest-api-specs/issues/10716).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from components.azure_types import (
    AGENT_POOL,
    ARM_SERVED,
    EXTENSION,
    FLUX_CONFIGURATION,
    MANAGED_CLUSTER,
    SECRET,
    UNKNOWN,
    AzureType,
    body_inputs,
    by_token,
    is_write_only,
    to_plan,
    url_inputs,
)
from components.spec import StackConfig
from components.spec.redact import redact_data
from fleet.audit.casing import agent_pool_shape, recase
from fleet.audit.normalize import normalize_child, normalize_cluster
from fleet.azure import AzureContext
from fleet.plan.diff import leaf_diffs
from fleet.plan.model import Plan, PlannedResource


@dataclass(frozen=True)
class Drift:
    resource: str
    path: str
    planned: Any
    live: Any

    def __str__(self) -> str:
        return f"{self.resource}: {self.path}: planned {self.planned!r}, live {self.live!r}"


def read_live(azure: AzureContext, subscription: str, stack: StackConfig) -> dict[str, dict[str, Any]]:
    """Live objects keyed like the plan's resources: (type, Azure name) -> canonical props (missing: absent),
    redacted as they are read (a live source URL may carry credentials the drift would otherwise print)."""
    spec = stack.spec
    rg, cluster = spec.resource_group_name, spec.name
    containers = azure.container_service(subscription)
    config = azure.kubernetes_configuration(subscription)
    try:
        managed = containers.managed_clusters.get(rg, cluster).serialize(keep_readonly=True)
    except ResourceNotFoundError:
        return {}
    scope = (rg, "Microsoft.ContainerService", "managedClusters", cluster)
    pools = [p.serialize(keep_readonly=True) for p in containers.agent_pools.list(rg, cluster)]
    extensions = []
    with contextlib.suppress(ResourceNotFoundError):
        extensions.append(config.extensions.get(*scope, spec.flux.extension.name).serialize(keep_readonly=True))
    configurations = []
    for flux in [spec.flux.platform, *spec.flux.tenants]:
        try:
            configurations.append(config.flux_configurations.get(*scope, flux.name).serialize(keep_readonly=True))
        except ResourceNotFoundError:
            continue
    return redact_data(live_map({**managed, "resourceGroup": rg}, pools, extensions, configurations))


def live_map(
    cluster: Mapping[str, Any],
    pools: Sequence[Mapping[str, Any]],
    extensions: Sequence[Mapping[str, Any]],
    configurations: Sequence[Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """ARM objects (REST shape) -> canonical props keyed by (type, Azure name)."""
    name, rg = str(cluster["name"]), cluster.get("resourceGroup", "")
    live = {_key(MANAGED_CLUSTER, name): dict(normalize_cluster(dict(cluster)).props)}
    for pool in pools:
        pool_name = str(pool["name"])
        url = url_inputs(AGENT_POOL, resource_group=rg, name=pool_name, cluster=name)
        live[_key(AGENT_POOL, pool_name)] = to_plan(AGENT_POOL, recase(dict(pool), agent_pool_shape()), url)
    children = [(e, EXTENSION, "extensions") for e in extensions]
    children += [(c, FLUX_CONFIGURATION, "fluxconfigurations") for c in configurations]
    for child, azure_type, kind in children:
        resource = normalize_child({**child, "resourceGroup": rg}, name, kind)
        if resource is not None:
            live[_key(azure_type, child["name"])] = dict(resource.props)
    return live


def _key(azure_type: AzureType, name: str) -> str:
    return f"{azure_type.token}|{name}"


def _azure_name(resource: PlannedResource, azure_type: AzureType) -> str:
    return str(resource.inputs.get(azure_type.name_input, resource.name))


def compare(plan: Plan, live: dict[str, dict[str, Any]]) -> list[Drift]:
    drifts: list[Drift] = []
    for resource in plan.resources:
        azure_type = by_token(resource.type)
        if azure_type is None or azure_type not in ARM_SERVED:
            continue
        label = f"{azure_type.short_name} {_azure_name(resource, azure_type)}"
        current = live.get(_key(azure_type, _azure_name(resource, azure_type)))
        if current is None:
            drifts.append(Drift(label, "(resource)", "present", "missing"))
            continue
        planned = body_inputs(azure_type, resource.inputs)
        ignored = resource.options.ignore_changes
        for path, (want, have) in leaf_diffs(planned, _restrict(planned, current, ""), ""):
            if _has_marker(want) or any(path == i or path.startswith((f"{i}.", f"{i}[")) for i in ignored):
                continue
            if _same(want, have):
                continue
            if is_write_only(azure_type, path):
                continue  # never returned by ARM
            drifts.append(Drift(label, path, want, have))
    return drifts


_RESOURCE_ID = re.compile(r"^/subscriptions/[^/]+/", re.I)
_RECASED_KEYS = re.compile(r"^addonProfiles\.[^.]+\.config$")  # add-on config maps: keys come back re-cased


def _restrict(planned: Any, live: Any, path: str) -> Any:
    """Only the live values the plan speaks about, so defaults Azure adds are not drift; named items (pools)
    matched by name, add-on config keys whatever their case."""
    if isinstance(planned, dict) and isinstance(live, dict):
        folded = {str(k).lower(): v for k, v in live.items()} if _RECASED_KEYS.match(path) else {}
        return {
            k: _restrict(v, live[k] if k in live else folded.get(str(k).lower()), f"{path}.{k}" if path else k)
            for k, v in planned.items()
        }
    if isinstance(planned, list) and isinstance(live, list):
        if planned and all(isinstance(p, dict) and "name" in p for p in planned):
            by_name = {str(item.get("name")).lower(): item for item in live if isinstance(item, dict)}
            return [_restrict(p, by_name.get(str(p["name"]).lower()), path) for p in planned]
        if len(planned) == len(live):
            return [_restrict(p, item, path) for p, item in zip(planned, live, strict=True)]
    return live


def _same(want: Any, have: Any) -> bool:
    """Equal once the casing ARM may change is set aside: resource ids, anywhere in the value."""
    if isinstance(want, str) and isinstance(have, str) and _RESOURCE_ID.match(want):
        return want.lower() == have.lower()
    if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        return all(_same(w, h) for w, h in zip(want, have, strict=True))
    if isinstance(want, dict) and isinstance(have, dict) and want.keys() == have.keys():
        return all(_same(want[k], have[k]) for k in want)
    return bool(want == have)


def _has_marker(value: Any) -> bool:
    """A planned value that is (or contains) an unknown or a secret cannot be compared."""
    if isinstance(value, list):
        return any(_has_marker(v) for v in value)
    if isinstance(value, dict):
        return any(_has_marker(v) for v in value.values())
    return value in (UNKNOWN, SECRET)
