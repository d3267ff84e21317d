"""Export the baseline as an Azure Policy initiative, so clusters this repository does not manage (made by
hand, by another team, Arc-enabled) are held to the same rules, at management-group scale, inside Azure.

- Audit/Deny definitions for the catalogue's cluster rules that Azure Policy can express with
  `Microsoft.ContainerService/managedClusters` aliases (the aliases the built-in AKS definitions use).
  Rules that aliases cannot express are listed, with the reason, in the initiative's metadata; rules they
  express only in part say what is missing in the definition's description and the initiative's metadata.
- Two DeployIfNotExists definitions: the microsoft.flux extension, and the platform flux configuration,
  for AKS and Arc-enabled clusters. ARM cannot order resources across two policy deployments, so the
  configuration's template declares the extension too (an idempotent PUT of the same extension) and
  depends on it: whichever policy remediates first, the extension exists before the configuration.
- Git CA certificates travel in `httpsCACert` (the REST name; some built-ins misspell it `httpsCAFile`).

Definitions are named `aksfleet-<rule id>`; the initiative references them under the management group
given at export time, and is deployed with `az policy definition create`/`az policy set-definition create`
(or a Bicep loop over the files).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from policies.baseline import BY_ID, CATALOGUE, Rule

CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
ARC_TYPE = "Microsoft.Kubernetes/connectedClusters"
MC = f"{CLUSTER_TYPE}/"
EXTENSION_CONTRIBUTOR = "/providers/Microsoft.Authorization/roleDefinitions/85cb6faf-e071-4c9b-8136-154b5a04f717"
KC_API = "2023-05-01"


def _not(field: str, value: Any) -> dict[str, Any]:
    """A compliant value is `value`; anything else (or missing) is a violation."""
    return {"anyOf": [{"field": f"{MC}{field}", "exists": "false"}, {"field": f"{MC}{field}", "notEquals": value}]}


def _pools_where(condition: dict[str, Any]) -> dict[str, Any]:
    """Some inline pool matches `condition` (fields relative to agentPoolProfiles[*])."""
    return {"count": {"field": f"{MC}agentPoolProfiles[*]", "where": condition}, "greater": 0}


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


# rule id -> the violation condition (added under allOf with the type check)
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
    "AKS-008": _pools_where({"field": f"{MC}agentPoolProfiles[*].enableNodePublicIP", "equals": True}),
    "AKS-009": _not("addonProfiles.azurepolicy.enabled", True),
    "AKS-010": _not("securityProfile.defender.securityMonitoring.enabled", True),
    "AKS-011": {
        "anyOf": [
            _not("securityProfile.workloadIdentity.enabled", True),
            _not("oidcIssuerProfile.enabled", True),
        ]
    },
    "AKS-014": {"field": f"{MC}autoUpgradeProfile.nodeOSUpgradeChannel", "notIn": ["NodeImage", "SecurityPatch"]},
    "AKS-015": _pools_where({"field": f"{MC}agentPoolProfiles[*].enableEncryptionAtHost", "notEquals": True}),
    "AKS-016": _not("securityProfile.azureKeyVaultKms.enabled", True),
    "AKS-017": _not("apiServerAccessProfile.disableRunCommand", True),
    "AKS-018": _pools_where({"field": f"{MC}agentPoolProfiles[*].securityProfile.sshAccess", "notEquals": "Disabled"}),
    "AKS-019": _not("securityProfile.imageCleaner.enabled", True),
    "AKS-023": {"field": f"{MC}sku.tier", "notIn": ["Standard", "Premium"]},
    "AKS-025": _pools_where({"count": {"field": f"{MC}agentPoolProfiles[*].availabilityZones[*]"}, "less": 3}),
    "AKS-026": _pools_where({"field": f"{MC}agentPoolProfiles[*].osDiskType", "notEquals": "Ephemeral"}),
    "AKS-028": _pools_where({"field": f"{MC}agentPoolProfiles[*].type", "equals": "AvailabilitySet"}),
}
NOT_EXPRESSIBLE: dict[str, str] = {
    "AKS-012": "a service principal cluster shows only as servicePrincipalProfile.clientId, which has no alias",
    "AKS-013": "the rule couples the channel with a pinned patch version; aliases cannot compare a version's shape",
    "AKS-020": "add-on config maps (enableSecretRotation) are string maps without a stable alias",
    "AKS-021": "kubeDashboard is retired from the API; no alias in current versions",
    "AKS-022": "httpApplicationRouting key casing varies; not exported rather than matched wrongly",
    "AKS-024": "taints are matched as exact strings per System pool; kept to CrossGuard and the audit",
    "AKS-027": "a configurable minimum needs a parameterised count per pool; kept to CrossGuard and the audit",
    "AKS-029": "omsagent key casing varies (omsagent/omsAgent); aliases are case-specific",
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
}


def _definition(rule: Rule, environment: str) -> dict[str, Any]:
    default = "Deny" if rule.enforcement_for(environment) == "mandatory" else "Audit"
    partial = rule.id in PARTIALLY_EXPRESSIBLE
    return {
        "name": f"aksfleet-{rule.id.lower()}",
        "properties": {
            "displayName": f"{rule.id} {rule.title}",
            "policyType": "Custom",
            "mode": "Indexed",
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
                }
            },
            "policyRule": {
                "if": {"allOf": [{"field": "type", "equals": CLUSTER_TYPE}, CONDITIONS[rule.id]]},
                "then": {"effect": "[parameters('effect')]"},
            },
        },
    }


def _scope() -> str:
    # Extension resources of AKS and Arc clusters: scope is "<provider>/<type>/<name>" of the cluster.
    return "[concat(parameters('clusterResourceType'), '/', parameters('clusterName'))]"


def _extension_resource() -> dict[str, Any]:
    return {
        "type": "Microsoft.KubernetesConfiguration/extensions",
        "apiVersion": KC_API,
        "name": "flux",
        "scope": _scope(),
        "properties": {
            "extensionType": "microsoft.flux",
            "autoUpgradeMinorVersion": True,
            "releaseTrain": "Stable",
            "scope": {"cluster": {"releaseNamespace": "flux-system"}},
            "configurationSettings": {
                "multiTenancy.enforce": "true",
                "image-automation-controller.enabled": "false",
                "image-reflector-controller.enabled": "false",
            },
        },
    }


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
            "metadata": {"category": "Kubernetes", "version": "1.0.0"},
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


def _deployment(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {
        "properties": {
            "mode": "incremental",
            "template": template,
            "parameters": {
                "clusterName": {"value": "[field('name')]"},
                "clusterResourceType": {"value": "[field('type')]"},
                **{k: {"value": v} for k, v in values.items()},
            },
        }
    }


def flux_extension_dine() -> dict[str, Any]:
    details = {
        "type": "Microsoft.KubernetesConfiguration/extensions",
        "name": "flux",
        "roleDefinitionIds": [EXTENSION_CONTRIBUTOR],
        "existenceCondition": {
            "field": "Microsoft.KubernetesConfiguration/extensions/extensionType",
            "equals": "microsoft.flux",
        },
        "deployment": _deployment(_template([_extension_resource()]), {}),
    }
    return _dine(
        "aksfleet-flux-extension",
        "FLUX: deploy the microsoft.flux extension",
        "Installs the Flux extension (stable train, multi-tenancy enforced, image automation off) on AKS "
        "and Arc-enabled clusters that lack it.",
        details,
        {},
    )


def flux_configuration_dine() -> dict[str, Any]:
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
        "scope": _scope(),
        "dependsOn": [
            "[extensionResourceId(resourceId(parameters('clusterResourceType'), parameters('clusterName')), "
            "'Microsoft.KubernetesConfiguration/extensions', 'flux')]"
        ],
        "properties": {
            "scope": "cluster",
            "namespace": "flux-system",
            "sourceKind": "GitRepository",
            "suspend": False,
            "gitRepository": {
                "url": "[parameters('gitUrl')]",
                "repositoryRef": {"tag": "[parameters('gitTag')]"},
                "syncIntervalInSeconds": 300,
                "timeoutInSeconds": 180,
                "httpsCACert": "[if(empty(parameters('httpsCACert')), null(), parameters('httpsCACert'))]",
            },
            "kustomizations": "[parameters('kustomizations')]",
        },
    }
    template_params = {
        name: {"type": "object" if spec["type"] == "Object" else "string"} for name, spec in git_params.items()
    }
    details = {
        "type": "Microsoft.KubernetesConfiguration/fluxConfigurations",
        "name": "platform",
        "roleDefinitionIds": [EXTENSION_CONTRIBUTOR],
        "existenceCondition": {
            "allOf": [
                {
                    "field": "Microsoft.KubernetesConfiguration/fluxConfigurations/gitRepository.url",
                    "equals": "[parameters('gitUrl')]",
                },
                {
                    "field": "Microsoft.KubernetesConfiguration/fluxConfigurations/gitRepository.repositoryRef.tag",
                    "equals": "[parameters('gitTag')]",
                },
            ]
        },
        "deployment": _deployment(
            _template([_extension_resource(), configuration], template_params),
            {name: f"[parameters('{name}')]" for name in git_params},
        ),
    }
    return _dine(
        "aksfleet-flux-platform-configuration",
        "GITOPS: deploy the platform flux configuration",
        "Creates the cluster-scoped platform configuration (pinned tag, prune on) pulled from the fleet "
        "repository, after the microsoft.flux extension.",
        details,
        git_params,
    )


def default_kustomizations() -> dict[str, Any]:
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
        "apps": {**common, "path": "./apps/prod", "dependsOn": ["infra-configs"], "wait": False},
    }


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
    parameters["kustomizations"]["defaultValue"] = default_kustomizations()
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
                "notExported": {
                    rule_id: NOT_EXPRESSIBLE[rule_id] for rule_id in cluster_rules if rule_id in NOT_EXPRESSIBLE
                },
                "partiallyExported": dict(PARTIALLY_EXPRESSIBLE),
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
