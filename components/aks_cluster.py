"""AksCluster: one ManagedCluster with exactly one inline System pool, every other pool a separate AgentPool.

Why the split: ARM refuses to add pools through the managed-cluster PUT and leaves removed inline pools
in place, and touching an inline pool puts every pool into Scaling (pulumi-azure-native #579, #4264). So
the inline profile is the System pool only, and all day-2 pool work goes through AgentPool resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import containerservice

from .spec.cluster import AutoVersionPolicy, ClusterSpec, NodePoolSpec, SystemPoolSpec

CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly=true:NoSchedule"
# Cluster create and upgrade take tens of minutes; the Pulumi default (and ARM's) can cut them off.
CLUSTER_TIMEOUTS = pulumi.CustomTimeouts(create="90m", update="90m", delete="60m")
POOL_TIMEOUTS = pulumi.CustomTimeouts(create="60m", update="60m", delete="60m")


def _pool_profile(spec: ClusterSpec, pool: NodePoolSpec) -> dict[str, Any]:
    policy = spec.kubernetes.version_policy
    profile: dict[str, Any] = {
        "vm_size": pool.vm_size,
        "count": pool.min_count,
        "enable_auto_scaling": True,
        "min_count": pool.min_count,
        "max_count": pool.max_count,
        "availability_zones": list(pool.zones),
        "os_type": "Linux",
        "os_sku": pool.os_sku,
        "os_disk_type": pool.os_disk_type,
        "os_disk_size_gb": pool.os_disk_size_gb,
        "max_pods": pool.max_pods,
        "type": "VirtualMachineScaleSets",
        "enable_encryption_at_host": pool.encryption_at_host,
        # Nodes get no public IPs; egress goes through the cluster's outbound path.
        "enable_node_public_ip": False,
        # No SSH daemon access to nodes: debugging goes through `kubectl debug node/...` under Entra RBAC.
        "security_profile": {"ssh_access": "Disabled"},
        "upgrade_settings": {"max_surge": "33%"},
        "node_labels": dict(pool.labels),
    }
    taints = list(pool.taints)
    if isinstance(pool, SystemPoolSpec):
        profile["mode"] = "System"
        if pool.only_critical_addons and CRITICAL_ADDONS_TAINT not in taints:
            taints.insert(0, CRITICAL_ADDONS_TAINT)
    else:
        profile["mode"] = "User"
    if taints:
        profile["node_taints"] = taints
    if spec.network.vnet_subnet_id:
        profile["vnet_subnet_id"] = spec.network.vnet_subnet_id
    if not isinstance(policy, AutoVersionPolicy):
        profile["orchestrator_version"] = policy.version
    return profile


def managed_cluster_args(
    spec: ClusterSpec,
    *,
    resource_group_name: pulumi.Input[str],
    identity_id: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
) -> dict[str, Any]:
    """The ManagedCluster inputs for a spec (snake_case azure-native arguments)."""
    policy = spec.kubernetes.version_policy
    sec = spec.security
    addons: dict[str, Any] = {
        # Gatekeeper in the cluster: admission control for everything Flux applies.
        "azurepolicy": {"enabled": sec.azure_policy, "config": {"version": "v2"}},
        "azureKeyvaultSecretsProvider": {
            "enabled": sec.key_vault_secrets_provider.enabled,
            "config": {
                "enableSecretRotation": str(sec.key_vault_secrets_provider.rotation).lower(),
                "rotationPollInterval": sec.key_vault_secrets_provider.rotation_poll_interval,
            },
        },
        "omsagent": {
            "enabled": spec.monitoring.container_insights,
            "config": {"logAnalyticsWorkspaceResourceID": workspace_id, "useAADAuth": "true"},
        },
    }
    security_profile: dict[str, Any] = {
        "workload_identity": {"enabled": sec.workload_identity},
        "image_cleaner": {"enabled": sec.image_cleaner.enabled, "interval_hours": sec.image_cleaner.interval_hours},
        "defender": {
            "log_analytics_workspace_resource_id": workspace_id,
            "security_monitoring": {"enabled": sec.defender.enabled},
        },
    }
    if sec.kms:
        security_profile["azure_key_vault_kms"] = {
            "enabled": True,
            "key_id": sec.kms.key_id,
            "key_vault_network_access": sec.kms.key_vault_network_access,
            # The API: "When keyVaultNetworkAccess is `Private`, this field is required ... When
            # keyVaultNetworkAccess is `Public`, leave the field empty" (managedClusters 2025-09-01).
            **(
                {"key_vault_resource_id": sec.kms.key_vault_resource_id}
                if sec.kms.key_vault_network_access == "Private"
                else {}
            ),
        }
    api_server: dict[str, Any] = {
        "enable_private_cluster": spec.api_server.private,
        "disable_run_command": spec.api_server.disable_run_command,
    }
    if spec.api_server.authorized_ip_ranges:
        api_server["authorized_ip_ranges"] = list(spec.api_server.authorized_ip_ranges)
    aad: dict[str, Any] = {
        "managed": True,
        "enable_azure_rbac": spec.entra.azure_rbac,
        "admin_group_object_ids": list(spec.entra.admin_group_object_ids),
    }
    if spec.entra.tenant_id:
        aad["tenant_id"] = spec.entra.tenant_id
    net = spec.network
    system_profile = {"name": spec.system_pool.name, **_pool_profile(spec, spec.system_pool)}
    return {
        "resource_name_": spec.name,
        "resource_group_name": resource_group_name,
        "location": spec.location,
        "tags": spec.all_tags,
        "dns_prefix": spec.dns_prefix,
        "kubernetes_version": policy.version,
        "sku": {"name": "Base", "tier": spec.sku_tier},
        "support_plan": spec.kubernetes.support_plan,
        "identity": {"type": "UserAssigned", "user_assigned_identities": [identity_id]},
        "enable_rbac": True,
        "disable_local_accounts": spec.entra.disable_local_accounts,
        "aad_profile": aad,
        "oidc_issuer_profile": {"enabled": sec.oidc_issuer},
        "security_profile": security_profile,
        "api_server_access_profile": api_server,
        "auto_upgrade_profile": {
            "upgrade_channel": policy.upgrade_channel if isinstance(policy, AutoVersionPolicy) else "none",
            "node_os_upgrade_channel": spec.kubernetes.node_os_upgrade_channel,
        },
        "network_profile": {
            "network_plugin": net.plugin,
            "network_plugin_mode": net.plugin_mode,
            "network_dataplane": net.dataplane,
            "network_policy": net.policy,
            "pod_cidr": net.pod_cidr,
            "service_cidr": net.service_cidr,
            "dns_service_ip": net.dns_service_ip,
            "outbound_type": net.outbound_type,
            "load_balancer_sku": "standard",
        },
        "addon_profiles": addons,
        "agent_pool_profiles": [system_profile],
    }


def cluster_ignore_changes(spec: ClusterSpec) -> list[str]:
    """Properties Azure changes on its own, which must not show as drift (or worse, as a downgrade).

    Auto version policy: AKS patches the control plane and pools, so versions are ignored (pulumi-azure-
    native #2059). The autoscaler owns the node count of every pool in both policies.
    """
    ignored = ["agentPoolProfiles[0].count"]
    if isinstance(spec.kubernetes.version_policy, AutoVersionPolicy):
        ignored += ["kubernetesVersion", "agentPoolProfiles[0].orchestratorVersion"]
    return ignored


def agent_pool_args(
    spec: ClusterSpec, pool: NodePoolSpec, *, resource_group_name: pulumi.Input[str], cluster_name: pulumi.Input[str]
) -> dict[str, Any]:
    return {
        "agent_pool_name": pool.name,
        "resource_group_name": resource_group_name,
        "resource_name_": cluster_name,
        **_pool_profile(spec, pool),
    }


def agent_pool_ignore_changes(spec: ClusterSpec) -> list[str]:
    ignored = ["count"]
    if isinstance(spec.kubernetes.version_policy, AutoVersionPolicy):
        ignored.append("orchestratorVersion")
    return ignored


@dataclass(frozen=True)
class AksClusterArgs:
    spec: ClusterSpec
    resource_group_name: pulumi.Input[str]
    identity_id: pulumi.Input[str]
    workspace_id: pulumi.Input[str]
    protect: bool = True
    # Prerequisites of the cluster itself (the subnet role assignment), passed to the ManagedCluster.
    depends_on: Sequence[pulumi.Resource] = ()


class AksCluster(pulumi.ComponentResource):
    cluster: containerservice.ManagedCluster
    pools: list[containerservice.AgentPool]

    def __init__(self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aksfleet:index:AksCluster", name, None, opts)
        spec = args.spec
        self.cluster = containerservice.ManagedCluster(
            name,
            **managed_cluster_args(
                spec,
                resource_group_name=args.resource_group_name,
                identity_id=args.identity_id,
                workspace_id=args.workspace_id,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=list(args.depends_on),
                ignore_changes=cluster_ignore_changes(spec),
                # The name is fixed (DR and fleet tooling address clusters by name), so a replacement
                # must delete first: create-before-delete would PUT over the live cluster, then delete it.
                delete_before_replace=True,
                custom_timeouts=CLUSTER_TIMEOUTS,
            ),
        )
        self.pools = []
        previous: pulumi.Resource = self.cluster
        for pool in spec.user_pools:
            # Chained: AKS runs one pool operation per cluster at a time and answers the rest with 409.
            agent_pool = containerservice.AgentPool(
                f"{name}-{pool.name}",
                **agent_pool_args(
                    spec, pool, resource_group_name=args.resource_group_name, cluster_name=self.cluster.name
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[previous],
                    ignore_changes=agent_pool_ignore_changes(spec),
                    custom_timeouts=POOL_TIMEOUTS,
                ),
            )
            self.pools.append(agent_pool)
            previous = agent_pool
        self.cluster_name = self.cluster.name
        self.cluster_id = self.cluster.id
        self.oidc_issuer_url = self.cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else None)
        self.register_outputs(
            {"clusterName": self.cluster_name, "clusterId": self.cluster_id, "oidcIssuerUrl": self.oidc_issuer_url}
        )
