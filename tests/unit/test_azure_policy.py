"""The Azure Policy export: every generated definition is structurally valid, nothing is faked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleet import cli
from fleet.policy.azure_policy import CONDITIONS, NOT_EXPRESSIBLE, PARTIALLY_EXPRESSIBLE, export_initiative
from policies.baseline import BY_ID, CATALOGUE

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
    assert props["mode"] == "Indexed" and props["policyType"] == "Custom"
    effect = props["parameters"]["effect"]
    assert effect["defaultValue"] in effect["allowedValues"]
    assert props["policyRule"]["then"]["effect"] == "[parameters('effect')]"
    allowed_prefixes = ("Microsoft.ContainerService/managedClusters/", "Microsoft.KubernetesConfiguration/")
    for field in _fields(props["policyRule"]):
        assert field in ("type", "name") or field.startswith(allowed_prefixes), field
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
    assert INITIATIVE["properties"]["metadata"]["notExported"] == NOT_EXPRESSIBLE
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
    extension = next(r for r in template["resources"] if r["type"].endswith("/extensions"))
    assert extension["properties"]["configurationSettings"]["multiTenancy.enforce"] == "true"
    used = set(details["deployment"]["properties"]["parameters"])
    assert used == set(template["parameters"])


def test_configuration_comes_after_the_extension_and_uses_httpscacert() -> None:
    props = DEFINITIONS["definitions/aksfleet-flux-platform-configuration.json"]["properties"]
    template = props["policyRule"]["then"]["details"]["deployment"]["properties"]["template"]
    configuration = next(r for r in template["resources"] if r["type"].endswith("/fluxConfigurations"))
    assert "'Microsoft.KubernetesConfiguration/extensions', 'flux'" in configuration["dependsOn"][0]
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
    assert (tmp_path / "initiative.json").is_file() and len(list((tmp_path / "definitions").glob("*.json"))) == 23
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
    assert INITIATIVE["properties"]["metadata"]["partiallyExported"] == PARTIALLY_EXPRESSIBLE
    others = [
        d for n, d in DEFINITIONS.items() if d["properties"]["metadata"].get("ruleId") not in PARTIALLY_EXPRESSIBLE
    ]
    assert all("notExpressed" not in d["properties"]["metadata"] for d in others)
