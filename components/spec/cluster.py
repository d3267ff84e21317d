"""The cluster spec: one AKS cluster and its GitOps, as declared in `stacks/Pulumi.<stack>.yaml`.

Every default here is the secure choice (in the spirit of Azure Verified Modules and the AKS baseline):
a stack that states only its identity, location, network exposure and Git source already passes the
production baseline. Each choice is explained where it is made.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from . import azure_names
from .azure_names import azure_name
from .base import SpecModel
from .flux import FluxSpec
from .suppressions import SuppressionSpec

Environment = Literal["dev", "staging", "prod"]
Zone = Literal["1", "2", "3"]
Guid = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")]
ArmId = Annotated[str, StringConstraints(pattern=r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$")]


class AutoVersionPolicy(SpecModel):
    """AKS upgrades the cluster within `version`'s line; the toolkit ignores version drift on diff."""

    policy: Literal["auto"]
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+$")]
    upgrade_channel: Literal["patch", "stable", "rapid"] = "stable"


class PinnedVersionPolicy(SpecModel):
    """The toolkit owns versions: the control plane and every pool run exactly `version`."""

    policy: Literal["pinned"]
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]


class KubernetesSpec(SpecModel):
    version_policy: Annotated[AutoVersionPolicy | PinnedVersionPolicy, Field(discriminator="policy")]
    # Long Term Support keeps a minor supported a year past its end of life; AKS requires the Premium tier
    # for it (learn.microsoft.com/azure/aks/long-term-support). AKS-031 judges the pair.
    support_plan: Literal["KubernetesOfficial", "AKSLongTermSupport"] = "KubernetesOfficial"
    # Node images are patched weekly whatever the version policy: this is OS patching, not Kubernetes.
    node_os_upgrade_channel: Literal["NodeImage", "SecurityPatch", "Unmanaged", "None"] = "NodeImage"


class NetworkSpec(SpecModel):
    # Azure CNI overlay: pod IPs do not consume VNet space and network policy engines are supported.
    plugin: Literal["azure"] = "azure"
    plugin_mode: Literal["overlay"] = "overlay"
    dataplane: Literal["azure", "cilium"] = "cilium"
    # A network policy engine is always on: east-west traffic is denied where a namespace asks for it.
    policy: Literal["azure", "calico", "cilium"] = "cilium"
    pod_cidr: str = "10.244.0.0/16"
    service_cidr: str = "10.0.0.0/16"
    dns_service_ip: str = "10.0.0.10"
    outbound_type: Literal["loadBalancer", "userDefinedRouting", "managedNATGateway", "userAssignedNATGateway"] = (
        "loadBalancer"
    )
    vnet_subnet_id: ArmId | None = None


class ApiServerSpec(SpecModel):
    # Private by default: the toolkit talks to Azure Resource Manager only (Flux is driven through the
    # extension), so nothing here needs to reach the Kubernetes API from outside the VNet.
    private: bool = True
    authorized_ip_ranges: list[str] = []
    disable_run_command: bool = True


class EntraSpec(SpecModel):
    # Kubernetes RBAC decided by Azure role assignments; no static admin kubeconfig exists.
    azure_rbac: bool = True
    disable_local_accounts: bool = True
    admin_group_object_ids: list[Guid] = []
    tenant_id: Guid | None = None


class DefenderSpec(SpecModel):
    enabled: bool = True


class ImageCleanerSpec(SpecModel):
    enabled: bool = True
    interval_hours: int = Field(default=168, ge=24, le=2160)


class KeyVaultSecretsProviderSpec(SpecModel):
    enabled: bool = True
    rotation: bool = True
    rotation_poll_interval: Annotated[str, StringConstraints(pattern=r"^\d+[smh]$")] = "2m"


# An ARM resource id of a Key Vault (Microsoft.KeyVault/vaults), as the stack file and `--key-vault-id` take it.
KEY_VAULT_ID_PATTERN = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[^/]+$"
KeyVaultId = Annotated[str, StringConstraints(pattern=KEY_VAULT_ID_PATTERN)]


class KmsSpec(SpecModel):
    """etcd encryption with a Key Vault key (the key id includes its version).

    The vault's resource id is required: the stamp grants the control-plane identity access on it before
    AKS enables KMS (which AKS requires), and it must use Azure RBAC (see GitOpsCluster._kms_access)."""

    key_id: Annotated[str, StringConstraints(pattern=r"^https://[^/]+/keys/[^/]+/[^/]+$")]
    key_vault_resource_id: KeyVaultId
    key_vault_network_access: Literal["Public", "Private"] = "Public"


class SecuritySpec(SpecModel):
    workload_identity: bool = True
    oidc_issuer: bool = True
    azure_policy: bool = True
    defender: DefenderSpec = DefenderSpec()
    image_cleaner: ImageCleanerSpec = ImageCleanerSpec()
    key_vault_secrets_provider: KeyVaultSecretsProviderSpec = KeyVaultSecretsProviderSpec()
    kms: KmsSpec | None = None


class MonitoringSpec(SpecModel):
    container_insights: bool = True
    # Without a workspace id the stamp creates one per cluster; fleets usually pass a shared one.
    log_analytics_workspace_id: ArmId | None = None
    # The region of that shared workspace: Container Insights' data collection rule is created there
    # (Microsoft's onboarding templates place it in the workspace region). Required with a workspace id.
    workspace_location: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")] | None = None
    retention_days: int = Field(default=30, ge=30, le=730)


IdentityName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,23}$")]
K8sName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]


class WorkloadIdentitySpec(SpecModel):
    """A managed identity a Kubernetes service account signs in as (workload identity), for example to read
    Key Vault secrets through the Secrets Store CSI driver. The stamp creates the identity, federates it
    with the cluster's OIDC issuer for `system:serviceaccount:<namespace>:<serviceAccount>`, and hands its
    client id to the platform's kustomizations as `${<name>_client_id}` (with `${azure_tenant_id}`)."""

    name: IdentityName
    namespace: K8sName
    service_account: K8sName
    # Grants Key Vault Secrets User on this (Azure RBAC) vault.
    key_vault_secrets: KeyVaultId | None = None

    # The names and the trust below are derived here once: the Pulumi component (components/workload_identity.py)
    # creates the resources from them and `fleet render bicep` hands them to bicep-templates/ as parameters.
    # (azure_names computes each Azure name once and judges it against facts/azure_naming.toml at load.)
    def identity_name(self, cluster_name: str) -> str:
        return azure_names.workload_identity(cluster_name, self.name)

    @property
    def federated_credential_name(self) -> str:
        return azure_names.federated_credential(self.namespace, self.service_account)

    @property
    def subject(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"

    @property
    def client_id_variable(self) -> str:
        return f"{self.name.replace('-', '_')}_client_id"


TENANT_ID_VARIABLE = "azure_tenant_id"
# The audience AKS workload identity tokens carry (learn.microsoft.com/azure/aks/csi-secrets-store-identity-access).
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


PoolName = Annotated[str, azure_name("agentPool")]
Taint = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9./_-]+(=[A-Za-z0-9._-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$")
]


class NodePoolSpec(SpecModel):
    name: PoolName
    vm_size: str = "Standard_D4ds_v5"
    # Autoscaled between min and max; `count` is the starting size and is ignored on diff afterwards.
    min_count: int = Field(default=3, ge=0, le=1000)
    max_count: int = Field(default=5, ge=1, le=1000)
    zones: list[Zone] = ["1", "2", "3"]
    os_sku: Literal["AzureLinux", "Ubuntu"] = "AzureLinux"
    # Ephemeral OS disks live on the VM's local storage: faster reimage, no managed-disk cost.
    os_disk_type: Literal["Ephemeral", "Managed"] = "Ephemeral"
    os_disk_size_gb: int = Field(default=128, ge=30, le=2048)
    max_pods: int = Field(default=50, ge=10, le=250)
    encryption_at_host: bool = True
    labels: dict[str, str] = {}
    taints: list[Taint] = []


class SystemPoolSpec(NodePoolSpec):
    name: PoolName = "system"
    # Keeps application pods off the nodes that run CoreDNS, konnectivity and the Flux controllers.
    only_critical_addons: bool = True


class ClusterSpec(SpecModel):
    # Azure's rules for these names are data (policies/baseline/facts/azure_naming.toml), judged as they are read;
    # every name derived from them is judged after the spec loads (azure_names.name_findings, via check_cluster).
    name: Annotated[str, azure_name("managedCluster")]
    environment: Environment
    location: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")]
    resource_group: Annotated[str, azure_name("resourceGroup")] | None = None
    tags: dict[str, str] = {}
    # Paid tier carries the uptime SLA; a dev stack may opt down to Free explicitly.
    sku_tier: Literal["Free", "Standard", "Premium"] = "Standard"
    kubernetes: KubernetesSpec
    network: NetworkSpec = NetworkSpec()
    api_server: ApiServerSpec = ApiServerSpec()
    entra: EntraSpec = EntraSpec()
    security: SecuritySpec = SecuritySpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    system_pool: SystemPoolSpec = SystemPoolSpec()
    user_pools: list[NodePoolSpec] = []
    workload_identities: list[WorkloadIdentitySpec] = []
    flux: FluxSpec
    # Baseline findings accepted for one resource each, with a reason and an expiry (suppressions.py).
    suppressions: list[SuppressionSpec] = []

    @property
    def injected_substitutions(self) -> list[str]:
        """Variables the stamp adds to every platform kustomization that has postBuild (values known only
        after apply): one client id per workload identity, and the tenant they sign in to."""
        if not self.workload_identities:
            return []
        return [*(w.client_id_variable for w in self.workload_identities), TENANT_ID_VARIABLE]

    @property
    def resource_group_name(self) -> str:
        return self.resource_group or azure_names.default_resource_group(self.name)

    @property
    def dns_prefix(self) -> str:
        return azure_names.dns_prefix(self.name)

    @property
    def all_tags(self) -> dict[str, str]:
        return {"environment": self.environment, "managed-by": "aksfleet", **self.tags}
