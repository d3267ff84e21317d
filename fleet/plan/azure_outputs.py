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

from components.azure_types import (
    EXTENSION,
    FLUX_CONFIGURATION,
    MANAGED_CLUSTER,
    USER_ASSIGNED_IDENTITY,
    WORKSPACE,
    by_token,
    identity_ids_to_arm,
)

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TENANT = "11111111-1111-1111-1111-111111111111"


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(parts)))


class AzureOutputs(pulumi_mocks.Mocks):
    def __init__(self, *, preview: bool) -> None:
        self.preview = preview

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        raise NotImplementedError(f"the program must not call {args.token}: keep the stamp free of invokes")

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        inputs = dict(args.inputs)
        azure_type = by_token(args.typ)
        name = inputs.get(azure_type.name_input, args.name) if azure_type else args.name
        state = {**inputs, "name": name}
        identity = inputs.get("identity")
        if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
            # ARM answers user-assigned identities as a map keyed by resource id, not the input list;
            # while an id is still unknown (preview) the whole output is unknown.
            ids = identity["userAssignedIdentities"]
            if all(isinstance(i, str) for i in ids):
                state["identity"] = {**identity, "userAssignedIdentities": identity_ids_to_arm(ids)}
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
        cluster = f"{rg}/providers/{MANAGED_CLUSTER.arm_type}/{cluster_name}"
        azure_type = by_token(typ)
        if azure_type is None:
            return f"{rg}/unknown/{name}"
        if azure_type.parent == "subscription":
            return rg
        if azure_type.parent == "scope":
            # An extension resource of whatever its scope input names.
            return f"{inputs.get(azure_type.scope_input, '')}/providers/{azure_type.arm_type}/{name}"
        if azure_type.parent == "cluster" and azure_type.arm_type.startswith(f"{MANAGED_CLUSTER.arm_type}/"):
            return f"{cluster}/{azure_type.arm_type.rsplit('/', 1)[-1]}/{name}"  # a child type: agentPools
        parent = cluster if azure_type.parent == "cluster" else rg
        return f"{parent}/providers/{azure_type.arm_type}/{name}"

    def _computed(self, typ: str, inputs: dict[str, Any], name: str, arm_id: str) -> dict[str, Any]:
        if typ == USER_ASSIGNED_IDENTITY.token:
            return {"principalId": _guid(arm_id, "principal"), "clientId": _guid(arm_id, "client"), "tenantId": TENANT}
        if typ == WORKSPACE.token:
            return {"customerId": _guid(arm_id, "customer")}
        if typ == MANAGED_CLUSTER.token:
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
        if typ == EXTENSION.token:
            return {"provisioningState": "Succeeded", "currentVersion": inputs.get("version", "1.24.1")}
        if typ == FLUX_CONFIGURATION.token:
            # A configuration right after creation: ARM accepted it, Flux has not reconciled yet.
            return {"provisioningState": "Succeeded", "complianceState": "Pending"}
        return {}
