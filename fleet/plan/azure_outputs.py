"""What Azure would answer for each resource the program registers, for the mock monitor.

Preview semantics (the default): outputs are the inputs plus the resource's name, which azure-native
derives from the name input; everything Azure computes (ids, principal ids, the OIDC issuer URL) stays
unknown, exactly as in `pulumi preview` of a new stack. Update semantics return realistic values in
Azure's formats so component tests can follow outputs end to end.
"""

from __future__ import annotations

import uuid
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TENANT = "11111111-1111-1111-1111-111111111111"

# Which input holds a resource's Azure name, per type token.
_NAME_INPUT = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
    "azure-native:operationalinsights:Workspace": "workspaceName",
    "azure-native:containerservice:ManagedCluster": "resourceName",
    "azure-native:containerservice:AgentPool": "agentPoolName",
    "azure-native:kubernetesconfiguration:Extension": "extensionName",
    "azure-native:kubernetesconfiguration:FluxConfiguration": "fluxConfigurationName",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
    "azure-native:monitor:DataCollectionRule": "dataCollectionRuleName",
    "azure-native:monitor:DataCollectionRuleAssociation": "associationName",
}


# Where each type lives: under the resource group or under the cluster, and its provider path.
_ARM_PATHS = {
    "azure-native:managedidentity:UserAssignedIdentity": (
        "rg",
        "providers/Microsoft.ManagedIdentity/userAssignedIdentities",
    ),
    "azure-native:operationalinsights:Workspace": ("rg", "providers/Microsoft.OperationalInsights/workspaces"),
    "azure-native:containerservice:ManagedCluster": ("rg", "providers/Microsoft.ContainerService/managedClusters"),
    "azure-native:monitor:DataCollectionRule": ("rg", "providers/Microsoft.Insights/dataCollectionRules"),
    "azure-native:containerservice:AgentPool": ("cluster", "agentPools"),
    "azure-native:kubernetesconfiguration:Extension": (
        "cluster",
        "providers/Microsoft.KubernetesConfiguration/extensions",
    ),
    "azure-native:kubernetesconfiguration:FluxConfiguration": (
        "cluster",
        "providers/Microsoft.KubernetesConfiguration/fluxConfigurations",
    ),
}


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(parts)))


class AzureOutputs(pulumi_mocks.Mocks):
    def __init__(self, *, preview: bool) -> None:
        self.preview = preview

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        raise NotImplementedError(f"the program must not call {args.token}: keep the stamp free of invokes")

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        inputs = dict(args.inputs)
        name_input = _NAME_INPUT.get(args.typ)
        name = inputs.get(name_input, args.name) if name_input else args.name
        state = {**inputs, "name": name}
        identity = inputs.get("identity")
        if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
            # ARM answers user-assigned identities as a map keyed by resource id, not the input list;
            # while an id is still unknown (preview) the whole output is unknown.
            ids = identity["userAssignedIdentities"]
            if all(isinstance(i, str) for i in ids):
                state["identity"] = {**identity, "userAssignedIdentities": {i: {} for i in ids}}
            else:
                del state["identity"]
        if self.preview:
            return None, state
        arm_id = self._arm_id(args.typ, inputs, name)
        state.update(self._computed(args.typ, inputs, name, arm_id))
        return arm_id, state

    def _arm_id(self, typ: str, inputs: dict[str, Any], name: str) -> str:
        rg = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{inputs.get('resourceGroupName', name)}"
        cluster_name = inputs.get("clusterName", inputs.get("resourceName"))
        cluster = f"{rg}/providers/Microsoft.ContainerService/managedClusters/{cluster_name}"
        if typ == "azure-native:resources:ResourceGroup":
            return rg
        if typ == "azure-native:authorization:RoleAssignment":
            return f"{inputs.get('scope', '')}/providers/Microsoft.Authorization/roleAssignments/{name}"
        if typ == "azure-native:monitor:DataCollectionRuleAssociation":
            # An extension resource of the cluster it is associated with.
            return f"{inputs.get('resourceUri', '')}/providers/Microsoft.Insights/dataCollectionRuleAssociations/{name}"
        parent, path = _ARM_PATHS.get(typ, ("rg", "unknown"))
        return f"{cluster if parent == 'cluster' else rg}/{path}/{name}"

    def _computed(self, typ: str, inputs: dict[str, Any], name: str, arm_id: str) -> dict[str, Any]:
        if typ == "azure-native:managedidentity:UserAssignedIdentity":
            return {"principalId": _guid(arm_id, "principal"), "clientId": _guid(arm_id, "client"), "tenantId": TENANT}
        if typ == "azure-native:operationalinsights:Workspace":
            return {"customerId": _guid(arm_id, "customer")}
        if typ == "azure-native:containerservice:ManagedCluster":
            issuer = f"https://{inputs.get('location')}.oic.prod-aks.azure.com/{TENANT}/{_guid(arm_id, 'issuer')}/"
            oidc = {**inputs.get("oidcIssuerProfile", {}), "issuerURL": issuer}
            return {
                "oidcIssuerProfile": oidc,
                "fqdn": f"{inputs.get('dnsPrefix')}-{_guid(arm_id)[:8]}.hcp.{inputs.get('location')}.azmk8s.io",
                "currentKubernetesVersion": inputs.get("kubernetesVersion"),
                "provisioningState": "Succeeded",
                "identityProfile": {
                    "kubeletidentity": {
                        "objectId": _guid(arm_id, "kubelet"),
                        "clientId": _guid(arm_id, "kubelet-client"),
                    }
                },
            }
        if typ == "azure-native:kubernetesconfiguration:Extension":
            return {"provisioningState": "Succeeded", "currentVersion": inputs.get("version", "1.24.1")}
        if typ == "azure-native:kubernetesconfiguration:FluxConfiguration":
            # A configuration right after creation: ARM accepted it, Flux has not reconciled yet.
            return {"provisioningState": "Succeeded", "complianceState": "Pending"}
        return {}
