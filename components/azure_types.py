"""What the toolkit knows about each Azure resource type it declares, said once (standard library only).

Every layer reads these facts from here: the plan's mocks (name input, where the id lives), the SDK-model check
(URL parameters, API version), the guard (protected types; its create-only paths come from the swagger, in
fleet/plan/mutability.py), drift and audit (the ARM -> plan shape), the DR export, the executors (recovery phases)
and the Policy export (API version). It imports nothing
but the standard library, so the plan, the live-side commands and test doubles can all depend on it.

The plan shape is the azure-native input shape: the REST body with `properties` flattened into the top level,
the URL path parameters as inputs, user-assigned identities as a list of ids, and the markers SECRET and UNKNOWN
where a value is secret or not known before apply. `to_arm` and `to_plan` convert
between that and ARM JSON; they are the only place the reshaping is written.

Sources:
- API versions: the versions pulumi-azure-native 3.x sends ("Uses Azure REST API version ..." in its generated
  resources; tests/unit/test_sdk_validation.py checks it against the installed provider and SDK).
- URL parameters: the path parameters of the REST operations, as the vendored examples name them
  (tests/conformance/azure/arm/*/*/*.json `parameters`; azure-native names its inputs after them).
- Body envelope (the writable keys outside `properties`): the swagger definitions ManagedCluster (TrackedResource
  plus sku, extendedLocation, identity, kind; managedClusters.json 2025-09-01), AgentPool (none), Extension
  (identity, plan; extensions.json 2023-05-01), FluxConfiguration (none; fluxconfiguration.json 2023-05-01);
  tests/unit/test_azure_types.py checks them against the Azure SDK models generated from those files.
- Write-only: `configurationProtectedSettings` is `x-ms-secret` (fluxconfiguration.json 2023-05-01,
  FluxConfiguration.properties.configurationProtectedSettings) and absent from every GET example
  (GetExtension.json, GetFluxConfiguration.json in tests/conformance/azure/arm/kubernetesconfiguration).
- Create-only paths: the guard's hand-kept table (moved here unchanged from fleet/plan/diff.py); to be replaced by
  paths derived from the swagger's `x-ms-mutability`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Parent = Literal["subscription", "resourceGroup", "cluster", "scope"]

# Plan-shape markers: a value Azure only knows after apply, and a secret (its plaintext never enters a plan).
SECRET = "[secret]"
UNKNOWN = "[unknown]"


@dataclass(frozen=True)
class AzureType:
    token: str  # pulumi-azure-native type token
    arm_type: str  # ARM resource type, as in ids and templates
    name_input: str  # the input holding the resource's Azure name
    url_params: tuple[str, ...]  # inputs that are URL path parameters, never part of the body
    parent: Parent  # what the id is under: the subscription, the resource group, the cluster or an input scope
    api_version: str | None = None  # the REST API version sent (None: the toolkit never speaks to it itself)
    envelope: tuple[str, ...] = ()  # writable body keys outside `properties`; every other body key nests in it
    write_only: tuple[str, ...] = ()  # plan-shape paths ARM accepts but never returns
    protected: bool = False  # replace or delete refused unless the user allows it
    phase: str = ""  # recovery phase an update is timed by
    scope_input: str = ""  # parent "scope": the input holding the id the resource extends

    @property
    def short_name(self) -> str:
        return self.token.rsplit(":", 1)[-1]


CONTAINERSERVICE_API_VERSION = "2025-09-01"
KUBERNETESCONFIGURATION_API_VERSION = "2023-05-01"
_CLUSTER_URL = ("resourceGroupName", "clusterRp", "clusterResourceName", "clusterName")

RESOURCE_GROUP = AzureType(
    token="azure-native:resources:ResourceGroup",
    arm_type="Microsoft.Resources/resourceGroups",
    name_input="resourceGroupName",
    url_params=("resourceGroupName",),
    parent="subscription",
    phase="resource group",
)
USER_ASSIGNED_IDENTITY = AzureType(
    token="azure-native:managedidentity:UserAssignedIdentity",
    arm_type="Microsoft.ManagedIdentity/userAssignedIdentities",
    name_input="resourceName",
    url_params=("resourceGroupName", "resourceName"),
    parent="resourceGroup",
    phase="identity",
)
WORKSPACE = AzureType(
    token="azure-native:operationalinsights:Workspace",
    arm_type="Microsoft.OperationalInsights/workspaces",
    name_input="workspaceName",
    url_params=("resourceGroupName", "workspaceName"),
    parent="resourceGroup",
    phase="monitoring",
)
ROLE_ASSIGNMENT = AzureType(
    token="azure-native:authorization:RoleAssignment",
    arm_type="Microsoft.Authorization/roleAssignments",
    name_input="roleAssignmentName",
    url_params=("scope", "roleAssignmentName"),
    parent="scope",
    scope_input="scope",
    phase="identity",
)
DATA_COLLECTION_RULE = AzureType(
    token="azure-native:monitor:DataCollectionRule",
    arm_type="Microsoft.Insights/dataCollectionRules",
    name_input="dataCollectionRuleName",
    url_params=("resourceGroupName", "dataCollectionRuleName"),
    parent="resourceGroup",
)
DATA_COLLECTION_RULE_ASSOCIATION = AzureType(
    token="azure-native:monitor:DataCollectionRuleAssociation",
    arm_type="Microsoft.Insights/dataCollectionRuleAssociations",
    name_input="associationName",
    url_params=("resourceUri", "associationName"),
    parent="scope",
    scope_input="resourceUri",  # an extension resource of the cluster it is associated with
)
MANAGED_CLUSTER = AzureType(
    token="azure-native:containerservice:ManagedCluster",
    arm_type="Microsoft.ContainerService/managedClusters",
    name_input="resourceName",
    url_params=("resourceGroupName", "resourceName"),
    parent="resourceGroup",
    api_version=CONTAINERSERVICE_API_VERSION,
    envelope=("location", "tags", "sku", "identity", "extendedLocation", "kind"),
    protected=True,
    phase="cluster",
)
AGENT_POOL = AzureType(
    token="azure-native:containerservice:AgentPool",
    arm_type="Microsoft.ContainerService/managedClusters/agentPools",
    name_input="agentPoolName",
    url_params=("resourceGroupName", "resourceName", "agentPoolName"),
    parent="cluster",
    api_version=CONTAINERSERVICE_API_VERSION,
    phase="cluster",  # a system pool is protected too: the guard decides that from its mode
)
EXTENSION = AzureType(
    token="azure-native:kubernetesconfiguration:Extension",
    arm_type="Microsoft.KubernetesConfiguration/extensions",
    name_input="extensionName",
    url_params=(*_CLUSTER_URL, "extensionName"),
    parent="cluster",
    api_version=KUBERNETESCONFIGURATION_API_VERSION,
    envelope=("identity", "plan"),
    write_only=("configurationProtectedSettings",),
    protected=True,
    phase="extension",
)
FLUX_CONFIGURATION = AzureType(
    token="azure-native:kubernetesconfiguration:FluxConfiguration",
    arm_type="Microsoft.KubernetesConfiguration/fluxConfigurations",
    name_input="fluxConfigurationName",
    url_params=(*_CLUSTER_URL, "fluxConfigurationName"),
    parent="cluster",
    api_version=KUBERNETESCONFIGURATION_API_VERSION,
    write_only=("configurationProtectedSettings",),
    protected=True,
    phase="flux configuration",
)

TYPES: tuple[AzureType, ...] = (
    RESOURCE_GROUP,
    USER_ASSIGNED_IDENTITY,
    WORKSPACE,
    ROLE_ASSIGNMENT,
    DATA_COLLECTION_RULE,
    DATA_COLLECTION_RULE_ASSOCIATION,
    MANAGED_CLUSTER,
    AGENT_POOL,
    EXTENSION,
    FLUX_CONFIGURATION,
)
BY_TOKEN: dict[str, AzureType] = {t.token: t for t in TYPES}
# The types the toolkit reads and writes through ARM itself (SDK-model check, drift, audit, the emulator).
ARM_SERVED: tuple[AzureType, ...] = tuple(t for t in TYPES if t.api_version)


def by_token(token: str) -> AzureType | None:
    return BY_TOKEN.get(token)


def body_inputs(azure_type: AzureType, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The plan-shape inputs without the URL parameters: what goes into the request body."""
    return {k: v for k, v in inputs.items() if k not in azure_type.url_params}


def to_arm(azure_type: AzureType, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Plan shape -> the ARM request body: URL parameters dropped, envelope keys kept at the top, the rest nested
    under `properties`, user-assigned identities as the map ARM takes (keyed by id)."""
    body: dict[str, Any] = {}
    for key, value in body_inputs(azure_type, inputs).items():
        if key == "identity":
            value = _identity_to_arm(value)
        if key in azure_type.envelope:
            body[key] = value
        else:
            body.setdefault("properties", {})[key] = value
    return body


def to_plan(azure_type: AzureType, body: Mapping[str, Any], url: Mapping[str, str] | None = None) -> dict[str, Any]:
    """ARM JSON -> plan shape: `properties` lifted, the envelope keys ARM filled in, the URL parameters given,
    user-assigned identities as the list of ids. Read-only envelope keys (id, name, type, systemData) are left out."""
    props = dict(body.get("properties") or {})
    for key in azure_type.envelope:
        if body.get(key) not in (None, {}, ""):
            props[key] = body[key]
    if "identity" in props:
        props["identity"] = identity_to_plan(props["identity"])
    props.update(url or {})
    return props


def url_inputs(
    azure_type: AzureType, *, resource_group: str, name: str, cluster: str = "", cluster_type: AzureType | None = None
) -> dict[str, str]:
    """The URL-parameter inputs of an ARM object, from where it lives; a cluster child names its cluster by the
    parent's resource provider and type (`clusterRp`, `clusterResourceName`, as in the REST path)."""
    parent = cluster_type or MANAGED_CLUSTER
    provider, resource_type = parent.arm_type.split("/", 1)
    values = {
        "resourceGroupName": resource_group,
        "clusterRp": provider,
        "clusterResourceName": resource_type,
        "clusterName": cluster,
        # AKS names the cluster `resourceName` in its own paths, agent pools included.
        "resourceName": cluster if azure_type.parent == "cluster" else name,
        azure_type.name_input: name,
    }
    return {k: values[k] for k in azure_type.url_params if k in values}


def identity_to_plan(identity: Any) -> Any:
    """ARM answers user-assigned identities as a map keyed by identity id; the plan shape is the id list."""
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), dict):
        return {**identity, "userAssignedIdentities": list(identity["userAssignedIdentities"])}
    return identity


def _identity_to_arm(identity: Any) -> Any:
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
        return {**identity, "userAssignedIdentities": identity_ids_to_arm(identity["userAssignedIdentities"])}
    return identity


def identity_ids_to_arm(ids: list[Any]) -> dict[str, Any]:
    """azure-native takes a list of identity ids and sends ARM the map keyed by id (values are ARM's to fill)."""
    return {i: {} for i in ids if isinstance(i, str)}


def is_write_only(azure_type: AzureType, path: str) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in azure_type.write_only)
