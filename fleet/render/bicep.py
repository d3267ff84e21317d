"""`fleet render bicep`: the parameter file of bicep-templates/main.bicep for a stack, from the same spec.

The values are computed here from the spec directly (not from the Pulumi components' argument builders),
so the parity test against `fleet plan` compares two independent derivations of one source of truth. The
workload identities' names, subject and postBuild variable are the exception: WorkloadIdentitySpec derives them
once and both sides read them there, so the templates carry no naming rule of their own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from components.spec import ClusterSpec, load_stack
from components.spec.azure_names import key_vault_secret
from components.spec.cluster import (
    TOKEN_EXCHANGE_AUDIENCE,
    AutoVersionPolicy,
    NodePoolSpec,
    SystemPoolSpec,
    WorkloadIdentitySpec,
)
from components.spec.flux import BucketKeyAuth, FluxConfigurationSpec, HttpsAuth, SshAuth
from components.spec.problems import Problem, SpecError
from policies.baseline.facts.azure_naming import judge
from policies.baseline.facts.roles import role_id

_ENV = Environment(loader=PackageLoader("fleet.render", "templates"), undefined=StrictUndefined, autoescape=False)
_SECRET_PARAMETERS = {
    "httpsKey": "platformHttpsKey",
    "sshPrivateKey": "platformSshPrivateKey",
    "bucketSecretKey": "platformBucketSecretKey",
}
# The built-in roles main.bicep assigns (`roleDefinitionIds['<name>']`), rendered from the fact table
# builtin_roles so the templates carry no role GUID of their own.
TEMPLATE_ROLES = ("Network Contributor", "Key Vault Crypto User", "Key Vault Contributor", "Key Vault Secrets User")


def _pool(pool: NodePoolSpec) -> dict[str, Any]:
    taints = list(pool.taints)
    if isinstance(pool, SystemPoolSpec) and pool.only_critical_addons:
        taints = [
            "CriticalAddonsOnly=true:NoSchedule",
            *[t for t in taints if t != "CriticalAddonsOnly=true:NoSchedule"],
        ]
    return {
        "name": pool.name,
        "vmSize": pool.vm_size,
        "minCount": pool.min_count,
        "maxCount": pool.max_count,
        "zones": list(pool.zones),
        "osSku": pool.os_sku,
        "osDiskType": pool.os_disk_type,
        "osDiskSizeGb": pool.os_disk_size_gb,
        "maxPods": pool.max_pods,
        "encryptionAtHost": pool.encryption_at_host,
        "labels": dict(pool.labels),
        "taints": taints,
    }


def _configuration(config: FluxConfigurationSpec, scope: str) -> dict[str, Any]:
    src = config.source
    out: dict[str, Any] = {
        "name": config.name,
        "scope": scope,
        "namespace": config.namespace,
        "sourceKind": src.kind,
        "suspend": config.suspend,
        "waitForReconciliation": config.wait_for_reconciliation,
        "kustomizations": {
            name: {
                "path": k.path,
                "dependsOn": list(k.depends_on),
                "prune": k.prune,
                "force": k.force,
                "wait": k.wait,
                "syncIntervalInSeconds": k.sync_interval_seconds,
                "retryIntervalInSeconds": k.retry_interval_seconds,
                "timeoutInSeconds": k.timeout_seconds,
                **(
                    {
                        "postBuild": {
                            "substitute": dict(k.post_build.substitute),
                            "substituteFrom": [s.model_dump() for s in k.post_build.substitute_from],
                        }
                    }
                    if k.post_build
                    else {}
                ),
            }
            for name, k in config.kustomizations.items()
        },
    }
    if src.git:
        git: dict[str, Any] = {
            "url": src.git.url,
            "repositoryRef": src.git.ref.model_dump(exclude_none=True),
            "syncIntervalInSeconds": src.git.sync_interval_seconds,
            "timeoutInSeconds": src.git.timeout_seconds,
        }
        auth = src.git.auth
        if isinstance(auth, HttpsAuth):
            git["httpsUser"] = auth.user
            if auth.ca_cert:
                git["httpsCACert"] = auth.ca_cert
        elif isinstance(auth, SshAuth) and auth.known_hosts:
            git["sshKnownHosts"] = auth.known_hosts
        elif auth.kind == "localAuthRef":
            git["localAuthRef"] = auth.secret_name
        out["gitRepository"] = git
    elif src.bucket:
        bucket: dict[str, Any] = {
            "url": src.bucket.url,
            "bucketName": src.bucket.bucket_name,
            "insecure": src.bucket.insecure,
            "syncIntervalInSeconds": src.bucket.sync_interval_seconds,
            "timeoutInSeconds": src.bucket.timeout_seconds,
        }
        if isinstance(src.bucket.auth, BucketKeyAuth):
            bucket["accessKey"] = src.bucket.auth.access_key
        else:
            bucket["localAuthRef"] = src.bucket.auth.secret_name
        out["bucket"] = bucket
    elif src.azure_blob:
        blob: dict[str, Any] = {
            "url": src.azure_blob.url,
            "containerName": src.azure_blob.container_name,
            "syncIntervalInSeconds": src.azure_blob.sync_interval_seconds,
            "timeoutInSeconds": src.azure_blob.timeout_seconds,
        }
        if src.azure_blob.auth.kind == "managedIdentity":
            blob["managedIdentity"] = {"clientId": src.azure_blob.auth.client_id}
        else:
            blob["localAuthRef"] = src.azure_blob.auth.secret_name
        out["azureBlob"] = blob
    return out


def _workload_identity(w: WorkloadIdentitySpec, cluster_name: str) -> dict[str, Any]:
    """Names, trust and injected variable as the spec derives them (components/workload_identity.py uses the same);
    the template only creates what it is given."""
    return {
        "name": w.name,
        "identityName": w.identity_name(cluster_name),
        "federatedCredentialName": w.federated_credential_name,
        "subject": w.subject,
        "audiences": [TOKEN_EXCHANGE_AUDIENCE],
        "keyVaultSecrets": w.key_vault_secrets or "",
        "clientIdVariable": w.client_id_variable,
    }


# The deployment names main.bicep gives its modules: `${clusterName}<suffix>`, with `{}` the pool, identity or
# configuration name. tests/render/test_bicep.py checks this list against every module `name:` in main.bicep.
DEPLOYMENT_SUFFIXES = (
    "-identity",
    "-logs",
    "-subnet-role",
    "-kms-role",
    "-aks",
    "-insights",
    "-pool-{}",
    "-wi-{}",
    "-flux",
    "-flux-{}",
)


def deployment_names(spec: ClusterSpec) -> list[tuple[str, str]]:
    """(key path, deployment name) for every module deployment main.bicep would create for this stack."""
    items = {
        "-pool-{}": [(f"userPools[{i}].name", p.name) for i, p in enumerate(spec.user_pools)],
        "-wi-{}": [(f"workloadIdentities[{i}].name", w.name) for i, w in enumerate(spec.workload_identities)],
        "-flux-{}": [
            ("flux.platform.name", spec.flux.platform.name),
            *[(f"flux.tenants[{i}].name", t.name) for i, t in enumerate(spec.flux.tenants)],
        ],
    }
    names = []
    for suffix in DEPLOYMENT_SUFFIXES:
        for path, item in items.get(suffix, [("name", "")]):
            names.append((path, spec.name + suffix.format(item)))
    return names


def unsupported(spec: ClusterSpec, source: str) -> list[Problem]:
    """Features the Bicep templates do not carry, named, so such a stack is refused rather than half-deployed."""
    problems = [
        Problem(source, f"aksfleet:cluster.{path}", f"the Bicep deployment name {name!r} {problem}")
        for path, name in deployment_names(spec)
        if (problem := judge("deployment", name))
    ]
    for i, tenant in enumerate(spec.flux.tenants):
        if tenant.secret_settings:
            problems.append(
                Problem(
                    source,
                    f"aksfleet:cluster.flux.tenants[{i}].source",
                    "credentials for a tenant configuration: the Bicep templates carry secrets for "
                    "the platform configuration only; accepted: auth kind none or localAuthRef",
                )
            )
    if spec.entra.tenant_id:
        problems.append(
            Problem(
                source,
                "aksfleet:cluster.entra.tenantId",
                "a cross-tenant Entra ID is not carried by the Bicep templates",
            )
        )
    return problems


def parameters(spec: ClusterSpec) -> dict[str, Any]:
    policy = spec.kubernetes.version_policy
    sec = spec.security
    net = spec.network
    ext = spec.flux.extension
    from components.flux_extension import extension_settings  # the documented setting keys

    return {
        "clusterName": spec.name,
        "location": spec.location,
        "tags": spec.all_tags,
        "kubernetesVersion": policy.version,
        "upgradeChannel": policy.upgrade_channel if isinstance(policy, AutoVersionPolicy) else "none",
        "nodeOsUpgradeChannel": spec.kubernetes.node_os_upgrade_channel,
        "orchestratorVersion": "" if isinstance(policy, AutoVersionPolicy) else policy.version,
        "skuTier": spec.sku_tier,
        "network": {
            "dataplane": net.dataplane,
            "policy": net.policy,
            "podCidr": net.pod_cidr,
            "serviceCidr": net.service_cidr,
            "dnsServiceIp": net.dns_service_ip,
            "outboundType": net.outbound_type,
            "vnetSubnetId": net.vnet_subnet_id or "",
        },
        "enablePrivateCluster": spec.api_server.private,
        "authorizedIpRanges": list(spec.api_server.authorized_ip_ranges),
        "disableRunCommand": spec.api_server.disable_run_command,
        "enableAzureRbac": spec.entra.azure_rbac,
        "disableLocalAccounts": spec.entra.disable_local_accounts,
        "adminGroupObjectIds": list(spec.entra.admin_group_object_ids),
        "security": {
            "workloadIdentity": sec.workload_identity,
            "oidcIssuer": sec.oidc_issuer,
            "azurePolicy": sec.azure_policy,
            "defender": sec.defender.enabled,
            "imageCleaner": sec.image_cleaner.enabled,
            "imageCleanerIntervalHours": sec.image_cleaner.interval_hours,
            "keyVaultSecretsProvider": sec.key_vault_secrets_provider.enabled,
            "secretRotation": sec.key_vault_secrets_provider.rotation,
            "rotationPollInterval": sec.key_vault_secrets_provider.rotation_poll_interval,
        },
        "kmsKeyId": sec.kms.key_id if sec.kms else "",
        "kmsKeyVaultNetworkAccess": sec.kms.key_vault_network_access if sec.kms else "Public",
        "kmsKeyVaultResourceId": sec.kms.key_vault_resource_id if sec.kms else "",
        "roleDefinitionIds": {name: role_id(name) for name in TEMPLATE_ROLES},
        "containerInsights": spec.monitoring.container_insights,
        "logAnalyticsWorkspaceId": spec.monitoring.log_analytics_workspace_id or "",
        # Container Insights' data collection rule goes to the workspace's region (a created workspace: here).
        "workspaceLocation": spec.monitoring.workspace_location or spec.location,
        "retentionDays": spec.monitoring.retention_days,
        "systemPool": _pool(spec.system_pool),
        "userPools": [_pool(p) for p in spec.user_pools],
        "fluxExtension": {
            "name": ext.name,
            "releaseTrain": ext.release_train,
            "version": ext.version or "",
            "settings": extension_settings(ext),
        },
        "fluxConfigurations": [
            _configuration(spec.flux.platform, "cluster"),
            *[_configuration(t, "namespace") for t in spec.flux.tenants],
        ],
        "workloadIdentities": [_workload_identity(w, spec.name) for w in spec.workload_identities],
    }


def render_bicep_params(stacks_dir: Path, stack: str, *, key_vault_id: str | None = None) -> str:
    """Raises SpecError (exit 2) for a bad stack or a feature the templates do not carry."""
    loaded = load_stack(stacks_dir, stack)
    spec = loaded.spec
    problems = unsupported(spec, str(loaded.path))
    if problems:
        raise SpecError(problems)
    secrets = {}
    if key_vault_id:
        # The secret names were judged against Key Vault's rules when the stack loaded (azure_names.stack_findings).
        secrets = {_SECRET_PARAMETERS[k]: key_vault_secret(stack, k) for k in spec.flux.platform.secret_settings}
    text = _ENV.get_template("main.parameters.json.j2").render(
        stack=stack, parameters=parameters(spec), secrets=secrets, key_vault_id=key_vault_id or ""
    )
    json.loads(text)  # the template must always produce valid JSON
    return text


def secrets_needed(stacks_dir: Path, stack: str) -> list[str]:
    """The main.bicep secure parameters the stack's platform configuration needs (none are ever written)."""
    spec = load_stack(stacks_dir, stack).spec
    return sorted(_SECRET_PARAMETERS[k] for k in spec.flux.platform.secret_settings)
