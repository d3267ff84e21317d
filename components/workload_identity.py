"""WorkloadIdentity: a managed identity a Kubernetes service account signs in as.

The federated credential trusts the cluster's OIDC issuer for `system:serviceaccount:<ns>:<sa>` with the
audience `api://AzureADTokenExchange`, as Microsoft's steps do (learn.microsoft.com/azure/aks/
csi-secrets-store-identity-access: `az identity federated-credential create ... --issuer ${AKS_OIDC_ISSUER}
--subject system:serviceaccount:...`). Reading secrets needs Key Vault Secrets User on an RBAC vault.
The names, the subject and the audience come from WorkloadIdentitySpec, which `fleet render bicep` also reads
(bicep-templates/modules/workload-identity.bicep creates the same resources).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import managedidentity

from .role_assignment import grant
from .spec.cluster import TOKEN_EXCHANGE_AUDIENCE, WorkloadIdentitySpec


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
            resource_name_=spec.identity_name(args.cluster_name),
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        managedidentity.FederatedIdentityCredential(
            f"{name}-federation",
            federated_identity_credential_resource_name=spec.federated_credential_name,
            resource_name_=self.identity.name,
            resource_group_name=args.resource_group_name,
            issuer=args.oidc_issuer_url,
            subject=spec.subject,
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
