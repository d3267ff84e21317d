"""Live ARM JSON → the canonical resource shape the rules read (azure-native inputs, properties flattened).

Done once, here at the edge, so a rule never knows whether it judges a plan or a live resource, nor in which
casing Resource Graph spelled the row's keys (casing.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.azure_types import EXTENSION, FLUX_CONFIGURATION, MANAGED_CLUSTER, to_plan, url_inputs
from policies.baseline import Resource

from .casing import cluster_shape, extension_shape, flux_configuration_shape, recase

# Extensions and flux configurations share a provider: a child id holds /providers/microsoft.kubernetesconfiguration/.
_CHILD_MARKER = f"/providers/{EXTENSION.arm_type.split('/', 1)[0].lower()}/"


@dataclass
class LiveCluster:
    id: str
    name: str
    subscription: str
    resource_group: str
    environment: str
    resources: list[Resource] = field(default_factory=list)
    flux_v1: list[str] = field(default_factory=list)  # deprecated sourceControlConfigurations


def cluster_id_of(child_id: str) -> str:
    index = child_id.lower().find(_CHILD_MARKER)
    return child_id[:index] if index >= 0 else ""


def normalize_cluster(row: dict[str, Any]) -> Resource:
    row = recase(row, cluster_shape())
    url = url_inputs(MANAGED_CLUSTER, resource_group=row.get("resourceGroup", ""), name=row["name"])
    return Resource(MANAGED_CLUSTER.token, row["name"], to_plan(MANAGED_CLUSTER, row, url), urn=row.get("id", ""))


def normalize_child(row: dict[str, Any], cluster_name: str, kind: str | None = None) -> Resource | None:
    """`kind` ('extensions' or 'fluxconfigurations') defaults to the row's ARM type."""
    kind = kind or str(row.get("type", "")).lower().rsplit("/", 1)[-1]
    if kind not in ("extensions", "fluxconfigurations"):
        return None
    row = recase(row, extension_shape() if kind == "extensions" else flux_configuration_shape())
    azure_type = EXTENSION if kind == "extensions" else FLUX_CONFIGURATION
    url = url_inputs(azure_type, resource_group=row.get("resourceGroup", ""), name=row["name"], cluster=cluster_name)
    props = to_plan(azure_type, row, url)
    return Resource(azure_type.token, f"{cluster_name}/{row['name']}", props, urn=row.get("id", ""))


def group_fleet(rows: dict[str, list[dict[str, Any]]]) -> list[LiveCluster]:
    """Clusters with their extensions, flux configurations and Flux v1 configurations."""
    clusters: dict[str, LiveCluster] = {}
    for row in rows.get("clusters", []):
        tags = row.get("tags") or {}
        clusters[row["id"].lower()] = LiveCluster(
            id=row["id"],
            name=row["name"],
            subscription=row.get("subscriptionId", ""),
            resource_group=row.get("resourceGroup", ""),
            environment=str(tags.get("environment", "prod")) if isinstance(tags, dict) else "prod",
            resources=[normalize_cluster(row)],
        )
    for key in ("extensions", "fluxConfigurations"):
        for row in rows.get(key, []):
            owner = clusters.get(cluster_id_of(row["id"]).lower())
            if owner is None:
                continue  # Arc-enabled or other cluster kinds are outside this audit
            resource = normalize_child(row, owner.name)
            if resource is not None:
                owner.resources.append(resource)
    for row in rows.get("sourceControlConfigurations", []):
        owner = clusters.get(cluster_id_of(row["id"]).lower())
        if owner is not None:
            owner.flux_v1.append(row["name"])
    return sorted(clusters.values(), key=lambda c: c.id.lower())
