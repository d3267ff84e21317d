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

from components.spec import StackConfig
from components.spec.redact import redact_data
from fleet.audit.casing import agent_pool_shape, recase
from fleet.audit.normalize import normalize_child, normalize_cluster
from fleet.azure import AzureContext
from fleet.plan.diff import leaf_diffs
from fleet.plan.model import SECRET, UNKNOWN, Plan, PlannedResource

COMPARED = {
    "azure-native:containerservice:ManagedCluster",
    "azure-native:containerservice:AgentPool",
    "azure-native:kubernetesconfiguration:Extension",
    "azure-native:kubernetesconfiguration:FluxConfiguration",
}
URL_PARAMETERS = {
    "resourceName",
    "resourceGroupName",
    "clusterName",
    "clusterRp",
    "clusterResourceName",
    "extensionName",
    "fluxConfigurationName",
    "agentPoolName",
}


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
    name, rg = cluster["name"], cluster.get("resourceGroup", "")
    live = {_key("azure-native:containerservice:ManagedCluster", name): dict(normalize_cluster(dict(cluster)).props)}
    for pool in pools:
        props = recase(dict(pool), agent_pool_shape()).get("properties", {})
        live[_key("azure-native:containerservice:AgentPool", str(pool["name"]))] = dict(props)
    children = [(e, "Extension", "extensions") for e in extensions]
    children += [(c, "FluxConfiguration", "fluxconfigurations") for c in configurations]
    for child, type_token, kind in children:
        resource = normalize_child({**child, "resourceGroup": rg}, str(name), kind)
        if resource is not None:
            live[_key(f"azure-native:kubernetesconfiguration:{type_token}", child["name"])] = dict(resource.props)
    return live


def _key(type_token: str, name: str) -> str:
    return f"{type_token}|{name}"


def _azure_name(resource: PlannedResource) -> str:
    for field in ("resourceName", "agentPoolName", "extensionName", "fluxConfigurationName"):
        if field in resource.inputs and resource.type.endswith(
            {
                "resourceName": "ManagedCluster",
                "agentPoolName": "AgentPool",
                "extensionName": "Extension",
                "fluxConfigurationName": "FluxConfiguration",
            }[field]
        ):
            return str(resource.inputs[field])
    return resource.name


def compare(plan: Plan, live: dict[str, dict[str, Any]]) -> list[Drift]:
    drifts: list[Drift] = []
    for resource in plan.resources:
        if resource.type not in COMPARED:
            continue
        label = f"{resource.type.rsplit(':', 1)[-1]} {_azure_name(resource)}"
        current = live.get(_key(resource.type, _azure_name(resource)))
        if current is None:
            drifts.append(Drift(label, "(resource)", "present", "missing"))
            continue
        planned = {k: v for k, v in resource.inputs.items() if k not in URL_PARAMETERS}
        ignored = resource.options.ignore_changes
        for path, (want, have) in leaf_diffs(planned, _restrict(planned, current, ""), ""):
            if _has_marker(want) or any(path == i or path.startswith((f"{i}.", f"{i}[")) for i in ignored):
                continue
            if _same(want, have):
                continue
            if path.startswith("configurationProtectedSettings"):
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
