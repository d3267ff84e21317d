"""Which input paths of a resource type Azure cannot change in place, so that changing one replaces the resource.

Two sources, nothing else:
- DERIVED (create_only_derived.py): generated from the vendored REST specifications, tests/conformance/azure/arm:
  the URL parameters that name the resource and the properties whose `x-ms-mutability` lacks "update". It is a
  checked-in file rather than parsed here so that a plan never reads 400 kB of swagger; tests/unit/test_mutability.py
  re-derives it from the swagger and fails when they differ.
- DOCUMENTED below: what the swagger does not mark but a spec description or a Microsoft Learn page says, each
  with its source. Everything else is updatable in place: pool `osSKU` and `mode`, for example, carry no
  restriction in managedClusters.json 2025-09-01 (#/definitions/OSSKU, #/definitions/AgentPoolMode).

Paths use the plan's flat convention (`networkProfile.outboundType`); `[*]` stands for any list index
(`agentPoolProfiles[*].vmSize` matches `agentPoolProfiles[0].vmSize`).
"""

from __future__ import annotations

import re
from functools import cache

from components.azure_types import (
    AGENT_POOL,
    DATA_COLLECTION_RULE,
    EXTENSION,
    MANAGED_CLUSTER,
    RESOURCE_GROUP,
    USER_ASSIGNED_IDENTITY,
    WORKSPACE,
    by_token,
)

from .create_only_derived import DERIVED

_AKS = "managedClusters.json 2025-09-01"
_VM_SIZE = "learn.microsoft.com/azure/aks/manage-node-pools: you can't change the VM size of a node pool once created"
_ZONES = "learn.microsoft.com/azure/aks/availability-zones: you can't change the zones after you create a node pool"
_MAX_PODS = (
    "MicrosoftDocs/azure-docs 11f586041657 (AKS network concepts): max pods per node is configured at cluster "
    "create time or when creating new node pools"
)
_OS_DISK = f"{_AKS} #/definitions/OSDiskType: 'May not be changed after creation.'"
_TRACKED = "common-types/resource-management/v5/types.json #/definitions/TrackedResource/properties/location"

# path -> where it is documented as create-only, per Pulumi type.
DOCUMENTED: dict[str, dict[str, str]] = {
    MANAGED_CLUSTER.token: {
        "dnsPrefix": f"{_AKS} #/definitions/ManagedClusterProperties/properties/dnsPrefix: 'This cannot be updated "
        "once the Managed Cluster has been created.'",
        "fqdnSubdomain": f"{_AKS} #/definitions/ManagedClusterProperties/properties/fqdnSubdomain: 'This cannot be"
        " updated once the Managed Cluster has been created.'",
        "networkProfile.outboundType": f"{_AKS} #/definitions/ContainerServiceNetworkProfile/properties/outboundType:"
        " 'This can only be set at cluster creation time and cannot be changed later.'",
        "securityProfile.azureKeyVaultKms.keyVaultNetworkAccess": "learn.microsoft.com/azure/aks/use-kms-etcd-"
        "encryption (Limitations): with KMS turned on, you can't change the key vault mode (public versus private)",
        # A pool of the cluster is named by this (the agentPools URL parameter agentPoolName): another name is
        # another pool.
        "agentPoolProfiles[*].name": f"{_AKS} #/parameters/AgentPoolNameParameter",
        "agentPoolProfiles[*].osDiskType": _OS_DISK,
        "agentPoolProfiles[*].vmSize": _VM_SIZE,
        "agentPoolProfiles[*].availabilityZones": _ZONES,
        "agentPoolProfiles[*].maxPods": _MAX_PODS,
    },
    AGENT_POOL.token: {
        "osDiskType": _OS_DISK,
        "vmSize": _VM_SIZE,
        "availabilityZones": _ZONES,
        "maxPods": _MAX_PODS,
    },
    EXTENSION.token: {
        # The PATCH body lists the updatable properties; the type and the scope are not among them.
        "extensionType": "extensions.json 2023-05-01 #/definitions/patchExtension ('Updatable properties')",
        "scope": "extensions.json 2023-05-01 #/definitions/patchExtension ('Updatable properties')",
    },
    # Their REST specifications are not vendored; every type's URL parameters come from the registry (below), and
    # location is x-ms-mutability [read, create] on TrackedResource (common-types resource-management v5
    # types.json, vendored), which these tracked resources extend.
    RESOURCE_GROUP.token: {"location": _TRACKED},
    USER_ASSIGNED_IDENTITY.token: {"location": _TRACKED},
    WORKSPACE.token: {"location": _TRACKED},
    DATA_COLLECTION_RULE.token: {"location": _TRACKED},
}


# Paths the hand-kept table before the swagger (REPLACE_ON_CHANGE, until 2026-12-02) called create-only, which no
# source confirms as such: each is an in-place update here, and this says why, so that dropping one was a decision
# (tests/unit/test_mutability.py checks that every path of the old table is either create-only or listed here).
# An update Azure does not support is refused by Azure at `pulumi up` (an error, nothing deleted), not a replace.
UPDATABLE: dict[str, dict[str, str]] = {
    MANAGED_CLUSTER.token: {
        "networkProfile.networkPlugin": "no create-only mark in the swagger; Learn upgrade-aks-ipam-and-dataplane:"
        " an existing Azure CNI cluster is updated in place to overlay (`az aks update --network-plugin-mode"
        " overlay --pod-cidr ...`)",
        "networkProfile.podCidr": "no create-only mark in the swagger; set in place by the overlay upgrade (Learn"
        " upgrade-aks-ipam-and-dataplane, `--pod-cidr`)",
        "networkProfile.serviceCidr": "no create-only mark or note in the swagger and no Learn page found here: not"
        " confirmed offline either way",
        "networkProfile.dnsServiceIP": "no create-only mark or note in the swagger and no Learn page found here: not"
        " confirmed offline either way",
        "apiServerAccessProfile.enablePrivateCluster": "no create-only mark in the swagger; an existing cluster is"
        " converted through API Server VNet Integration (Learn api-server-vnet-integration), not re-created",
        "agentPoolProfiles[*].vnetSubnetID": "no create-only mark or note in the swagger and no Learn page found"
        " here: not confirmed offline either way",
    },
    AGENT_POOL.token: {
        "vnetSubnetID": "no create-only mark or note in the swagger and no Learn page found here: not confirmed"
        " offline either way",
        "osSKU": "no restriction in the swagger (#/definitions/OSSKU)",
        "mode": "no restriction in the swagger (#/definitions/AgentPoolMode)",
    },
}


@cache
def create_only_paths(pulumi_type: str) -> tuple[str, ...]:
    """The input paths of `pulumi_type` whose change replaces the resource (empty for an unknown type)."""
    # The URL parameters name the resource: another value is another resource, for every type of the registry
    # (those of the four vendored specifications are in DERIVED too).
    azure_type = by_token(pulumi_type)
    named_by = azure_type.url_params if azure_type else ()
    return tuple(sorted({*DERIVED.get(pulumi_type, ()), *DOCUMENTED.get(pulumi_type, {}), *named_by}))


@cache
def _pattern(paths: tuple[str, ...]) -> re.Pattern[str] | None:
    if not paths:
        return None
    alternatives = "|".join(re.escape(p).replace(r"\[\*\]", r"\[\d+\]") for p in paths)
    # A change at the path itself or anywhere below it.
    return re.compile(rf"^(?:{alternatives})(?:$|[.\[])")


def forces_replacement(path: str, create_only: tuple[str, ...]) -> bool:
    pattern = _pattern(create_only)
    return bool(pattern and pattern.match(path))
