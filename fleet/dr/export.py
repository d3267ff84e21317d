"""Bring a hand-made cluster under Git before the disaster: live ARM objects → a stack file.

`spec_from_live` is the pure reverse of the components' mapping; `read_cluster` is the thin SDK read.
Secrets cannot be read back from Azure (protected settings are write-only), so an authenticated Git
source is exported with a placeholder secret and the exact `pulumi config set --secret` to run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from components.azure_types import AGENT_POOL, EXTENSION, FLUX_CONFIGURATION, MANAGED_CLUSTER, AzureType, to_plan
from components.spec.azure_names import default_resource_group
from components.spec.redact import MASK, credential_kinds, redact_data
from fleet.azure import AzureContext
from fleet.errors import BadInput

SECRET_PLACEHOLDER = "v1:SET-ME-with-pulumi-config-set-secret"
_ID = re.compile(
    r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.ContainerService/managedClusters/([^/]+)$",
    re.I,
)


@dataclass
class LiveCluster:
    cluster: dict[str, Any]
    pools: list[dict[str, Any]]
    extensions: list[dict[str, Any]]
    configurations: list[dict[str, Any]]


@dataclass
class Export:
    spec: dict[str, Any]
    todo: list[str] = field(default_factory=list)


def parse_cluster_id(cluster_id: str) -> tuple[str, str, str]:
    match = _ID.match(cluster_id.strip())
    if not match:
        raise BadInput(
            f"{cluster_id!r} is not a managed cluster id; accepted: "
            "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>"
        )
    return match.group(1), match.group(2), match.group(3)


def read_cluster(azure: AzureContext, cluster_id: str) -> LiveCluster:
    """The live objects, redacted as they are read: a credential in a source URL must not reach the stack file
    the export writes (the spec then refuses the redacted URL, naming the key to fix)."""
    subscription, rg, name = parse_cluster_id(cluster_id)
    containers = azure.container_service(subscription)
    config = azure.kubernetes_configuration(subscription)
    scope = (rg, "Microsoft.ContainerService", "managedClusters", name)
    return redact_data(
        LiveCluster(
            cluster={**containers.managed_clusters.get(rg, name).serialize(keep_readonly=True), "resourceGroup": rg},
            pools=[dict(p.serialize(keep_readonly=True)) for p in containers.agent_pools.list(rg, name)],
            extensions=[dict(e.serialize(keep_readonly=True)) for e in config.extensions.list(*scope)],
            configurations=[dict(c.serialize(keep_readonly=True)) for c in config.flux_configurations.list(*scope)],
        )
    )


def _props(azure_type: AzureType, obj: dict[str, Any]) -> dict[str, Any]:
    """An ARM object in the plan shape (properties lifted, envelope kept): the spec is read from that shape."""
    return to_plan(azure_type, obj)


def _pool(pool: dict[str, Any], *, system: bool) -> dict[str, Any]:
    taints = [t for t in pool.get("nodeTaints") or [] if t != "CriticalAddonsOnly=true:NoSchedule"]
    count = pool.get("count") or 1
    out: dict[str, Any] = {
        "name": pool["name"],
        "vmSize": pool.get("vmSize"),
        "minCount": pool.get("minCount", count) if pool.get("enableAutoScaling") else count,
        "maxCount": pool.get("maxCount", count) if pool.get("enableAutoScaling") else count,
        "zones": [str(z) for z in pool.get("availabilityZones") or []],
        "osSku": pool.get("osSKU", "AzureLinux"),
        "osDiskType": pool.get("osDiskType", "Managed"),
        "osDiskSizeGb": pool.get("osDiskSizeGB", 128),
        "maxPods": pool.get("maxPods", 30),
        "encryptionAtHost": bool(pool.get("enableEncryptionAtHost", False)),
        "labels": dict(pool.get("nodeLabels") or {}),
        "taints": taints,
    }
    if system:
        out["onlyCriticalAddons"] = "CriticalAddonsOnly=true:NoSchedule" in (pool.get("nodeTaints") or [])
    return out


def _version_policy(props: dict[str, Any]) -> dict[str, Any]:
    channel = (props.get("autoUpgradeProfile") or {}).get("upgradeChannel")
    version = str(props.get("currentKubernetesVersion") or props.get("kubernetesVersion") or "")
    if channel in ("patch", "stable", "rapid"):
        return {"policy": "auto", "version": ".".join(version.split(".")[:2]), "upgradeChannel": channel}
    return {"policy": "pinned", "version": version}


def spec_from_live(live: LiveCluster, *, environment: str) -> Export:
    todo: list[str] = []
    c = live.cluster
    props = _props(MANAGED_CLUSTER, c)
    addons = {k.lower(): v for k, v in (props.get("addonProfiles") or {}).items()}
    sec = props.get("securityProfile") or {}
    api = props.get("apiServerAccessProfile") or {}
    net = props.get("networkProfile") or {}
    aad = props.get("aadProfile") or {}
    pools = [p if "properties" not in p else {"name": p["name"], **_props(AGENT_POOL, p)} for p in live.pools]
    inline = [{**p} for p in props.get("agentPoolProfiles") or []]
    by_name = {p["name"]: p for p in [*inline, *pools]}
    system = next((p for p in by_name.values() if p.get("mode") == "System"), None)
    if system is None:
        raise BadInput("the cluster has no System-mode pool")
    kv = addons.get("azurekeyvaultsecretsprovider") or {}
    oms = addons.get("omsagent") or {}
    tags = {k: v for k, v in (props.get("tags") or {}).items() if k not in ("environment", "managed-by")}
    spec: dict[str, Any] = {
        "name": c["name"],
        "environment": environment,
        "location": props["location"],
        "skuTier": (props.get("sku") or {}).get("tier", "Free"),
        "kubernetes": {
            "versionPolicy": _version_policy(props),
            "nodeOsUpgradeChannel": (props.get("autoUpgradeProfile") or {}).get("nodeOSUpgradeChannel", "NodeImage"),
        },
        "network": {
            "plugin": net.get("networkPlugin", "azure"),
            "pluginMode": net.get("networkPluginMode", "overlay"),
            "dataplane": net.get("networkDataplane", "azure"),
            "policy": net.get("networkPolicy", "azure"),
            "podCidr": net.get("podCidr", "10.244.0.0/16"),
            "serviceCidr": net.get("serviceCidr", "10.0.0.0/16"),
            "dnsServiceIp": net.get("dnsServiceIP", "10.0.0.10"),
            "outboundType": net.get("outboundType", "loadBalancer"),
        },
        "apiServer": {
            "private": bool(api.get("enablePrivateCluster", False)),
            "authorizedIpRanges": list(api.get("authorizedIPRanges") or []),
            "disableRunCommand": bool(api.get("disableRunCommand", False)),
        },
        "entra": {
            "azureRbac": bool(aad.get("enableAzureRBAC", False)),
            "disableLocalAccounts": bool(props.get("disableLocalAccounts", False)),
            "adminGroupObjectIds": list(aad.get("adminGroupObjectIDs") or []),
        },
        "security": {
            "workloadIdentity": bool((sec.get("workloadIdentity") or {}).get("enabled", False)),
            "oidcIssuer": bool((props.get("oidcIssuerProfile") or {}).get("enabled", False)),
            "azurePolicy": bool((addons.get("azurepolicy") or {}).get("enabled", False)),
            "defender": {"enabled": bool(((sec.get("defender") or {}).get("securityMonitoring") or {}).get("enabled"))},
            "imageCleaner": {
                "enabled": bool((sec.get("imageCleaner") or {}).get("enabled", False)),
                "intervalHours": (sec.get("imageCleaner") or {}).get("intervalHours", 168),
            },
            "keyVaultSecretsProvider": {
                "enabled": bool(kv.get("enabled", False)),
                "rotation": str((kv.get("config") or {}).get("enableSecretRotation", "false")).lower() == "true",
                "rotationPollInterval": (kv.get("config") or {}).get("rotationPollInterval", "2m"),
            },
        },
        "monitoring": {"containerInsights": bool(oms.get("enabled", False))},
        "systemPool": _pool(system, system=True),
        "userPools": [
            _pool(p, system=False) for p in by_name.values() if p is not system and p.get("mode") != "System"
        ],
    }
    if tags:
        spec["tags"] = tags
    if c.get("resourceGroup") and c["resourceGroup"] != default_resource_group(c["name"]):
        spec["resourceGroup"] = c["resourceGroup"]
    # The config key loses its case once the add-on is re-enabled (github.com/Azure/azure-rest-api-specs/issues/10716).
    config = {str(k).lower(): v for k, v in (oms.get("config") or {}).items()}
    workspace = config.get("loganalyticsworkspaceresourceid")
    if workspace:
        spec["monitoring"]["logAnalyticsWorkspaceId"] = _arm_id(workspace)
        # The cluster does not say where its workspace is; the stamp's own workspaces share its region.
        spec["monitoring"]["workspaceLocation"] = props["location"]
        todo.append(
            f"monitoring.workspaceLocation: set to the cluster's region {props['location']!r}; "
            "change it if the workspace lives elsewhere (Container Insights' rule is created there)"
        )
    if system.get("vnetSubnetID"):
        spec["network"]["vnetSubnetId"] = _arm_id(system["vnetSubnetID"])
    if aad.get("tenantID"):
        spec["entra"]["tenantId"] = aad["tenantID"]
    kms = sec.get("azureKeyVaultKms") or {}
    if kms.get("enabled"):
        spec["security"]["kms"] = {
            "keyId": kms["keyId"],
            "keyVaultNetworkAccess": kms.get("keyVaultNetworkAccess", "Public"),
        }
        if kms.get("keyVaultResourceId"):
            spec["security"]["kms"]["keyVaultResourceId"] = _arm_id(kms["keyVaultResourceId"])
        else:
            # ARM reports the vault id only for private vaults; the stamp needs it to grant key access.
            todo.append("security.kms.keyVaultResourceId: add the resource id of the vault holding keyId")
    spec["flux"] = _flux(live, todo)
    return Export(spec, todo)


def _arm_id(value: str) -> str:
    """ARM answers ids with `resourcegroups` (ManagedClustersGet.json in tests/conformance/azure/arm); the spec
    writes the segment as the REST paths do."""
    return re.sub(r"^(/subscriptions/[^/]+/)resourcegroups/", r"\1resourceGroups/", value, flags=re.I)


def _flux(live: LiveCluster, todo: list[str]) -> dict[str, Any]:
    flux_ext = next(
        (e for e in live.extensions if str(_props(EXTENSION, e).get("extensionType", "")).lower() == "microsoft.flux"),
        None,
    )
    if flux_ext is None:
        raise BadInput("the cluster has no microsoft.flux extension: nothing to bring under GitOps yet")
    ext = _props(EXTENSION, flux_ext)
    settings = ext.get("configurationSettings") or {}

    def enabled(controller: str, default: bool) -> bool:
        return str(settings.get(f"{controller}.enabled", str(default))).lower() == "true"

    extension: dict[str, Any] = {
        "name": flux_ext["name"],
        "releaseTrain": ext.get("releaseTrain", "Stable"),
        "controllers": {
            "helm": enabled("helm-controller", True),
            "kustomize": enabled("kustomize-controller", True),
            "notification": enabled("notification-controller", True),
            "imageAutomation": enabled("image-automation-controller", False),
            "imageReflector": enabled("image-reflector-controller", False),
        },
        "multiTenancyEnforce": str(settings.get("multiTenancy.enforce", "true")).lower() == "true",
    }
    if ext.get("version") and not ext.get("autoUpgradeMinorVersion", True):
        extension["version"] = ext["version"]
    configs = [(c["name"], _props(FLUX_CONFIGURATION, c)) for c in live.configurations]
    platform = [(n, p) for n, p in configs if p.get("scope", "cluster") == "cluster"]
    if len(platform) != 1:
        raise BadInput(f"expected one cluster-scoped flux configuration, found {len(platform)}")
    out: dict[str, Any] = {"extension": extension, "platform": _configuration(*platform[0], todo, "flux.platform")}
    tenants = [(n, p) for n, p in configs if p.get("scope") == "namespace"]
    if tenants:
        out["tenants"] = [_configuration(n, p, todo, f"flux.tenants[{i}]") for i, (n, p) in enumerate(tenants)]
    return out


def _configuration(name: str, props: dict[str, Any], todo: list[str], path: str) -> dict[str, Any]:
    kind = props.get("sourceKind", "GitRepository")
    if kind != "GitRepository":
        raise BadInput(f"{name}: source kind {kind} is exported by hand (only GitRepository is automated)")
    git = props.get("gitRepository") or {}
    ref = {k: v for k, v in (git.get("repositoryRef") or {}).items() if v}
    source: dict[str, Any] = {"url": git.get("url"), "ref": ref}
    leaked = credential_kinds(str(git.get("url") or ""))
    if leaked:
        todo.append(
            f"{path}.source.git.url: the live URL carries {', '.join(leaked)}, exported as {MASK}; remove them and "
            "set the credential under auth as a Pulumi secret, then rotate it: it has been readable in Azure"
        )
    for key, spec_key in (("syncIntervalInSeconds", "syncIntervalSeconds"), ("timeoutInSeconds", "timeoutSeconds")):
        if git.get(key):
            source[spec_key] = git[key]
    secret_path = None
    if git.get("localAuthRef"):
        source["auth"] = {"kind": "localAuthRef", "secretName": git["localAuthRef"]}
    elif git.get("httpsUser"):
        source["auth"] = {"kind": "https", "user": git["httpsUser"], "key": {"secure": SECRET_PLACEHOLDER}}
        secret_path = f"{path}.source.git.auth.key"
    elif str(git.get("url", "")).startswith("ssh://"):
        source["auth"] = {"kind": "ssh", "privateKey": {"secure": SECRET_PLACEHOLDER}}
        if git.get("sshKnownHosts"):
            source["auth"]["knownHosts"] = git["sshKnownHosts"]
        secret_path = f"{path}.source.git.auth.privateKey"
    if secret_path:
        todo.append(
            f"pulumi config set --secret --path 'aksfleet:cluster.{secret_path}' <value> (not readable from Azure)"
        )
    kustomizations = {}
    for kname, k in (props.get("kustomizations") or {}).items():
        entry: dict[str, Any] = {"path": k.get("path", ""), "dependsOn": list(k.get("dependsOn") or [])}
        for key, spec_key in (
            ("prune", "prune"),
            ("force", "force"),
            ("wait", "wait"),
            ("syncIntervalInSeconds", "syncIntervalSeconds"),
            ("retryIntervalInSeconds", "retryIntervalSeconds"),
            ("timeoutInSeconds", "timeoutSeconds"),
        ):
            if k.get(key) is not None:
                entry[spec_key] = k[key]
        post = k.get("postBuild") or {}
        if post.get("substitute") or post.get("substituteFrom"):
            entry["postBuild"] = {
                "substitute": dict(post.get("substitute") or {}),
                "substituteFrom": list(post.get("substituteFrom") or []),
            }
        kustomizations[kname] = entry
    out: dict[str, Any] = {"name": name, "source": {"git": source}, "kustomizations": kustomizations}
    if props.get("scope") == "namespace" or props.get("namespace", "flux-system") != "flux-system":
        out["namespace"] = props.get("namespace")
    if props.get("suspend"):
        out["suspend"] = True
    return out
