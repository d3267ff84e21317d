"""GitOpsCluster: the stamp. Resource group, identity, monitoring, cluster, Flux extension, then the
platform flux configuration and any namespace-scoped tenant configurations, in that order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import managedidentity, operationalinsights, resources

from .aks_cluster import AksCluster, AksClusterArgs
from .container_insights import ContainerInsights, ContainerInsightsArgs
from .flux_configuration import FluxConfiguration, FluxConfigurationArgs, SecretValues
from .flux_extension import FluxExtension, FluxExtensionArgs
from .role_assignment import grant
from .spec import azure_names
from .spec.cluster import TENANT_ID_VARIABLE, ClusterSpec
from .spec.secrets import SecretRef
from .workload_identity import WorkloadIdentity, WorkloadIdentityArgs


@dataclass(frozen=True)
class GitOpsClusterArgs:
    spec: ClusterSpec
    secrets: Mapping[SecretRef, pulumi.Output[str]] = field(default_factory=dict)
    protect: bool = True


class GitOpsCluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: GitOpsClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aksfleet:index:GitOpsCluster", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)

        self.resource_group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=spec.resource_group_name,
            location=spec.location,
            tags=spec.all_tags,
            opts=child,
        )
        rg_name = self.resource_group.name
        # A user-assigned control-plane identity survives cluster re-creation, so role assignments made
        # to it (subnet, DNS zone, Key Vault) do not have to be redone in a DR.
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=azure_names.control_plane_identity(spec.name),
            resource_group_name=rg_name,
            location=spec.location,
            tags=spec.all_tags,
            opts=child,
        )
        workspace_id: pulumi.Input[str]
        if spec.monitoring.log_analytics_workspace_id:
            workspace_id = spec.monitoring.log_analytics_workspace_id
        else:
            self.workspace = operationalinsights.Workspace(
                f"{name}-logs",
                workspace_name=azure_names.workspace(spec.name),
                resource_group_name=rg_name,
                location=spec.location,
                sku={"name": "PerGB2018"},
                retention_in_days=spec.monitoring.retention_days,
                tags=spec.all_tags,
                opts=child,
            )
            workspace_id = self.workspace.id
        cluster_deps: list[pulumi.Resource] = []
        if spec.network.vnet_subnet_id:
            # With a custom VNet the control-plane identity manages the subnet (load balancers, routes).
            cluster_deps.append(
                grant(
                    f"{name}-subnet-network-contributor",
                    role="Network Contributor",
                    scope=spec.network.vnet_subnet_id,
                    principal_id=self.identity.principal_id,
                    parent=self,
                )
            )
        if spec.security.kms:
            cluster_deps += self._kms_access(name, spec)

        self.aks = AksCluster(
            f"{name}-aks",
            AksClusterArgs(
                spec=spec,
                resource_group_name=rg_name,
                identity_id=self.identity.id,
                workspace_id=workspace_id,
                protect=args.protect,
                depends_on=cluster_deps,
            ),
            opts=child,
        )
        cluster_name = self.aks.cluster.name
        if spec.monitoring.container_insights:
            self.insights = ContainerInsights(
                f"{name}-insights",
                ContainerInsightsArgs(
                    cluster_name=spec.name,
                    cluster_id=self.aks.cluster_id,
                    resource_group_name=rg_name,
                    workspace_id=workspace_id,
                    workspace_location=spec.monitoring.workspace_location or spec.location,
                    tags=spec.all_tags,
                    depends_on=[self.aks.cluster],
                ),
                opts=child,
            )
        self.flux = FluxExtension(
            f"{name}-flux",
            FluxExtensionArgs(
                spec=spec.flux.extension,
                resource_group_name=rg_name,
                cluster_name=cluster_name,
                protect=args.protect,
                # Flux controllers schedule on user pools (the system pool is tainted), so those come first.
                depends_on=[self.aks.cluster, *self.aks.pools],
            ),
            opts=child,
        )
        secrets: SecretValues = args.secrets
        self.workload_identities = [
            WorkloadIdentity(
                f"{name}-wi-{w.name}",
                WorkloadIdentityArgs(
                    spec=w,
                    cluster_name=spec.name,
                    location=spec.location,
                    resource_group_name=rg_name,
                    oidc_issuer_url=self.aks.oidc_issuer_url,
                    tags=spec.all_tags,
                ),
                opts=child,
            )
            for w in spec.workload_identities
        ]
        injected: dict[str, pulumi.Input[str]] = {
            w.client_id_variable: identity.client_id
            for w, identity in zip(spec.workload_identities, self.workload_identities, strict=True)
        }
        if self.workload_identities:
            injected[TENANT_ID_VARIABLE] = self.workload_identities[0].tenant_id
        self.platform = FluxConfiguration(
            f"{name}-{spec.flux.platform.name}",
            FluxConfigurationArgs(
                spec=spec.flux.platform,
                injected_substitutions=injected,
                scope="cluster",
                resource_group_name=rg_name,
                cluster_name=cluster_name,
                secrets=secrets,
                protect=args.protect,
                depends_on=[self.flux.extension],
            ),
            opts=child,
        )
        self.tenants = [
            FluxConfiguration(
                f"{name}-{tenant.name}",
                FluxConfigurationArgs(
                    spec=tenant,
                    scope="namespace",
                    resource_group_name=rg_name,
                    cluster_name=cluster_name,
                    secrets=secrets,
                    protect=args.protect,
                    # Tenants build on what the platform installs (CRDs, namespaces, policies).
                    depends_on=[self.flux.extension, self.platform.configuration],
                ),
                opts=child,
            )
            for tenant in spec.flux.tenants
        ]
        self.outputs = {
            "resourceGroupName": rg_name,
            "clusterName": cluster_name,
            "clusterId": self.aks.cluster_id,
            "oidcIssuerUrl": self.aks.oidc_issuer_url,
            "controlPlaneIdentityPrincipalId": self.identity.principal_id,
            "fluxExtensionName": self.flux.extension_name,
            "platformConfigurationName": self.platform.configuration_name,
        }
        self.register_outputs(self.outputs)

    def _kms_access(self, name: str, spec: ClusterSpec) -> list[pulumi.Resource]:
        """KMS needs the control-plane identity's key access *before* it is enabled, so the cluster waits
        for these (learn.microsoft.com/azure/aks/use-kms-etcd-encryption, "Limitations" and "Assign
        permissions"). The stamp supports Azure RBAC vaults only (Key Vault Crypto User on the vault); an
        access-policy vault needs `az keyvault set-policy --key-permissions decrypt encrypt` by hand."""
        kms = spec.security.kms
        assert kms is not None
        grants: list[pulumi.Resource] = [
            grant(
                f"{name}-kms-crypto-user",
                role="Key Vault Crypto User",
                scope=kms.key_vault_resource_id,
                principal_id=self.identity.principal_id,
                parent=self,
            )
        ]
        if kms.key_vault_network_access == "Private":
            # A private vault: AKS creates the private link itself and needs Key Vault Contributor for it.
            grants.append(
                grant(
                    f"{name}-kms-vault-contributor",
                    role="Key Vault Contributor",
                    scope=kms.key_vault_resource_id,
                    principal_id=self.identity.principal_id,
                    parent=self,
                )
            )
        return grants
