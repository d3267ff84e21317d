"""The Azure Policy export: every generated definition is structurally valid, nothing is faked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleet import cli
from fleet.policy.azure_policy import (
    AP,
    CONDITIONS,
    MC,
    NOT_EXPRESSIBLE,
    PARTIALLY_EXPRESSIBLE,
    POOL_RULES,
    POOL_TYPE,
    export_initiative,
)
from policies.baseline import BY_ID, CATALOGUE
from policies.baseline.facts.roles import role_id
from tests.fakes import azure_policy

FILES = export_initiative("prod", management_group="mg-platform")
DEFINITIONS = {name: doc for name, doc in FILES.items() if name.startswith("definitions/")}
INITIATIVE = FILES["initiative.json"]


def _fields(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["field"]] if isinstance(node.get("field"), str) else []
        return found + [f for key, value in node.items() if key != "field" for f in _fields(value)]
    if isinstance(node, list):
        return [f for item in node for f in _fields(item)]
    return []


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_every_definition_is_well_formed(name: str) -> None:
    definition = DEFINITIONS[name]
    assert name == f"definitions/{definition['name']}.json"
    props = definition["properties"]
    assert {"displayName", "policyType", "mode", "description", "metadata", "parameters", "policyRule"} <= set(props)
    pools = props["metadata"].get("ruleId") in POOL_RULES
    assert props["mode"] == ("All" if pools else "Indexed") and props["policyType"] == "Custom"
    effect = props["parameters"]["effect"]
    assert effect["defaultValue"] in effect["allowedValues"]
    assert props["policyRule"]["then"]["effect"] == "[parameters('effect')]"
    allowed_prefixes = ("Microsoft.ContainerService/managedClusters/", "Microsoft.KubernetesConfiguration/")
    for field in _fields(props["policyRule"]):
        assert field in ("type", "name", "identity.type") or field.startswith(allowed_prefixes), field
    assert json.loads(json.dumps(definition)) == definition


def test_audit_definitions_default_to_the_environments_enforcement() -> None:
    for rule_id in CONDITIONS:
        definition = DEFINITIONS[f"definitions/aksfleet-{rule_id.lower()}.json"]
        effect = definition["properties"]["parameters"]["effect"]
        assert effect["allowedValues"] == ["Audit", "Deny", "Disabled"]
        assert effect["defaultValue"] == "Deny", "every exported rule is mandatory in prod"
    dev = export_initiative("dev")["definitions/aksfleet-aks-023.json"]
    assert dev["properties"]["parameters"]["effect"]["defaultValue"] == "Audit", "Free tier is advisory in dev"


def test_every_cluster_rule_is_exported_or_explained() -> None:
    cluster_rules = {r.id for r in CATALOGUE if r.applies_to[0][1] == "ManagedCluster" and not r.stack_level}
    assert cluster_rules == set(CONDITIONS) | set(NOT_EXPRESSIBLE)
    assert not set(CONDITIONS) & set(NOT_EXPRESSIBLE)
    metadata = INITIATIVE["properties"]["metadata"]
    assert metadata["notExported"] == sorted(NOT_EXPRESSIBLE)
    assert {rule_id: metadata[f"notExported.{rule_id}"] for rule_id in NOT_EXPRESSIBLE} == NOT_EXPRESSIBLE
    assert all(reason.strip() for reason in NOT_EXPRESSIBLE.values())
    assert all(r in BY_ID for r in CONDITIONS)


@pytest.mark.parametrize("name", ["aksfleet-flux-extension", "aksfleet-flux-platform-configuration"])
def test_deploy_if_not_exists_templates(name: str) -> None:
    props = DEFINITIONS[f"definitions/{name}.json"]["properties"]
    rule = props["policyRule"]
    types = {condition["equals"] for condition in rule["if"]["anyOf"]}
    assert types == {"Microsoft.ContainerService/managedClusters", "Microsoft.Kubernetes/connectedClusters"}
    details = rule["then"]["details"]
    assert details["roleDefinitionIds"] and "existenceCondition" in details
    template = details["deployment"]["properties"]["template"]
    assert template["$schema"].endswith("deploymentTemplate.json#") and template["contentVersion"] == "1.0.0.0"
    assert all(r["apiVersion"] == "2023-05-01" and r["scope"].startswith("[concat(") for r in template["resources"])
    for extension in (r for r in template["resources"] if r["type"].endswith("/extensions")):
        assert extension["properties"]["configurationSettings"]["multiTenancy.enforce"] == "true"
    used = set(details["deployment"]["properties"]["parameters"])
    assert used == set(template["parameters"])


def test_configuration_uses_httpscacert() -> None:
    props = DEFINITIONS["definitions/aksfleet-flux-platform-configuration.json"]["properties"]
    template = props["policyRule"]["then"]["details"]["deployment"]["properties"]["template"]
    configuration = next(r for r in template["resources"] if r["type"].endswith("/fluxConfigurations"))
    assert "httpsCACert" in configuration["properties"]["gitRepository"]
    assert "httpsCAFile" not in json.dumps(FILES)
    assert all(
        k["prune"] is True for k in INITIATIVE["properties"]["parameters"]["kustomizations"]["defaultValue"].values()
    )


def test_initiative_references_each_definition_once() -> None:
    references = INITIATIVE["properties"]["policyDefinitions"]
    ids = [r["policyDefinitionId"] for r in references]
    assert len(ids) == len(set(ids)) == len(DEFINITIONS)
    assert all(
        i.startswith(
            "/providers/Microsoft.Management/managementGroups/mg-platform/providers/"
            "Microsoft.Authorization/policyDefinitions/aksfleet-"
        )
        for i in ids
    )
    parameters = INITIATIVE["properties"]["parameters"]
    for reference in references:
        for value in reference["parameters"].values():
            name = value["value"].removeprefix("[parameters('").removesuffix("')]")
            assert name in parameters


def test_export_command_writes_the_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["policy", "export-azure", "-o", str(tmp_path), "-e", "staging"])
    assert result.exit_code == 0
    expected = len(CONDITIONS) + 2  # one per exported rule, and the two DeployIfNotExists definitions
    assert (tmp_path / "initiative.json").is_file() and len(list((tmp_path / "definitions").glob("*.json"))) == expected
    assert CliRunner().invoke(cli.app, ["policy", "export-azure", "-o", str(tmp_path), "-e", "qa"]).exit_code == 2


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_definitions_fit_azure_policy_size_limits(name: str) -> None:
    # "description a maximum length of 512 characters"; "Each metadata property has a limit of 1,024 characters"
    # (learn.microsoft.com/azure/governance/policy/concepts/definition-structure-basics).
    props = DEFINITIONS[name]["properties"]
    assert len(props["description"]) <= 512
    for key, value in props["metadata"].items():
        assert len(value if isinstance(value, str) else json.dumps(value)) <= 1024, key


def test_partially_exported_rules_say_what_is_missing() -> None:
    assert set(PARTIALLY_EXPRESSIBLE) <= set(CONDITIONS)
    for rule_id, missing in PARTIALLY_EXPRESSIBLE.items():
        props = DEFINITIONS[f"definitions/aksfleet-{rule_id.lower()}.json"]["properties"]
        assert props["metadata"]["notExpressed"] == missing and "only in part" in props["description"]
    metadata = INITIATIVE["properties"]["metadata"]
    assert metadata["partiallyExported"] == sorted(PARTIALLY_EXPRESSIBLE)
    assert all(metadata[f"partiallyExported.{rule_id}"] == text for rule_id, text in PARTIALLY_EXPRESSIBLE.items())
    others = [
        d for n, d in DEFINITIONS.items() if d["properties"]["metadata"].get("ruleId") not in PARTIALLY_EXPRESSIBLE
    ]
    assert all("notExpressed" not in d["properties"]["metadata"] for d in others)


def test_initiative_metadata_fits_azure_policy_size_limits() -> None:
    # "Each metadata property has a limit of 1,024 characters" (definition-structure-basics.md, "Metadata").
    for environment in ("dev", "staging", "prod"):
        metadata = export_initiative(environment)["initiative.json"]["properties"]["metadata"]
        for key, value in metadata.items():
            assert len(value if isinstance(value, str) else json.dumps(value)) <= 1024, (environment, key)


# --- DeployIfNotExists: remediation that works, compared with the Microsoft built-ins -----------------------------

EXT = "Microsoft.KubernetesConfiguration/extensions/"
FLUX = "Microsoft.KubernetesConfiguration/fluxConfigurations/"


def _details(name: str) -> dict[str, Any]:
    details: dict[str, Any] = DEFINITIONS[f"definitions/{name}.json"]["properties"]["policyRule"]["then"]["details"]
    return details


def _exists(name: str, resource: dict[str, Any], prefix: str, **parameters: Any) -> bool:
    """Whether the definition's existence condition accepts `resource` (the policy evaluator double)."""
    definition = DEFINITIONS[f"definitions/{name}.json"]
    bound = {k: v.get("defaultValue") for k, v in definition["properties"]["parameters"].items()} | parameters
    scope = azure_policy.Scope(_details(name)["type"], resource, prefix, parameters=bound)
    return azure_policy.evaluate(_details(name)["existenceCondition"], scope)


@pytest.mark.parametrize("name", ["aksfleet-flux-extension", "aksfleet-flux-platform-configuration"])
def test_remediation_uses_the_role_the_built_ins_use(name: str) -> None:
    # Both Flux built-ins grant Contributor; Kubernetes Extension Contributor cannot write fluxConfigurations.
    ids = _details(name)["roleDefinitionIds"]
    assert ids == [f"/providers/Microsoft.Authorization/roleDefinitions/{role_id('Contributor')}"]
    assert role_id("Kubernetes Extension Contributor") not in json.dumps(ids)


EXTENSION_OK = {
    "extensionType": "microsoft.flux",
    "provisioningState": "Succeeded",
    "releaseTrain": "Stable",
    "autoUpgradeMinorVersion": True,
}


@pytest.mark.parametrize(
    ("change", "parameters", "exists"),
    [
        ({}, {}, True),
        ({"provisioningState": "Failed"}, {}, False),
        ({"releaseTrain": "Preview"}, {}, False),
        ({"autoUpgradeMinorVersion": False, "version": "1.23.0"}, {}, False),
        (
            {"autoUpgradeMinorVersion": False, "version": "1.23.0"},
            {"autoUpgradeMinorVersion": False, "version": "1.23.0"},
            True,
        ),
        (
            {"autoUpgradeMinorVersion": False, "version": "1.22.2"},
            {"autoUpgradeMinorVersion": False, "version": "1.23.0"},
            False,
        ),
        ({"extensionType": "microsoft.azuremonitor.containers"}, {}, False),
    ],
)
def test_extension_existence_judges_state_and_settings(
    change: dict[str, Any], parameters: dict[str, Any], exists: bool
) -> None:
    assert _exists("aksfleet-flux-extension", {**EXTENSION_OK, **change}, EXT, **parameters) is exists


CONFIGURATION_OK = {
    "scope": "cluster",
    "namespace": "flux-system",
    "provisioningState": "Succeeded",
    "gitRepository": {
        "url": "https://github.com/contoso/aks-fleet-gitops",
        "repositoryRef": {"tag": "v1.2.0"},
        "syncIntervalInSeconds": 300,
        "timeoutInSeconds": 180,
    },
}
GIT = {"gitUrl": "https://github.com/contoso/aks-fleet-gitops", "gitTag": "v1.2.0"}


@pytest.mark.parametrize(
    ("change", "exists"),
    [
        ({}, True),
        ({"provisioningState": "Failed"}, False),
        ({"scope": "namespace"}, False),
        ({"namespace": "default"}, False),
        ({"gitRepository": {**CONFIGURATION_OK["gitRepository"], "url": "https://github.com/other/repo"}}, False),
        ({"gitRepository": {**CONFIGURATION_OK["gitRepository"], "repositoryRef": {"tag": "v1.1.0"}}}, False),
        ({"gitRepository": {**CONFIGURATION_OK["gitRepository"], "syncIntervalInSeconds": 60}}, False),
    ],
)
def test_configuration_existence_judges_state_and_source(change: dict[str, Any], exists: bool) -> None:
    configuration = {**CONFIGURATION_OK, **change}
    assert _exists("aksfleet-flux-platform-configuration", configuration, FLUX, **GIT) is exists


def test_configuration_template_leaves_the_extension_alone() -> None:
    template = _details("aksfleet-flux-platform-configuration")["deployment"]["properties"]["template"]
    assert [r["type"] for r in template["resources"]] == ["Microsoft.KubernetesConfiguration/fluxConfigurations"]
    assert "extensions" not in json.dumps(template)


def test_arc_extension_has_a_system_assigned_identity() -> None:
    resources = _details("aksfleet-flux-extension")["deployment"]["properties"]["template"]["resources"]
    by_scope = {r["scope"].split("'")[1].rstrip("/"): r for r in resources}
    assert set(by_scope) == {"Microsoft.ContainerService/managedClusters", "Microsoft.Kubernetes/connectedClusters"}
    assert by_scope["Microsoft.Kubernetes/connectedClusters"]["identity"] == {"type": "SystemAssigned"}
    assert "identity" not in by_scope["Microsoft.ContainerService/managedClusters"]
    for cluster_type, resource in by_scope.items():
        assert resource["condition"] == (
            f"[equals(toLower(parameters('clusterResourceType')), '{cluster_type.lower()}')]"
        )


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_apps_path_follows_the_environment(environment: str) -> None:
    initiative = export_initiative(environment)["initiative.json"]
    apps = initiative["properties"]["parameters"]["kustomizations"]["defaultValue"]["apps"]
    assert apps["path"] == f"./apps/{environment}"
    assert (Path(__file__).resolve().parents[2] / "gitops" / "apps" / environment).is_dir()


# --- rules the review found expressible, and pools created separately ---------------------------------------------

# rule -> (a violating pool, a compliant pool), in the API's pool shape
POOLS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "AKS-008": ({"enableNodePublicIP": True}, {"enableNodePublicIP": False}),
    "AKS-015": ({"enableEncryptionAtHost": False}, {"enableEncryptionAtHost": True}),
    "AKS-018": ({"securityProfile": {"sshAccess": "LocalUser"}}, {"securityProfile": {"sshAccess": "Disabled"}}),
    "AKS-024": (
        {"mode": "System", "nodeTaints": []},
        {"mode": "System", "nodeTaints": ["CriticalAddonsOnly=true:NoSchedule"]},
    ),
    "AKS-025": ({"availabilityZones": ["1"]}, {"availabilityZones": ["1", "2", "3"]}),
    "AKS-026": ({"osDiskType": "Managed"}, {"osDiskType": "Ephemeral"}),
    "AKS-027": ({"maxPods": 30}, {"maxPods": 110}),
    "AKS-028": ({"type": "AvailabilitySet"}, {"type": "VirtualMachineScaleSets"}),
}


def _verdict(rule_id: str, resource_type: str, props: dict[str, Any], prefix: str) -> str:
    return azure_policy.verdict(
        DEFINITIONS[f"definitions/aksfleet-{rule_id.lower()}.json"], resource_type, props, prefix
    )


@pytest.mark.parametrize("rule_id", sorted(POOLS))
def test_pool_rules_judge_separate_agent_pools_and_inline_pools(rule_id: str) -> None:
    assert set(POOLS) == POOL_RULES
    bad, good = POOLS[rule_id]
    assert _verdict(rule_id, POOL_TYPE, bad, AP) == "deny"
    assert _verdict(rule_id, POOL_TYPE, good, AP) == "allow"
    assert (
        _verdict(rule_id, "Microsoft.ContainerService/managedClusters", {"agentPoolProfiles": [good, bad]}, MC)
        == "deny"
    )
    assert _verdict(rule_id, "Microsoft.ContainerService/managedClusters", {"agentPoolProfiles": [good]}, MC) == "allow"


def test_max_pods_minimum_is_a_parameter_from_the_environments_config() -> None:
    definition = DEFINITIONS["definitions/aksfleet-aks-027.json"]
    assert definition["properties"]["parameters"]["minimumMaxPods"]["defaultValue"] == 50
    assert azure_policy.verdict(definition, POOL_TYPE, {"maxPods": 40}, AP, {"minimumMaxPods": 30}) == "allow"
    assert azure_policy.verdict(definition, POOL_TYPE, {}, AP) == "deny"


CLUSTER = "Microsoft.ContainerService/managedClusters"


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"identity": {"type": "SystemAssigned"}}, "allow"),
        ({"identity": {"type": "UserAssigned"}, "servicePrincipalProfile": {"clientId": "msi"}}, "allow"),
        ({"identity": {"type": "SystemAssigned"}, "servicePrincipalProfile": {"clientId": "0000-sp"}}, "deny"),
        ({"servicePrincipalProfile": {"clientId": "0000-sp"}}, "deny"),
    ],
)
def test_managed_identity_is_exported(props: dict[str, Any], expected: str) -> None:
    assert "AKS-012" not in NOT_EXPRESSIBLE
    assert _verdict("AKS-012", CLUSTER, props, MC) == expected


def test_container_insights_is_exported_and_http_routing_reason_names_the_missing_alias() -> None:
    assert _verdict("AKS-029", CLUSTER, {"addonProfiles": {"omsagent": {"enabled": True}}}, MC) == "allow"
    assert _verdict("AKS-029", CLUSTER, {"addonProfiles": {}}, MC) == "deny"
    assert "no alias" in NOT_EXPRESSIBLE["AKS-022"] and "casing" not in NOT_EXPRESSIBLE["AKS-022"]
    assert {"AKS-024", "AKS-027", "AKS-029"} <= set(CONDITIONS)
