"""WorkloadIdentity: a managed identity a Kubernetes service account signs in as.

The federated credential trusts the cluster's OIDC issuer for `system:serviceaccount:<ns>:<sa>` with the
audience `api://AzureADTokenExchange`, as Microsoft's steps do (learn.microsoft.com/azure/aks/
csi-secrets-store-identity-access: `az identity federated-credential create ... --issuer ${AKS_OIDC_ISSUER}
--subject system:serviceaccount:...`). Reading secrets needs Key Vault Secrets User on an RBAC vault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import managedidentity

from .role_assignment import grant
from .spec.cluster import WorkloadIdentitySpec

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    spec: WorkloadIdentitySpec
    cluster_name: str
    location: str
    resource_group_name: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str | None]
    tags: Mapping[str, str]


class WorkloadIdentity(pulumi.ComponentResource):
    identity: managedidentity.UserAssignedIdentity

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aksfleet:index:WorkloadIdentity", name, None, opts)
        spec = args.spec
        self.identity = managedidentity.UserAssignedIdentity(
            name,
            resource_name_=f"id-{args.cluster_name}-{spec.name}",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        managedidentity.FederatedIdentityCredential(
            f"{name}-federation",
            federated_identity_credential_resource_name=f"{spec.namespace}-{spec.service_account}"[:120],
            resource_name_=self.identity.name,
            resource_group_name=args.resource_group_name,
            issuer=args.oidc_issuer_url,
            subject=f"system:serviceaccount:{spec.namespace}:{spec.service_account}",
            audiences=[TOKEN_EXCHANGE_AUDIENCE],
            opts=pulumi.ResourceOptions(parent=self),
        )
        if spec.key_vault_secrets:
            grant(
                f"{name}-kv-secrets-user",
                role="Key Vault Secrets User",
                scope=spec.key_vault_secrets,
                principal_id=self.identity.principal_id,
                parent=self,
            )
        self.client_id = self.identity.client_id
        self.tenant_id = self.identity.tenant_id
        self.register_outputs({"clientId": self.client_id})
