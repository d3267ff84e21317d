"""GitOpsCluster: the stamp. Resource group, identity, monitoring, cluster, Flux extension, then the
platform flux configuration and any namespace-scoped tenant configurations, in that order."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization, managedidentity, operationalinsights, resources

from .aks_cluster import AksCluster, AksClusterArgs
from .flux_configuration import FluxConfiguration, FluxConfigurationArgs, SecretValues
from .flux_extension import FluxExtension, FluxExtensionArgs
from .spec.cluster import ClusterSpec
from .spec.secrets import SecretRef

NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"


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
            resource_name_=f"id-{spec.name}",
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
                workspace_name=f"log-{spec.name}",
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
            cluster_deps.append(self._subnet_role(name, spec.network.vnet_subnet_id))

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
        self.platform = FluxConfiguration(
            f"{name}-{spec.flux.platform.name}",
            FluxConfigurationArgs(
                spec=spec.flux.platform,
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

    def _subnet_role(self, name: str, subnet_id: str) -> authorization.RoleAssignment:
        """With a custom VNet, the control-plane identity must manage the subnet (load balancers, routes)."""
        subscription = subnet_id.split("/")[2]
        return authorization.RoleAssignment(
            f"{name}-subnet-network-contributor",
            # Deterministic, so a re-run or a DR re-creation finds the same assignment instead of a duplicate.
            role_assignment_name=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{subnet_id}|{name}|network-contributor")),
            principal_id=self.identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{NETWORK_CONTRIBUTOR}",
            scope=subnet_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
