"""Rules for Microsoft.ContainerService managedClusters and agentPools.

References name the anchors each rule matches: checkov ids (CKV_*), Azure Policy built-in definition
GUIDs (AzP), CIS AKS benchmark items (CIS). Pool rules look at every pool, inline and separate, where
checkov looks at `agentPoolProfiles[0]` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from . import ip_ranges
from .facts import kubernetes, regions, vm_sizes
from .model import (
    CLUSTER,
    POOL,
    Context,
    Resource,
    Rule,
    addon,
    get,
    get_bool,
    get_int,
    get_list,
    get_str,
    node_pools,
    pool_label,
)

CLUSTER_ONLY = (CLUSTER,)
POOLS = (CLUSTER, POOL)


def _local_accounts(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "disableLocalAccounts") is not True:
        yield "local accounts are enabled: a static admin kubeconfig bypasses Entra ID"


def _entra(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "aadProfile.managed") is not True:
        yield "Entra ID integration (aadProfile.managed) is not enabled"


def _azure_rbac(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "aadProfile.enableAzureRBAC") is not True:
        yield "Kubernetes authorization does not use Azure RBAC (aadProfile.enableAzureRBAC)"


def _k8s_rbac(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "enableRBAC", True) is False:
        yield "Kubernetes RBAC is disabled"


def _api_exposure(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "apiServerAccessProfile.enablePrivateCluster") is True:
        return
    ranges = get_list(r.props, "apiServerAccessProfile.authorizedIPRanges")
    if not ranges:
        yield "the API server is public and open to every address: make it private or set authorizedIPRanges"
        return
    # Judged by the union of the address space the list opens (policies/baseline/ip_ranges.py), so splitting
    # 0.0.0.0/0 into halves, or spelling it another way, changes nothing.
    exposure = ip_ranges.measure(ranges)
    for entry in exposure.unreadable:
        yield (
            f"authorizedIPRanges[{entry.index}] {entry.text[:80]!r}: {entry.problem}, so the space it opens is "
            "unknown; accepted: a CIDR such as 203.0.113.0/24"
        )
    widest = {4: int(ctx.config["widestIPv4Prefix"]), 6: int(ctx.config["widestIPv6Prefix"])}
    for line in ip_ranges.too_wide(exposure, widest):
        yield f"authorizedIPRanges: {line}; accepted: the ranges you administer from"


def _network_policy(r: Resource, ctx: Context) -> Iterator[str]:
    if get_str(r.props, "networkProfile.networkPolicy") in (None, "none"):
        yield "no network policy engine: pods cannot be isolated from each other"


def _azure_cni(r: Resource, ctx: Context) -> Iterator[str]:
    if get_str(r.props, "networkProfile.networkPlugin") != "azure":
        yield f"network plugin is {get_str(r.props, 'networkProfile.networkPlugin')!r}, not Azure CNI ('azure')"


def _node_public_ip(r: Resource, ctx: Context) -> Iterator[str]:
    for prefix, pool in node_pools(r):
        if get_bool(pool, "enableNodePublicIP") is True:
            yield f"{pool_label(r, prefix, pool)}: nodes get public IPs ({prefix}enableNodePublicIP)"


def _azure_policy_addon(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(addon(r.props, "azurepolicy"), "enabled") is not True:
        yield "the Azure Policy add-on is not enabled, so nothing Flux applies passes admission control"


def _defender(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "securityProfile.defender.securityMonitoring.enabled") is not True:
        yield "Defender for Containers security monitoring is not enabled"


def _workload_identity(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "securityProfile.workloadIdentity.enabled") is not True:
        yield "workload identity is not enabled: pods would need secrets to reach Azure"
    if get_bool(r.props, "oidcIssuerProfile.enabled") is not True:
        yield "the OIDC issuer is not enabled (workload identity needs it)"


def _managed_identity(r: Resource, ctx: Context) -> Iterator[str]:
    kind = get_str(r.props, "identity.type")
    if kind not in ("SystemAssigned", "UserAssigned"):
        yield f"cluster identity is {kind!r}: use a managed identity, not a service principal"
    client = get_str(r.props, "servicePrincipalProfile.clientId")
    if client not in (None, "msi"):
        yield "a service principal is configured (servicePrincipalProfile.clientId)"


_PATCH_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def _upgrade_channel(r: Resource, ctx: Context) -> Iterator[str]:
    channel = get_str(r.props, "autoUpgradeProfile.upgradeChannel")
    pinned = _PATCH_VERSION.match(get_str(r.props, "kubernetesVersion") or "") is not None
    if channel in (None, "none") and not pinned:
        yield "no upgrade channel and no pinned patch version: nobody owns the Kubernetes version"
    if channel not in (None, "none") and pinned:
        yield "a pinned patch version and an upgrade channel together fight each other: choose one policy"


def _node_os_channel(r: Resource, ctx: Context) -> Iterator[str]:
    channel = get_str(r.props, "autoUpgradeProfile.nodeOSUpgradeChannel")
    if channel not in ("NodeImage", "SecurityPatch"):
        yield f"node OS upgrade channel is {channel!r}; accepted: NodeImage or SecurityPatch"


def _encryption_at_host(r: Resource, ctx: Context) -> Iterator[str]:
    for prefix, pool in node_pools(r):
        if get_bool(pool, "enableEncryptionAtHost") is not True:
            yield f"{pool_label(r, prefix, pool)}: encryption at host is off ({prefix}enableEncryptionAtHost)"


def _kms(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "securityProfile.azureKeyVaultKms.enabled") is not True:
        yield "etcd secrets are not encrypted with a Key Vault key (securityProfile.azureKeyVaultKms)"


def _run_command(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "apiServerAccessProfile.disableRunCommand") is not True:
        yield "command invoke is enabled: anyone with ARM rights can run kubectl in the cluster"


def _ssh(r: Resource, ctx: Context) -> Iterator[str]:
    for prefix, pool in node_pools(r):
        if get_str(pool, "securityProfile.sshAccess") != "Disabled":
            yield f"{pool_label(r, prefix, pool)}: SSH to nodes is not disabled ({prefix}securityProfile.sshAccess)"


def _image_cleaner(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "securityProfile.imageCleaner.enabled") is not True:
        yield "Image Cleaner is off: unused vulnerable images stay on the nodes"


def _secret_rotation(r: Resource, ctx: Context) -> Iterator[str]:
    provider = addon(r.props, "azureKeyvaultSecretsProvider")
    if get_bool(provider, "enabled") is not True:
        yield "the Key Vault secrets provider is not enabled"
    elif str(get(provider, "config.enableSecretRotation", "false")).lower() != "true":
        yield "the Key Vault secrets provider does not rotate secrets (config.enableSecretRotation)"


def _dashboard(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(addon(r.props, "kubeDashboard"), "enabled") is True:
        yield "the Kubernetes dashboard add-on is enabled"


def _http_routing(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(addon(r.props, "httpApplicationRouting"), "enabled") is True:
        yield "HTTP application routing is enabled (not for production: public DNS, no TLS)"


def _paid_sku(r: Resource, ctx: Context) -> Iterator[str]:
    tier = get_str(r.props, "sku.tier", "Free")
    if tier not in ("Standard", "Premium"):
        yield f"SKU tier {tier!r} has no uptime SLA; accepted: Standard or Premium"


def _critical_addons_only(r: Resource, ctx: Context) -> Iterator[str]:
    for prefix, pool in node_pools(r):
        if get_str(pool, "mode") == "System":
            taints = [str(t) for t in get_list(pool, "nodeTaints")]
            if "CriticalAddonsOnly=true:NoSchedule" not in taints:
                label = pool_label(r, prefix, pool)
                yield f"{label}: system pool is not tainted CriticalAddonsOnly=true:NoSchedule"


def _zones(r: Resource, ctx: Context) -> Iterator[str]:
    for prefix, pool in node_pools(r):
        zones = get_list(pool, "availabilityZones")
        if len(set(map(str, zones))) < 3:
            yield f"{pool_label(r, prefix, pool)}: spans {len(zones)} availability zone(s); accepted: 3"


def _ephemeral_os(r: Resource, ctx: Context) -> Iterator[str]:
    for prefix, pool in node_pools(r):
        if get_str(pool, "osDiskType") != "Ephemeral":
            yield f"{pool_label(r, prefix, pool)}: OS disk is not ephemeral ({prefix}osDiskType)"


def _max_pods(r: Resource, ctx: Context) -> Iterator[str]:
    minimum = int(ctx.config.get("minimum", 50))
    for prefix, pool in node_pools(r):
        pods = get_int(pool, "maxPods")
        if pods is None or pods < minimum:
            yield f"{pool_label(r, prefix, pool)}: maxPods is {pods}; accepted: {minimum} or more"


def _scale_sets(r: Resource, ctx: Context) -> Iterator[str]:
    for prefix, pool in node_pools(r):
        if get_str(pool, "type", "VirtualMachineScaleSets") == "AvailabilitySet":
            yield f"{pool_label(r, prefix, pool)}: availability-set pools cannot autoscale or span zones"


def _container_insights(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(addon(r.props, "omsagent"), "enabled") is not True:
        yield "Container Insights (omsagent add-on) is not enabled"


def _versions(r: Resource) -> list[str]:
    """The control plane's version and every distinct pool version the cluster declares."""
    found = [v for v in [get_str(r.props, "kubernetesVersion")] if v]
    for _prefix, pool in node_pools(r):
        version = get_str(pool, "orchestratorVersion")
        if version and version not in found:
            found.append(version)
    return found


def _version_verdicts(r: Resource, ctx: Context) -> Iterator[kubernetes.VersionVerdict]:
    tier, plan = get_str(r.props, "sku.tier"), get_str(r.props, "supportPlan")
    for version in _versions(r):
        yield kubernetes.judge(version, tier=tier, support_plan=plan, today=ctx.today)


def _version_supported(r: Resource, ctx: Context) -> Iterator[str]:
    for verdict in _version_verdicts(r, ctx):
        yield from verdict.problems


def _version_near_end(r: Resource, ctx: Context) -> Iterator[str]:
    for verdict in _version_verdicts(r, ctx):
        yield from verdict.warnings


def _zones_offered(resources: Sequence[Resource], ctx: Context) -> Iterator[tuple[str, str]]:
    """Zones asked for in a region the region table says has none. One stack (or one live cluster) holds
    one cluster, so its separate AgentPools are in the cluster's region."""
    locations = {get_str(r.props, "location") for r in resources if r.key == CLUSTER} - {None}
    for location in sorted(str(x) for x in locations):
        if regions.has_zones(location) is not False:
            continue
        for r in resources:
            if r.key not in POOLS:
                continue
            for prefix, pool in node_pools(r):
                if get_list(pool, "availabilityZones"):
                    yield (
                        r.name,
                        f"{pool_label(r, prefix, pool)}: asks for availability zones, which {location} does not "
                        f"offer (facts/regions.toml); accepted: no zones, or a region with zones",
                    )


def _ephemeral_fits(r: Resource, ctx: Context) -> Iterator[str]:
    for prefix, pool in node_pools(r):
        size, disk = get_str(pool, "vmSize"), get_int(pool, "osDiskSizeGB")
        capacity = vm_sizes.ephemeral_capacity_gib(size) if size else None
        if get_str(pool, "osDiskType") == "Ephemeral" and disk and capacity is not None and disk > capacity:
            yield (
                f"{pool_label(r, prefix, pool)}: a {disk} GiB ephemeral OS disk does not fit the {capacity} GiB "
                f"disk of {size} (facts/vm_sizes.toml); accepted: osDiskSizeGb {capacity} or less, or a larger size"
            )


def _facts_cover(r: Resource, ctx: Context) -> Iterator[str]:
    location = get_str(r.props, "location")
    if r.key == CLUSTER and location and regions.has_zones(location) is None:
        yield f"region {location!r} is not in facts/regions.toml: zone support is not judged; add it with its source"
    for prefix, pool in node_pools(r):
        size = get_str(pool, "vmSize")
        if size and vm_sizes.ephemeral_capacity_gib(size) is None:
            yield (
                f"{pool_label(r, prefix, pool)}: VM size {size!r} is not in facts/vm_sizes.toml: its ephemeral "
                "OS disk is not judged; add it with its source"
            )


def _insights_collects(resources: Sequence[Resource], ctx: Context) -> Iterator[tuple[str, str]]:
    """With managed-identity auth the agent collects only what an associated data collection rule asks
    for (microsoft/Docker-Provider onboarding-msi templates always create the rule and the association)."""
    associated = any(r.key == ("monitor", "DataCollectionRuleAssociation") for r in resources)
    for r in resources:
        if r.key == CLUSTER and get_bool(addon(r.props, "omsagent"), "enabled") is True and not associated:
            yield r.name, "Container Insights is on but no data collection rule is associated: it collects nothing"


_NON_PROD_ADVISORY = {"dev": "advisory", "staging": "advisory"}
_ADVISORY = {"dev": "advisory", "staging": "advisory", "prod": "advisory"}


def _rule(**kwargs: object) -> Rule:
    return Rule(**kwargs)  # type: ignore[arg-type]


RULES: list[Rule] = [
    _rule(
        id="AKS-001",
        title="Local accounts disabled",
        severity="high",
        check=_local_accounts,
        property_path="disableLocalAccounts",
        applies_to=CLUSTER_ONLY,
        rationale="With local accounts any holder of the admin kubeconfig bypasses Entra ID and its audit trail.",
        remediation="Set disableLocalAccounts: true (spec: entra.disableLocalAccounts).",
        references=("CKV_AZURE_141", "AzP 993c2fcd-2b29-49d2-9eb0-df2c3a730c32", "CIS 5.5.1"),
    ),
    _rule(
        id="AKS-002",
        title="Entra ID integration",
        severity="high",
        check=_entra,
        property_path="aadProfile.managed",
        applies_to=CLUSTER_ONLY,
        rationale="Central identity: people authenticate with Entra ID and conditional access applies.",
        remediation="Set aadProfile.managed: true.",
        references=("AzP 450d2877-ebea-41e8-b00c-e286317d21bf", "CIS 5.5.1"),
    ),
    _rule(
        id="AKS-003",
        title="Azure RBAC for Kubernetes authorization",
        severity="medium",
        check=_azure_rbac,
        property_path="aadProfile.enableAzureRBAC",
        applies_to=CLUSTER_ONLY,
        rationale="Access is granted and reviewed through Azure role assignments, fleet-wide.",
        remediation="Set aadProfile.enableAzureRBAC: true (spec: entra.azureRbac).",
        references=("CIS 5.5.2",),
    ),
    _rule(
        id="AKS-004",
        title="Kubernetes RBAC enabled",
        severity="high",
        check=_k8s_rbac,
        property_path="enableRBAC",
        applies_to=CLUSTER_ONLY,
        rationale="Without RBAC every authenticated identity is cluster-admin.",
        remediation="Leave enableRBAC true.",
        references=("CKV_AZURE_5", "AzP ac4a19c2-fa67-49b4-8ae5-0b2e78c49457"),
    ),
    _rule(
        id="AKS-005",
        title="Private API server or authorized IP ranges",
        severity="high",
        check=_api_exposure,
        property_path="apiServerAccessProfile",
        applies_to=CLUSTER_ONLY,
        rationale="A public control-plane endpoint open to the internet invites credential stuffing and exploits.",
        remediation=(
            "Set apiServer.private: true, or list authorizedIpRanges that together open only the networks you "
            "administer from (at most widestIPv4Prefix / widestIPv6Prefix of public space)."
        ),
        references=(
            "CKV_AZURE_6",
            "CKV_AZURE_115",
            "AzP 040732e8-d947-40b8-95d6-854c95024bf8",
            "AzP 0e246bcf-5f6f-4f87-bc6f-775d4712c7ea",
            "CIS 5.4.1",
            "CIS 5.4.2",
        ),
        # The union of the ranges may open at most as many public addresses as one /8 (16.7 million IPv4
        # addresses) or one /32 (2^96 IPv6 addresses). The networks a team administers from (offices, VPN, CI
        # egress) are a few small blocks (the dev stack lists a /24 and a /28); a list past these sizes is
        # "everyone" in practice, so it blocks in every environment (the rule is mandatory everywhere), and an
        # environment that needs more sets its own value in policies/config/<env>.json. The floor of 2 keeps the
        # Azure Policy export, which denies any single range holding half a family's space, from denying what
        # this rule accepts.
        config_schema={
            "widestIPv4Prefix": {"type": "integer", "default": 8, "minimum": 2, "maximum": 32},
            "widestIPv6Prefix": {"type": "integer", "default": 32, "minimum": 2, "maximum": 128},
        },
    ),
    _rule(
        id="AKS-006",
        title="Network policy engine",
        severity="high",
        check=_network_policy,
        property_path="networkProfile.networkPolicy",
        applies_to=CLUSTER_ONLY,
        rationale="East-west isolation between namespaces needs a network policy engine.",
        remediation="Set network.policy (cilium, azure or calico).",
        references=("CKV_AZURE_7", "CIS 5.4.4"),
    ),
    _rule(
        id="AKS-007",
        title="Azure CNI",
        severity="medium",
        check=_azure_cni,
        property_path="networkProfile.networkPlugin",
        applies_to=CLUSTER_ONLY,
        rationale="kubenet is being retired and lacks the network features the baseline relies on.",
        remediation="Set network.plugin: azure (overlay).",
        references=("CKV2_AZURE_29", "AzP 46238e2f-3f6f-4589-9f3f-77bed4116e67"),
    ),
    _rule(
        id="AKS-008",
        title="No public IPs on nodes",
        severity="high",
        check=_node_public_ip,
        property_path="agentPoolProfiles[*].enableNodePublicIP",
        applies_to=POOLS,
        rationale="Nodes with public IPs are reachable from the internet, bypassing the cluster's egress path.",
        remediation="Leave enableNodePublicIP false on every pool.",
        references=("CKV_AZURE_143", "CIS 5.4.3"),
    ),
    _rule(
        id="AKS-009",
        title="Azure Policy add-on",
        severity="high",
        check=_azure_policy_addon,
        property_path="addonProfiles.azurepolicy.enabled",
        applies_to=CLUSTER_ONLY,
        rationale="Gatekeeper admission control is the in-cluster backstop for everything Flux applies.",
        remediation="Set security.azurePolicy: true.",
        references=("CKV_AZURE_116", "AzP 0a15ec92-a229-4763-bb14-0ea34a568f8d"),
    ),
    _rule(
        id="AKS-010",
        title="Defender for Containers",
        severity="medium",
        check=_defender,
        property_path="securityProfile.defender.securityMonitoring.enabled",
        applies_to=CLUSTER_ONLY,
        rationale="Runtime threat detection and vulnerability findings for the nodes and images.",
        remediation="Set security.defender.enabled: true.",
        references=("AzP a1840de2-8088-4ea8-b153-b4c723e9cb01", "CIS 5.1.1"),
    ),
    _rule(
        id="AKS-011",
        title="Workload identity and OIDC issuer",
        severity="high",
        check=_workload_identity,
        property_path="securityProfile.workloadIdentity.enabled",
        applies_to=CLUSTER_ONLY,
        rationale="Keyless pod-to-Azure authentication; no secrets to leak or rotate.",
        remediation="Set security.workloadIdentity and security.oidcIssuer to true.",
        references=("AzP 2cc2e023-0dac-4046-875b-178f683929d5", "CIS 5.2.1"),
    ),
    _rule(
        id="AKS-012",
        title="Managed identity",
        severity="high",
        check=_managed_identity,
        property_path="identity.type",
        applies_to=CLUSTER_ONLY,
        rationale="Service principals carry long-lived secrets that expire and leak.",
        remediation="Use a system- or user-assigned managed identity.",
        references=("AzP da6e2401-19da-4532-9141-fb8fbde08431",),
    ),
    _rule(
        id="AKS-013",
        title="Explicit Kubernetes version policy",
        severity="medium",
        check=_upgrade_channel,
        property_path="autoUpgradeProfile.upgradeChannel",
        applies_to=CLUSTER_ONLY,
        rationale="Either AKS upgrades (a channel) or the toolkit pins patch versions; never neither, never both.",
        remediation="versionPolicy {policy: auto, upgradeChannel: ...} or {policy: pinned, version: x.y.z}.",
        references=("CKV_AZURE_171", "AzP 5c345cdf-2049-47e0-b8fe-b0e96bc2df35"),
    ),
    _rule(
        id="AKS-014",
        title="Node OS upgrade channel",
        severity="medium",
        check=_node_os_channel,
        property_path="autoUpgradeProfile.nodeOSUpgradeChannel",
        applies_to=CLUSTER_ONLY,
        rationale="Node images carry OS security patches; they must be applied on a schedule.",
        remediation="Set kubernetes.nodeOsUpgradeChannel to NodeImage or SecurityPatch.",
        references=("AzP 04408ca5-aa10-42ce-8536-98955cdddd4c",),
    ),
    _rule(
        id="AKS-015",
        title="Encryption at host",
        severity="medium",
        check=_encryption_at_host,
        property_path="agentPoolProfiles[*].enableEncryptionAtHost",
        applies_to=POOLS,
        rationale="Temporary disks and OS disk caches are otherwise unencrypted.",
        remediation="Set encryptionAtHost: true on every pool (subscription feature EncryptionAtHost).",
        references=("CKV_AZURE_227", "AzP 41425d9f-d1a5-499a-9932-f8ed8453932c"),
    ),
    _rule(
        id="AKS-016",
        title="KMS encryption of etcd secrets",
        severity="medium",
        check=_kms,
        property_path="securityProfile.azureKeyVaultKms.enabled",
        applies_to=CLUSTER_ONLY,
        enforcement=_NON_PROD_ADVISORY,
        rationale="Kubernetes secrets at rest are encrypted with a customer key that can be revoked.",
        remediation="Set security.kms.keyId.",
        references=("AzP dbbdc317-9734-4dd8-9074-993b29c69008", "CIS 5.3.1"),
    ),
    _rule(
        id="AKS-017",
        title="Command invoke disabled",
        severity="medium",
        check=_run_command,
        property_path="apiServerAccessProfile.disableRunCommand",
        applies_to=CLUSTER_ONLY,
        rationale="Run command is a kubectl path through ARM that skips the API server's network controls.",
        remediation="Set apiServer.disableRunCommand: true.",
        references=("AzP 89f2d532-c53c-4f8f-9afa-4927b1114a0d",),
    ),
    _rule(
        id="AKS-018",
        title="SSH to nodes disabled",
        severity="medium",
        check=_ssh,
        property_path="agentPoolProfiles[*].securityProfile.sshAccess",
        applies_to=POOLS,
        rationale="Node access goes through `kubectl debug` under Entra RBAC and audit, not SSH keys.",
        remediation="Set securityProfile.sshAccess: Disabled on every pool.",
        references=("AzP 28257686-e9db-403e-b9e2-a5eecbe03da9",),
    ),
    _rule(
        id="AKS-019",
        title="Image Cleaner",
        severity="low",
        check=_image_cleaner,
        property_path="securityProfile.imageCleaner.enabled",
        applies_to=CLUSTER_ONLY,
        rationale="Removes unused images that carry known vulnerabilities.",
        remediation="Set security.imageCleaner.enabled: true.",
        references=("AzP af3c26b2-6fad-493e-9236-9c68928516ab",),
    ),
    _rule(
        id="AKS-020",
        title="Secrets Store CSI rotation",
        severity="medium",
        check=_secret_rotation,
        property_path="addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation",
        applies_to=CLUSTER_ONLY,
        rationale="Secrets rotated in Key Vault must reach the pods without a redeploy.",
        remediation="Enable security.keyVaultSecretsProvider with rotation: true.",
        references=("CKV_AZURE_172",),
    ),
    _rule(
        id="AKS-021",
        title="Kubernetes dashboard off",
        severity="high",
        check=_dashboard,
        property_path="addonProfiles.kubeDashboard.enabled",
        applies_to=CLUSTER_ONLY,
        rationale="The legacy dashboard is a known attack surface.",
        remediation="Do not enable kubeDashboard.",
        references=("CKV_AZURE_8",),
    ),
    _rule(
        id="AKS-022",
        title="HTTP application routing off",
        severity="medium",
        check=_http_routing,
        property_path="addonProfiles.httpApplicationRouting.enabled",
        applies_to=CLUSTER_ONLY,
        rationale="The add-on publishes unauthenticated public DNS names without TLS; it is not for production.",
        remediation="Use an ingress controller from the GitOps repository.",
        references=("CKV_AZURE_246",),
    ),
    _rule(
        id="AKS-023",
        title="Paid SKU tier (uptime SLA)",
        severity="medium",
        check=_paid_sku,
        property_path="sku.tier",
        applies_to=CLUSTER_ONLY,
        enforcement={"dev": "advisory"},
        rationale="The Free tier has no financially backed SLA for the control plane.",
        remediation="Set skuTier: Standard.",
        references=("CKV_AZURE_170",),
    ),
    _rule(
        id="AKS-024",
        title="System pool for critical add-ons only",
        severity="medium",
        check=_critical_addons_only,
        property_path="agentPoolProfiles[?mode==System].nodeTaints",
        applies_to=POOLS,
        rationale="Application pods must not starve CoreDNS, konnectivity and the Flux controllers.",
        remediation="systemPool.onlyCriticalAddons: true (taint CriticalAddonsOnly=true:NoSchedule).",
        references=("CKV_AZURE_232",),
    ),
    _rule(
        id="AKS-025",
        title="Zone-redundant pools",
        severity="medium",
        check=_zones,
        property_path="agentPoolProfiles[*].availabilityZones",
        applies_to=POOLS,
        enforcement={"dev": "advisory"},
        rationale="A zone outage must not take the cluster's capacity with it.",
        remediation="zones: ['1', '2', '3'] on every pool.",
        references=("AzP 2dec5f47-bc40-40d1-8c7d-a39d9d6808d1",),
    ),
    _rule(
        id="AKS-026",
        title="Ephemeral OS disks",
        severity="low",
        check=_ephemeral_os,
        property_path="agentPoolProfiles[*].osDiskType",
        applies_to=POOLS,
        enforcement=_NON_PROD_ADVISORY,
        rationale="Local OS disks reimage faster and cost nothing extra.",
        remediation="osDiskType: Ephemeral with a VM size whose cache or temp disk fits the OS disk.",
        references=("CKV_AZURE_226",),
    ),
    _rule(
        id="AKS-027",
        title="Enough pods per node",
        severity="low",
        check=_max_pods,
        property_path="agentPoolProfiles[*].maxPods",
        applies_to=POOLS,
        enforcement=_NON_PROD_ADVISORY,
        rationale="Too few pods per node wastes capacity and starves DaemonSets.",
        remediation="maxPods: 50 or more.",
        references=("CKV_AZURE_168",),
        config_schema={"minimum": {"type": "integer", "default": 50, "minimum": 10, "maximum": 250}},
    ),
    _rule(
        id="AKS-028",
        title="Scale-set node pools",
        severity="low",
        check=_scale_sets,
        property_path="agentPoolProfiles[*].type",
        applies_to=POOLS,
        rationale="Availability-set pools cannot autoscale or span zones.",
        remediation="type: VirtualMachineScaleSets.",
        references=("CKV_AZURE_169",),
    ),
    _rule(
        id="AKS-029",
        title="Container Insights",
        severity="medium",
        check=_container_insights,
        property_path="addonProfiles.omsagent.enabled",
        applies_to=CLUSTER_ONLY,
        rationale="Without container logs and metrics an incident cannot be investigated.",
        remediation="monitoring.containerInsights: true.",
        references=("CKV_AZURE_4",),
    ),
    _rule(
        id="AKS-031",
        title="Kubernetes version supported by AKS",
        severity="high",
        check=_version_supported,
        property_path="kubernetesVersion",
        applies_to=CLUSTER_ONLY,
        rationale="AKS refuses to create clusters or pools on a minor past its end of life unless Long Term "
        "Support is on, and an unsupported cluster gets no fixes.",
        remediation="kubernetes.versionPolicy.version: a supported minor (see `fleet facts aks_versions`), or "
        "skuTier: Premium with kubernetes.supportPlan: AKSLongTermSupport.",
        references=("learn.microsoft.com/azure/aks/supported-kubernetes-versions", "facts/aks_versions.toml"),
    ),
    _rule(
        id="AKS-032",
        title="Kubernetes version not near end of support",
        severity="medium",
        check=_version_near_end,
        property_path="kubernetesVersion",
        applies_to=CLUSTER_ONLY,
        enforcement=_ADVISORY,
        rationale="An upgrade takes a ring rollout to reach production; starting it 60 days ahead leaves room.",
        remediation="Plan the upgrade to a newer supported minor (see `fleet facts aks_versions`).",
        references=("facts/aks_versions.toml",),
    ),
    _rule(
        id="AKS-033",
        title="Availability zones offered in the region",
        severity="high",
        check=_zones_offered,
        stack_level=True,
        property_path="agentPoolProfiles[*].availabilityZones",
        applies_to=POOLS,
        rationale="Zones can only be used where the region has them.",
        remediation="Remove zones from the pools, or deploy to a region with availability zones.",
        references=("learn.microsoft.com/azure/reliability/regions-list", "facts/regions.toml"),
    ),
    _rule(
        id="AKS-034",
        title="Ephemeral OS disk fits the VM size",
        severity="high",
        check=_ephemeral_fits,
        property_path="agentPoolProfiles[*].osDiskSizeGB",
        applies_to=POOLS,
        rationale="An ephemeral OS disk lives on the VM's temp or NVMe disk; a larger one cannot be placed.",
        remediation="osDiskSizeGb no larger than the size's temp disk (see `fleet facts vm_sizes`), or a larger size.",
        references=("learn.microsoft.com/azure/aks/concepts-storage", "facts/vm_sizes.toml"),
    ),
    _rule(
        id="AKS-035",
        title="Outside facts cover the cluster",
        severity="low",
        check=_facts_cover,
        property_path="location, agentPoolProfiles[*].vmSize",
        applies_to=POOLS,
        enforcement=_ADVISORY,
        rationale="A region or VM size missing from the fact tables is not judged by AKS-033 / AKS-034.",
        remediation="Add the region or size to policies/baseline/facts/ with its source.",
        references=("fleet facts",),
    ),
    _rule(
        id="AKS-036",
        title="Container Insights has a data collection rule",
        severity="medium",
        check=_insights_collects,
        stack_level=True,
        live=False,
        property_path="addonProfiles.omsagent",
        applies_to=CLUSTER_ONLY,
        rationale="With managed-identity auth the monitoring agent collects nothing without an associated rule.",
        remediation="Keep monitoring.containerInsights on: the stamp creates the rule and its association.",
        references=("microsoft/Docker-Provider scripts/onboarding/aks/onboarding-msi-terraform/main.tf",),
    ),
]
