"""Export the baseline as an Azure Policy initiative, so clusters this repository does not manage (made by
hand, by another team, Arc-enabled) are held to the same rules, at management-group scale, inside Azure.

- Audit/Deny definitions for the catalogue's cluster rules that Azure Policy can express with
  `Microsoft.ContainerService/managedClusters` aliases (the aliases the built-in AKS definitions use). Pool rules
  also judge separately created `Microsoft.ContainerService/managedClusters/agentPools` resources, which a
  cluster-only condition never sees. Rules that aliases cannot express are listed, with the reason, in the
  initiative's metadata; rules they express only in part say what is missing in the definition's description and
  the initiative's metadata.
- Two DeployIfNotExists definitions, each shaped like its nearest Microsoft built-in (cited at the function): the
  microsoft.flux extension, and the platform flux configuration, for AKS and Arc-enabled clusters. The
  configuration's template does not declare the extension (a PUT of it would overwrite a pinned version or train):
  like the built-in, its remediation needs the extension that the first definition installs.
- Git CA certificates travel in `httpsCACert` (the REST name; some built-ins misspell it `httpsCAFile`).

Definitions are named `aksfleet-<rule id>`; the initiative references them under the management group
given at export time, and is deployed with `az policy definition create`/`az policy set-definition create`
(or a Bicep loop over the files).

Alias names come from `Get-AzPolicyAlias` as published in maciejporebski/azure-policy-aliases
(aliases/Microsoft.ContainerService/managedClusters.md and managedClusters-agentPools.md, aliases/
Microsoft.KubernetesConfiguration/extensions.md and fluxConfigurations.md @ 92a03715147cba9f2cb77d69ac913e84cc7c47d1).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.azure_types import AGENT_POOL, KUBERNETESCONFIGURATION_API_VERSION, MANAGED_CLUSTER
from fleet.policy.config import CONFIG_DIR, load_config
from policies.baseline import BY_ID, CATALOGUE, Rule
from policies.baseline.facts.roles import role_id

CLUSTER_TYPE = MANAGED_CLUSTER.arm_type
POOL_TYPE = AGENT_POOL.arm_type
ARC_TYPE = "Microsoft.Kubernetes/connectedClusters"
MC = f"{CLUSTER_TYPE}/"
AP = f"{POOL_TYPE}/"
KC_API = KUBERNETESCONFIGURATION_API_VERSION
# Both Microsoft built-ins this export mirrors remediate with Contributor (Kubernetes Extension Contributor cannot
# write fluxConfigurations): Kubernetes/Deploy-GitOps-Flux2-Extension-to-Kubernetes-cluster_DINE.json
# (f9175d5f-abc8-1dc3-bd3c-5d7476ada3d1) and Kubernetes/Deploy-GitOps-Flux2-to-Kubernetes-cluster-no-secrets_DINE.json
# (Azure/azure-policy built-in-policies/policyDefinitions @ f4a50bacae07ddb096943c597669bcae494a6e29).
REMEDIATION_ROLE = "Contributor"


def _role_definition_id(name: str) -> str:
    return f"/providers/Microsoft.Authorization/roleDefinitions/{role_id(name)}"


def _not(field: str, value: Any) -> dict[str, Any]:
    """A compliant value is `value`; anything else (or missing) is a violation."""
    return {"anyOf": [{"field": f"{MC}{field}", "exists": "false"}, {"field": f"{MC}{field}", "notEquals": value}]}


Field = Callable[[str], str]
INLINE: Field = lambda prop: f"{MC}agentPoolProfiles[*].{prop}"  # noqa: E731 - a pool property, inline
SEPARATE: Field = lambda prop: f"{AP}{prop}"  # noqa: E731 - the same property on a separate agentPools resource


def _pools_where(violation: Callable[[Field], dict[str, Any]]) -> dict[str, Any]:
    """Some pool violates: an inline pool of a cluster, or a separately created agentPools resource.

    A cluster PUT carries only the pools it declares; pools added with `az aks nodepool add` (or a Pulumi AgentPool)
    are `Microsoft.ContainerService/managedClusters/agentPools` resources, evaluated on their own, with their own
    aliases (managedClusters-agentPools.md in the alias list cited above; Azure/Community-Policy
    policyDefinitions/Kubernetes/ensure-ephemeral-disks-are-used-for-os-disks-on-agent-pools judges them this way).
    """
    return {
        "anyOf": [
            {
                "allOf": [
                    {"field": "type", "equals": CLUSTER_TYPE},
                    {"count": {"field": f"{MC}agentPoolProfiles[*]", "where": violation(INLINE)}, "greater": 0},
                ]
            },
            {"allOf": [{"field": "type", "equals": POOL_TYPE}, violation(SEPARATE)]},
        ]
    }


RANGES = f"{MC}apiServerAccessProfile.authorizedIPRanges"
# Each family's space in two halves. A range that contains either half opens at least ~1.8 billion public IPv4
# (or ~2^127 IPv6) addresses, more than AKS-005 allows at any setting (its widest*Prefix floor is /2), so this
# condition never denies what the rule accepts.
HALVES = {"IPv4": ("0.0.0.0/1", "128.0.0.0/1"), "IPv6": ("::/1", "8000::/1")}


def _range_holds_a_half() -> dict[str, Any]:
    """Some authorized range contains a whole half of its family's address space.

    `ipRangeContains(range, targetRange)` is a policy-rule function; "mixing between IP families isn't allowed and
    results in evaluation failure", and a failed evaluation is an implicit deny (learn.microsoft.com/azure/
    governance/policy/concepts/definition-structure-policy-rule, "Policy functions" and "Avoiding template
    failures"). So each range is tested against the halves of its own family: `if` evaluates only the branch its
    condition picks (learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-logical#if), and
    only IPv6 text holds ':' (`contains` on a string is a case-sensitive substring test, template-functions-string).
    Within a field count, `current('<alias>[*]')` is the element being counted (same page, "The current function").
    """
    entry = f"current('{RANGES}[*]')"

    def holds(family: str) -> str:
        low, high = HALVES[family]
        # ipRangeContains(range, targetRange): does the authorized range contain the half?
        return f"or(ipRangeContains({entry}, '{low}'), ipRangeContains({entry}, '{high}'))"

    expression = f"[if(contains({entry}, ':'), {holds('IPv6')}, {holds('IPv4')})]"
    return {"count": {"field": f"{RANGES}[*]", "where": {"value": expression, "equals": True}}, "greater": 0}


CRITICAL = "CriticalAddonsOnly=true:NoSchedule"

# rule id -> the violation condition (cluster rules: added under allOf with the type check; pool rules: the whole `if`)
CONDITIONS: dict[str, dict[str, Any]] = {
    "AKS-001": _not("disableLocalAccounts", True),
    "AKS-002": _not("aadProfile.managed", True),
    "AKS-003": _not("aadProfile.enableAzureRBAC", True),
    "AKS-004": {"field": f"{MC}enableRBAC", "equals": False},
    # Microsoft's built-in "Authorized IP ranges should be defined on Kubernetes Services" (0e246bcf-5f6f-4f87-
    # bc6f-775d4712c7ea, Azure/azure-policy built-in-policies/policyDefinitions/Security Center/
    # ASC_EnableIpRanges_KubernetesService_Audit.json) only asks that authorizedIPRanges exists: 0.0.0.0/0 passes
    # it. This one also denies a range that holds half a family's space (see PARTIALLY_EXPRESSIBLE for the rest).
    "AKS-005": {
        "allOf": [
            _not("apiServerAccessProfile.enablePrivateCluster", True),
            {
                "anyOf": [
                    {"field": RANGES, "exists": "false"},
                    {"count": {"field": f"{RANGES}[*]"}, "equals": 0},
                    _range_holds_a_half(),
                ]
            },
        ]
    },
    "AKS-006": {
        "anyOf": [
            {"field": f"{MC}networkProfile.networkPolicy", "exists": "false"},
            {"field": f"{MC}networkProfile.networkPolicy", "equals": "none"},
        ]
    },
    "AKS-007": _not("networkProfile.networkPlugin", "azure"),
    "AKS-008": _pools_where(lambda f: {"field": f("enableNodePublicIP"), "equals": True}),
    "AKS-009": _not("addonProfiles.azurepolicy.enabled", True),
    "AKS-010": _not("securityProfile.defender.securityMonitoring.enabled", True),
    "AKS-011": {
        "anyOf": [
            _not("securityProfile.workloadIdentity.enabled", True),
            _not("oidcIssuerProfile.enabled", True),
        ]
    },
    "AKS-014": {"field": f"{MC}autoUpgradeProfile.nodeOSUpgradeChannel", "notIn": ["NodeImage", "SecurityPatch"]},
    "AKS-015": _pools_where(lambda f: {"field": f("enableEncryptionAtHost"), "notEquals": True}),
    "AKS-016": _not("securityProfile.azureKeyVaultKms.enabled", True),
    "AKS-017": _not("apiServerAccessProfile.disableRunCommand", True),
    "AKS-018": _pools_where(lambda f: {"field": f("securityProfile.sshAccess"), "notEquals": "Disabled"}),
    "AKS-019": _not("securityProfile.imageCleaner.enabled", True),
    "AKS-023": {"field": f"{MC}sku.tier", "notIn": ["Standard", "Premium"]},
    "AKS-025": _pools_where(lambda f: {"count": {"field": f("availabilityZones[*]")}, "less": 3}),
    "AKS-026": _pools_where(lambda f: {"field": f("osDiskType"), "notEquals": "Ephemeral"}),
    "AKS-028": _pools_where(lambda f: {"field": f("type"), "equals": "AvailabilitySet"}),
    # The built-in "Azure Kubernetes Service Clusters should use managed identities" (Kubernetes/AKS_MSI_Audit.json,
    # da6e2401-19da-4532-9141-fb8fbde08431) reads servicePrincipalProfile.clientId; `identity.type` is a field every
    # resource has (definition-structure-policy-rule, "Fields").
    "AKS-012": {
        "anyOf": [
            {"field": "identity.type", "notIn": ["SystemAssigned", "UserAssigned"]},
            {
                "allOf": [
                    {"field": f"{MC}servicePrincipalProfile.clientId", "exists": "true"},
                    {"field": f"{MC}servicePrincipalProfile.clientId", "notEquals": "msi"},
                ]
            },
        ]
    },
    # A System pool whose taints lack CriticalAddonsOnly=true:NoSchedule (nodeTaints[*] aliases, both shapes). The
    # inline shape counts taints inside the pool count: the published rule schema allows a count in `where`.
    "AKS-024": _pools_where(
        lambda f: {
            "allOf": [
                {"field": f("mode"), "equals": "System"},
                {
                    "count": {"field": f("nodeTaints[*]"), "where": {"field": f("nodeTaints[*]"), "equals": CRITICAL}},
                    "equals": 0,
                },
            ]
        }
    ),
    "AKS-027": _pools_where(
        lambda f: {
            "anyOf": [
                {"field": f("maxPods"), "exists": "false"},
                {"field": f("maxPods"), "less": "[parameters('minimumMaxPods')]"},
            ]
        }
    ),
    # addonProfiles.omsagent.enabled is an alias (the alias list above); see PARTIALLY_EXPRESSIBLE for the casing.
    "AKS-029": _not("addonProfiles.omsagent.enabled", True),
}
# Pool rules also judge agentPools resources, which have neither tags nor location: "indexed: only evaluate resource
# types that support tags and location", so these use mode All (MicrosoftDocs/azure-docs articles/governance/policy/
# concepts/definition-structure-basics.md @ 0983c17f41996cfdf7a941148bfa8ceee8214a47, "Resource Manager modes").
POOL_RULES = {"AKS-008", "AKS-015", "AKS-018", "AKS-024", "AKS-025", "AKS-026", "AKS-027", "AKS-028"}
NOT_EXPRESSIBLE: dict[str, str] = {
    "AKS-013": "the rule couples the channel with a pinned patch version; aliases cannot compare a version's shape",
    "AKS-020": "add-on config maps (enableSecretRotation) are string maps without a stable alias",
    "AKS-021": "kubeDashboard is retired from the API; no alias in current versions",
    # Get-AzPolicyAlias lists addonProfiles aliases for azurePolicy.enabled and omsagent.enabled only (alias list).
    "AKS-022": "no alias exists for addonProfiles.httpApplicationRouting (only azurePolicy and omsagent have one)",
    "AKS-030": "API versions are not visible to Azure Policy",
    "AKS-031": "support windows change monthly (facts/aks_versions.toml); a definition would freeze today's table",
    "AKS-032": "support windows change monthly (facts/aks_versions.toml); a definition would freeze today's table",
    "AKS-034": "compares the OS disk with per-size capacities (facts/vm_sizes.toml), which no alias exposes",
    "AKS-035": "about the toolkit's own fact tables, not the cluster",
}
# Rules exported with a condition weaker than the rule: what the definition cannot say goes in its metadata
# (`notExpressed`, flagged in its description) and in the initiative's `partiallyExported`, so nobody mistakes the
# Azure Policy for the whole rule. A definition's description holds at most 512 characters and each metadata
# property at most 1,024 (learn.microsoft.com/azure/governance/policy/concepts/definition-structure-basics).
PARTIALLY_EXPRESSIBLE: dict[str, str] = {
    "AKS-005": (
        "Azure Policy cannot take the union of a list of ranges or count the public addresses it opens, so this "
        "definition denies a public API server with no authorized ranges, or with any single range that contains "
        f"half of the IPv4 ({' or '.join(HALVES['IPv4'])}) or IPv6 ({' or '.join(HALVES['IPv6'])}) space. "
        "Lists that open the whole Internet in smaller pieces (four /2s), or more public space than "
        "widestIPv4Prefix / widestIPv6Prefix allow, are caught by CrossGuard, fleet plan and fleet audit only. "
        "A range ipRangeContains cannot read fails the evaluation, which Azure Policy treats as a deny."
    ),
    "AKS-029": (
        "The alias is addonProfiles.omsagent.enabled. Whether Azure Policy resolves it on a cluster whose add-on key "
        "ARM stores as omsAgent is not documented; fleet audit reads the key case-insensitively."
    ),
}


def _rule_parameters(rule: Rule, environment: str) -> dict[str, Any]:
    """Parameters a rule's condition reads, with the environment's configured value as the default."""
    if rule.id != "AKS-027":
        return {}
    minimum = int(load_config(CONFIG_DIR / f"{environment}.json")[rule.policy_name].get("minimum", 50))
    return {
        "minimumMaxPods": {
            "type": "Integer",
            "metadata": {"displayName": "Minimum maxPods per node pool"},
            "defaultValue": minimum,
        }
    }


def azure_policy_mapping(rule: Rule) -> str:
    """How `fleet policy export-azure` carries the rule, in one line (`fleet policy show`)."""
    if rule.id in NOT_EXPRESSIBLE:
        return f"not exported: {NOT_EXPRESSIBLE[rule.id]}"
    judged = "CrossGuard, fleet plan and fleet audit judge the rule"
    if rule.stack_level:
        # A definition judges the fields of the one resource it evaluates; these rules join several.
        return f"no definition: the rule judges several resources of a stack together; {judged}"
    if rule.id.startswith("FLUX-"):
        return "no definition of its own: the DeployIfNotExists aksfleet-flux-extension installs the extension as "
        f"the baseline wants it; {judged}"
    if rule.id.startswith("GITOPS-"):
        return "no definition of its own: the DeployIfNotExists aksfleet-flux-platform-configuration deploys the "
        f"platform configuration; {judged}"
    if rule.id not in CONDITIONS:
        return "not exported"
    name = f"aksfleet-{rule.id.lower()}"
    scope = " (clusters and separate agent pools)" if rule.id in POOL_RULES else ""
    if rule.id in PARTIALLY_EXPRESSIBLE:
        return f"{name}{scope}, in part: {PARTIALLY_EXPRESSIBLE[rule.id]}"
    return f"{name}{scope}: Deny where the rule is mandatory, Audit where advisory"


def _definition(rule: Rule, environment: str) -> dict[str, Any]:
    default = "Deny" if rule.enforcement_for(environment) == "mandatory" else "Audit"
    partial = rule.id in PARTIALLY_EXPRESSIBLE
    pools = rule.id in POOL_RULES
    condition = CONDITIONS[rule.id]
    return {
        "name": f"aksfleet-{rule.id.lower()}",
        "properties": {
            "displayName": f"{rule.id} {rule.title}",
            "policyType": "Custom",
            "mode": "All" if pools else "Indexed",
            "description": f"{rule.rationale} Remediation: {rule.remediation}"
            + (" Azure Policy expresses this rule only in part: see metadata.notExpressed." if partial else ""),
            "metadata": {
                "category": "Kubernetes",
                "version": "1.0.0",
                "ruleId": rule.id,
                "references": list(rule.references),
                **({"notExpressed": PARTIALLY_EXPRESSIBLE[rule.id]} if partial else {}),
            },
            "parameters": {
                "effect": {
                    "type": "String",
                    "metadata": {"displayName": "Effect", "description": "Audit, Deny or Disabled"},
                    "allowedValues": ["Audit", "Deny", "Disabled"],
                    "defaultValue": default,
                },
                **_rule_parameters(rule, environment),
            },
            "policyRule": {
                "if": condition if pools else {"allOf": [{"field": "type", "equals": CLUSTER_TYPE}, condition]},
                "then": {"effect": "[parameters('effect')]"},
            },
        },
    }


def _scope(cluster_type: str) -> str:
    # Extension resources of AKS and Arc clusters: scope is "<provider>/<type>/<name>" of the cluster.
    return f"[concat('{cluster_type}/', parameters('clusterName'))]"


def _is(cluster_type: str) -> str:
    """Deploy a resource only for this cluster type (the built-ins' `condition` on clusterResourceType)."""
    return f"[equals(toLower(parameters('clusterResourceType')), '{cluster_type.lower()}')]"


EXTENSION_SETTINGS = {
    "multiTenancy.enforce": "true",
    "image-automation-controller.enabled": "false",
    "image-reflector-controller.enabled": "false",
}


def _extension_resource(cluster_type: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "condition": _is(cluster_type),
        "type": "Microsoft.KubernetesConfiguration/extensions",
        "apiVersion": KC_API,
        "name": "flux",
        "scope": _scope(cluster_type),
        "properties": {
            "extensionType": "microsoft.flux",
            "autoUpgradeMinorVersion": "[parameters('autoUpgradeMinorVersion')]",
            "releaseTrain": "[parameters('releaseTrain')]",
            # A pinned version only without auto-upgrade, as the built-in writes it.
            "version": "[if(and(not(empty(parameters('version'))), not(parameters('autoUpgradeMinorVersion'))), "
            "parameters('version'), null())]",
            "scope": {"cluster": {"releaseNamespace": "flux-system"}},
            "configurationSettings": dict(EXTENSION_SETTINGS),
        },
    }
    if cluster_type == ARC_TYPE:
        # The built-in gives the Arc extension a system-assigned identity and the AKS one none; at 2023-05-01 the
        # Extension's top-level `identity` is "Identity of the Extension resource", type 'SystemAssigned' only
        # (Azure/bicep-types-az generated/kubernetesconfiguration/.../2023-05-01/types.md @ 6bb0520b).
        resource["identity"] = {"type": "SystemAssigned"}
    return resource


def _template(resources: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    parameters: dict[str, Any] = {"clusterName": {"type": "string"}, "clusterResourceType": {"type": "string"}}
    parameters.update(extra or {})
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": parameters,
        "resources": resources,
    }


_CLUSTERS = {"anyOf": [{"field": "type", "equals": CLUSTER_TYPE}, {"field": "type", "equals": ARC_TYPE}]}
_TEMPLATE_TYPES = {"String": "string", "Object": "object", "Integer": "int", "Boolean": "bool"}


def _dine(
    name: str, display: str, description: str, details: dict[str, Any], parameters: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": name,
        "properties": {
            "displayName": display,
            "policyType": "Custom",
            "mode": "Indexed",
            "description": description,
            "metadata": {"category": "Kubernetes", "version": "2.0.0"},
            "parameters": {
                "effect": {
                    "type": "String",
                    "allowedValues": ["DeployIfNotExists", "AuditIfNotExists", "Disabled"],
                    "defaultValue": "DeployIfNotExists",
                    "metadata": {"displayName": "Effect"},
                },
                **parameters,
            },
            "policyRule": {"if": _CLUSTERS, "then": {"effect": "[parameters('effect')]", "details": details}},
        },
    }


def _deployment(resources: list[dict[str, Any]], parameters: dict[str, Any]) -> dict[str, Any]:
    """A deployment passing every policy parameter through to a template parameter of the same name."""
    template_parameters = {name: {"type": _TEMPLATE_TYPES[spec["type"]]} for name, spec in parameters.items()}
    return {
        "properties": {
            # The REST enum spelling (DeploymentMode: Incremental, Complete); the built-ins write "incremental".
            "mode": "Incremental",
            "template": _template(resources, template_parameters),
            "parameters": {
                "clusterName": {"value": "[field('name')]"},
                "clusterResourceType": {"value": "[field('type')]"},
                **{name: {"value": f"[parameters('{name}')]"} for name in parameters},
            },
        }
    }


EXT = "Microsoft.KubernetesConfiguration/extensions/"
EXTENSION_PARAMETERS: dict[str, Any] = {
    "releaseTrain": {"type": "String", "defaultValue": "Stable", "metadata": {"displayName": "Release train"}},
    "autoUpgradeMinorVersion": {
        "type": "Boolean",
        "defaultValue": True,
        "metadata": {"displayName": "Auto-upgrade minor versions"},
    },
    "version": {
        "type": "String",
        "defaultValue": "",
        "metadata": {"displayName": "Pinned extension version (only with auto-upgrade off)"},
    },
}


def flux_extension_dine() -> dict[str, Any]:
    """Nearest built-in: "Configure installation of Flux extension on Kubernetes cluster", Azure/azure-policy
    built-in-policies/policyDefinitions/Kubernetes/Deploy-GitOps-Flux2-Extension-to-Kubernetes-cluster_DINE.json
    (f9175d5f-abc8-1dc3-bd3c-5d7476ada3d1): the same existence condition (succeeded, train, auto-upgrade, and the
    version when pinned), role, and per-type resources with an identity on Arc."""
    details = {
        "type": "Microsoft.KubernetesConfiguration/extensions",
        "name": "flux",
        "roleDefinitionIds": [_role_definition_id(REMEDIATION_ROLE)],
        "existenceCondition": {
            "allOf": [
                {"field": f"{EXT}extensionType", "equals": "microsoft.flux"},
                {"field": f"{EXT}provisioningState", "equals": "Succeeded"},
                {"field": f"{EXT}releaseTrain", "equals": "[parameters('releaseTrain')]"},
                {"field": f"{EXT}autoUpgradeMinorVersion", "equals": "[parameters('autoUpgradeMinorVersion')]"},
                {
                    "anyOf": [
                        {
                            "allOf": [
                                {"field": f"{EXT}autoUpgradeMinorVersion", "equals": "false"},
                                {"field": f"{EXT}version", "equals": "[parameters('version')]"},
                            ]
                        },
                        {"field": f"{EXT}autoUpgradeMinorVersion", "equals": "true"},
                    ]
                },
            ]
        },
        "deployment": _deployment(
            [_extension_resource(CLUSTER_TYPE), _extension_resource(ARC_TYPE)], EXTENSION_PARAMETERS
        ),
    }
    return _dine(
        "aksfleet-flux-extension",
        "FLUX: deploy the microsoft.flux extension",
        "Installs the Flux extension (release train and version as parameters, multi-tenancy enforced, image "
        "automation off) on AKS and Arc-enabled clusters that lack it or whose extension failed or drifted.",
        details,
        EXTENSION_PARAMETERS,
    )


FLUX = "Microsoft.KubernetesConfiguration/fluxConfigurations/"


def flux_configuration_dine() -> dict[str, Any]:
    """Nearest built-in: "Configure Kubernetes clusters with Flux v2 configuration using public Git repository",
    Azure/azure-policy built-in-policies/policyDefinitions/Kubernetes/
    Deploy-GitOps-Flux2-to-Kubernetes-cluster-no-secrets_DINE.json (HTTPS CA variant:
    Deploy-GitOps-Flux2-to-Kubernetes-cluster-HTTPs-CA-Cert_DINE.json, 2630c91f-8a20-8f43-14a2-2485b648e2a9).
    Like them: Contributor, an existence condition on scope, namespace, URL, ref, intervals and a provisioning state
    that is not Failed, and a template with the configuration only. Like them it does not compare kustomizations:
    the only alias is the whole `kustomizations` map (fluxConfigurations.md above). Nor the CA certificate: its one
    alias is named `gitRepository.httpsCAFile`, which is not the REST property."""
    git_params = {
        "gitUrl": {"type": "String", "metadata": {"displayName": "Git URL (https:// or ssh://)"}},
        "gitTag": {"type": "String", "metadata": {"displayName": "Pinned tag the clusters pull"}},
        "httpsCACert": {"type": "String", "defaultValue": "", "metadata": {"displayName": "Base64 CA certificate"}},
        "kustomizations": {"type": "Object", "metadata": {"displayName": "Kustomizations (REST shape)"}},
    }
    configuration = {
        "type": "Microsoft.KubernetesConfiguration/fluxConfigurations",
        "apiVersion": KC_API,
        "name": "platform",
        "scope": "[concat(if(equals(toLower(parameters('clusterResourceType')), "
        f"'{ARC_TYPE.lower()}'), '{ARC_TYPE}/', '{CLUSTER_TYPE}/'), parameters('clusterName'))]",
        "properties": {
            "scope": CONFIGURATION["scope"],
            "namespace": CONFIGURATION["namespace"],
            "sourceKind": "GitRepository",
            "suspend": False,
            "gitRepository": {
                "url": "[parameters('gitUrl')]",
                "repositoryRef": {"tag": "[parameters('gitTag')]"},
                "syncIntervalInSeconds": CONFIGURATION["syncIntervalInSeconds"],
                "timeoutInSeconds": CONFIGURATION["timeoutInSeconds"],
                "httpsCACert": "[if(empty(parameters('httpsCACert')), null(), parameters('httpsCACert'))]",
            },
            "kustomizations": "[parameters('kustomizations')]",
        },
    }
    details = {
        "type": "Microsoft.KubernetesConfiguration/fluxConfigurations",
        "name": "platform",
        "roleDefinitionIds": [_role_definition_id(REMEDIATION_ROLE)],
        "existenceCondition": {
            "allOf": [
                {"field": f"{FLUX}scope", "equals": CONFIGURATION["scope"]},
                {"field": f"{FLUX}namespace", "equals": CONFIGURATION["namespace"]},
                {"field": f"{FLUX}gitRepository.url", "equals": "[parameters('gitUrl')]"},
                {"field": f"{FLUX}gitRepository.repositoryRef.tag", "equals": "[parameters('gitTag')]"},
                {
                    "field": f"{FLUX}gitRepository.syncIntervalInSeconds",
                    "equals": CONFIGURATION["syncIntervalInSeconds"],
                },
                {"field": f"{FLUX}gitRepository.timeoutInSeconds", "equals": CONFIGURATION["timeoutInSeconds"]},
                {"field": f"{FLUX}provisioningState", "notEquals": "Failed"},
            ]
        },
        "deployment": _deployment([configuration], git_params),
    }
    return _dine(
        "aksfleet-flux-platform-configuration",
        "GITOPS: deploy the platform flux configuration",
        "Creates the cluster-scoped platform configuration (pinned tag, prune on) pulled from the fleet "
        "repository, or replaces one that failed or points elsewhere. Needs the microsoft.flux extension "
        "(aksfleet-flux-extension): remediate that first.",
        details,
        git_params,
    )


CONFIGURATION: dict[str, Any] = {
    "scope": "cluster",
    "namespace": "flux-system",
    "syncIntervalInSeconds": 300,
    "timeoutInSeconds": 180,
}


def default_kustomizations(environment: str) -> dict[str, Any]:
    """The platform kustomizations; apps follow the environment (gitops/apps/<env>, see gitops/README.md)."""
    common = {
        "prune": True,
        "force": False,
        "syncIntervalInSeconds": 600,
        "retryIntervalInSeconds": 120,
        "timeoutInSeconds": 600,
    }
    return {
        "infra-controllers": {**common, "path": "./infrastructure/controllers", "dependsOn": [], "wait": True},
        "infra-configs": {
            **common,
            "path": "./infrastructure/configs",
            "dependsOn": ["infra-controllers"],
            "wait": True,
        },
        "apps": {**common, "path": f"./apps/{environment}", "dependsOn": ["infra-configs"], "wait": False},
    }


def _explained(key: str, reasons: dict[str, str]) -> dict[str, Any]:
    """`key`: the rule ids; `key.<rule id>`: each reason, a metadata property of its own."""
    return {key: sorted(reasons), **{f"{key}.{rule_id}": reason for rule_id, reason in sorted(reasons.items())}}


def export_initiative(
    environment: str = "prod", *, management_group: str = "{managementGroupId}"
) -> dict[str, dict[str, Any]]:
    """File name -> document: one file per definition and `initiative.json`."""
    definitions = [_definition(BY_ID[rule_id], environment) for rule_id in CONDITIONS]
    definitions += [flux_extension_dine(), flux_configuration_dine()]
    prefix = f"/providers/Microsoft.Management/managementGroups/{management_group}/providers/Microsoft.Authorization"
    references = []
    parameters: dict[str, Any] = {}
    for definition in definitions:
        ref = definition["properties"]["metadata"].get("ruleId") or definition["name"].removeprefix("aksfleet-")
        effect = f"effect-{ref}"
        parameters[effect] = dict(definition["properties"]["parameters"]["effect"])
        values = {"effect": {"value": f"[parameters('{effect}')]"}}
        for name in definition["properties"]["parameters"]:
            if name != "effect":
                parameters[name] = dict(definition["properties"]["parameters"][name])
                values[name] = {"value": f"[parameters('{name}')]"}
        references.append(
            {
                "policyDefinitionReferenceId": ref,
                "policyDefinitionId": f"{prefix}/policyDefinitions/{definition['name']}",
                "parameters": values,
            }
        )
    parameters["kustomizations"]["defaultValue"] = default_kustomizations(environment)
    cluster_rules = [
        r.id for r in CATALOGUE if r.applies_to and r.applies_to[0][1] == "ManagedCluster" and not r.stack_level
    ]
    initiative = {
        "name": "aksfleet-baseline",
        "properties": {
            "displayName": f"AKS + Flux fleet baseline ({environment})",
            "policyType": "Custom",
            "description": "The aksfleet rule catalogue as Azure Policy: audit/deny for cluster settings and "
            "DeployIfNotExists for the Flux extension and the platform configuration.",
            "metadata": {
                "category": "Kubernetes",
                "version": "1.0.0",
                "environment": environment,
                # One property per rule: "Each metadata property has a limit of 1,024 characters"
                # (definition-structure-basics.md, "Metadata"); all reasons in one property exceeded it.
                **_explained("notExported", {r: NOT_EXPRESSIBLE[r] for r in cluster_rules if r in NOT_EXPRESSIBLE}),
                **_explained("partiallyExported", PARTIALLY_EXPRESSIBLE),
            },
            "parameters": parameters,
            "policyDefinitions": references,
        },
    }
    files = {f"definitions/{d['name']}.json": d for d in definitions}
    files["initiative.json"] = initiative
    return files


def write_initiative(out_dir: Path, environment: str, *, management_group: str = "{managementGroupId}") -> list[Path]:
    written = []
    for name, document in export_initiative(environment, management_group=management_group).items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
