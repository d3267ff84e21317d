"""Every exported definition and the initiative validate against Azure's published schemas, except for the gaps
Microsoft's own built-ins share: each correction below is proven necessary by a vendored built-in
(tests/conformance/azure/policy/PROVENANCE.md)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

from fleet.policy.azure_policy import export_initiative

HERE = Path(__file__).resolve().parents[1] / "conformance" / "azure" / "policy"
BASE = "https://schema.management.azure.com/schemas"
RULE = f"{BASE}/2020-10-01/policyDefinition.json"
AUTH = f"{BASE}/2025-11-01/Microsoft.Authorization.json"
DEPLOYMENTS = f"{BASE}/2018-05-01/Microsoft.Resources.Deployments.json"
GAPS = ("boolean-comparisons", "deployment-ref", "oneof-any-or-expression")


def _load(name: str) -> Any:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


@cache
def _registry(corrected: frozenset[str]) -> Registry:
    rule, auth = (
        _load("schemas/policyDefinition.2020-10-01.json"),
        _load("schemas/Microsoft.Authorization.2025-11-01.json"),
    )
    resources = [
        (RULE, rule),
        (AUTH, auth),
        (f"{BASE}/common/definitions.json", _load("schemas/common-definitions.json")),
    ]
    if "boolean-comparisons" in corrected:
        for node in _walk(rule):
            if node.get("type") == ["number", "string"]:
                node["type"] = ["number", "string", "boolean"]
    if "deployment-ref" in corrected:
        resources_2018 = copy.deepcopy(_load("schemas/Microsoft.Resources.2018-05-01.json"))
        definitions = resources_2018["definitions"]
        definitions["DeploymentProperties"] = definitions["DeploymentPropertiesOrDeploymentPropertiesExtended"]
        resources.append((DEPLOYMENTS, resources_2018))
    if "oneof-any-or-expression" in corrected:
        for node in _walk(auth):
            if isinstance(node.get("oneOf"), list) and node["oneOf"] and node["oneOf"][0] == {}:
                node["anyOf"] = node.pop("oneOf")
    return Registry().with_resources([(uri, Resource(schema, DRAFT4)) for uri, schema in resources])


def _errors(document: dict[str, Any], corrected: frozenset[str] = frozenset(GAPS)) -> list[str]:
    registry = _registry(corrected)
    properties = document["properties"]
    if "policyDefinitions" in properties:
        validators = [
            (
                Draft4Validator({"$ref": f"{AUTH}#/definitions/PolicySetDefinitionProperties"}, registry=registry),
                properties,
            )
        ]
    else:
        validators = [
            (
                Draft4Validator({"$ref": f"{AUTH}#/definitions/PolicyDefinitionProperties"}, registry=registry),
                properties,
            ),
            (Draft4Validator({"$ref": RULE}, registry=registry), properties["policyRule"]),
        ]
    found = []
    for validator, instance in validators:
        for error in validator.iter_errors(instance):
            found += [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in _nested(error)]
    return found


def _nested(error: Any) -> Iterator[Any]:
    """The error and every error inside its oneOf/anyOf branches: where a gap shows is often a branch."""
    yield error
    for inner in error.context or []:
        yield from _nested(inner)


EXPORTS = {env: export_initiative(env, management_group="mg-platform") for env in ("dev", "staging", "prod")}


@pytest.mark.parametrize("environment", sorted(EXPORTS))
def test_every_exported_document_validates_against_the_published_schemas(environment: str) -> None:
    files = EXPORTS[environment]
    problems = {name: _errors(document) for name, document in files.items()}
    assert {name: found for name, found in problems.items() if found} == {}
    assert "initiative.json" in files and len(files) > 2


def _builtin(name: str) -> dict[str, Any]:
    return _load(f"builtins/{name}")


def test_boolean_comparisons_are_a_gap_the_built_ins_share() -> None:
    without = frozenset(GAPS) - {"boolean-comparisons"}
    builtin = _errors(_builtin("AKS_DisableLocalAccounts_Deny.json"), without)
    assert any("True is not of type" in e for e in builtin), builtin
    ours = _errors(EXPORTS["prod"]["definitions/aksfleet-aks-001.json"], without)
    assert any("True is not of type" in e for e in ours), ours


def test_the_unpublished_deployment_schema_is_a_gap_the_built_ins_share() -> None:
    without = frozenset(GAPS) - {"deployment-ref"}
    for document in (
        _builtin("Deploy-GitOps-Flux2-Extension-to-Kubernetes-cluster_DINE.json"),
        EXPORTS["prod"]["definitions/aksfleet-flux-extension.json"],
    ):
        with pytest.raises(Unresolvable):
            _errors(document, without)


def test_expressions_under_oneof_any_value_are_a_gap_the_built_ins_share() -> None:
    without = frozenset(GAPS) - {"oneof-any-or-expression"}
    marker = "is valid under each of"
    builtin = _errors(_builtin("AKS_ImageIntegrity.json"), without)
    assert any(e.startswith("policyDefinitions/") and marker in e for e in builtin), builtin
    ours = _errors(EXPORTS["prod"]["initiative.json"], without)
    assert any(e.startswith("policyDefinitions/") and marker in e for e in ours), ours


def test_the_corrections_hide_nothing_else() -> None:
    """A document with a real mistake still fails: an unknown effect, a condition with no operator."""
    broken = copy.deepcopy(EXPORTS["prod"]["definitions/aksfleet-aks-004.json"])
    broken["properties"]["policyRule"]["then"]["effect"] = "block"
    broken["properties"]["policyRule"]["if"]["allOf"][1] = {"field": "type"}
    assert len(_errors(broken)) >= 2
