"""The Azure type registry: the only place facts about a type are spelled, checked against Azure's own artefacts.

The vendored REST examples (tests/conformance/azure/arm, provenance in PROVENANCE.md there) name each operation's
URL parameters and API version and show what ARM answers; the Azure SDK models, generated from the same swagger,
say which body keys sit outside `properties`. The converter must take ARM's answers to the plan shape and back
without losing anything a request may carry.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from components.azure_types import (
    AGENT_POOL,
    ARM_SERVED,
    EXTENSION,
    FLUX_CONFIGURATION,
    MANAGED_CLUSTER,
    TYPES,
    AzureType,
    by_token,
    to_arm,
    to_plan,
    url_inputs,
)
from fleet.plan.sdk_validation import BINDINGS
from tests.conftest import SHIPPED_STACKS, STACKS_DIR, plan_for

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "components" / "azure_types.py"
ARM = ROOT / "tests" / "conformance" / "azure" / "arm"
# The examples of each type's GET (and, for pools, the PUT whose request body is a full AgentPool).
EXAMPLES: dict[str, Path] = {
    MANAGED_CLUSTER.token: ARM / "containerservice" / "2025-09-01" / "ManagedClustersGet.json",
    AGENT_POOL.token: ARM / "containerservice" / "2025-09-01" / "AgentPoolsCreate_Update.json",
    EXTENSION.token: ARM / "kubernetesconfiguration" / "2023-05-01" / "GetExtension.json",
    FLUX_CONFIGURATION.token: ARM / "kubernetesconfiguration" / "2023-05-01" / "GetFluxConfiguration.json",
}
_NOT_URL_INPUTS = {"api-version", "subscriptionId", "parameters"}  # the client's, not the resource's inputs

_TOKEN = re.compile(r"azure-native:[a-z]+(/v\w+)?:[A-Z]\w*")
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$|api-version=\d{4}-")


def _example(azure_type: AzureType) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLES[azure_type.token].read_text())
    return data


def _url_of(example: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in example["parameters"].items() if k not in _NOT_URL_INPUTS}


def _spelled(path: Path) -> list[str]:
    """String literals (not docstrings, not comments) that spell a type token or an API version."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and (_TOKEN.search(node.value) or _API_VERSION.search(node.value))
    ]


def test_type_tokens_and_api_versions_are_spelled_only_in_the_registry() -> None:
    sources = [p for folder in ("fleet", "components") for p in sorted((ROOT / folder).rglob("*.py"))]
    assert REGISTRY in sources
    spelled = [hit for path in sources if path != REGISTRY for hit in _spelled(path)]
    assert spelled == []
    assert len(_spelled(REGISTRY)) >= len(TYPES)  # the scan does see literals where they are


@pytest.mark.parametrize("azure_type", ARM_SERVED, ids=lambda t: t.short_name)
def test_url_parameters_and_api_version_are_the_rest_operations(azure_type: AzureType) -> None:
    example = _example(azure_type)
    assert set(azure_type.url_params) == set(_url_of(example))
    assert azure_type.api_version == example["parameters"]["api-version"]
    assert azure_type.arm_type.rsplit("/", 1)[-1].lower() in example["responses"]["200"]["body"]["id"].lower()


@pytest.mark.parametrize("azure_type", ARM_SERVED, ids=lambda t: t.short_name)
def test_the_body_envelope_is_the_sdk_models_writable_top_level(azure_type: AzureType) -> None:
    binding = BINDINGS[azure_type.token]
    model = getattr(binding.models, binding.model)
    read_only = {attr for attr, rules in model._validation.items() if rules.get("readonly")}
    top = {
        spec["key"]
        for attr, spec in model._attribute_map.items()
        if not spec["key"].startswith("properties.") and attr not in read_only
    }
    assert set(azure_type.envelope) == top


@pytest.mark.parametrize("azure_type", ARM_SERVED, ids=lambda t: t.short_name)
def test_an_arm_answer_converts_to_the_plan_shape_and_back(azure_type: AzureType) -> None:
    example = _example(azure_type)
    body = example["responses"]["200"]["body"]
    url = _url_of(example)
    plan = to_plan(azure_type, body, url)
    assert {k: plan[k] for k in url} == url
    assert {k: v for k, v in plan.items() if k not in url} == {
        **body["properties"],
        **{k: body[k] for k in azure_type.envelope if k in body},
    }
    # What goes back to ARM is all of the answer but its read-only top level (id, name, type, systemData, eTag).
    assert to_arm(azure_type, plan) == {k: v for k, v in body.items() if k in azure_type.envelope or k == "properties"}


def test_a_pool_request_body_round_trips_exactly() -> None:
    example = _example(AGENT_POOL)
    request = example["parameters"]["parameters"]
    assert to_arm(AGENT_POOL, to_plan(AGENT_POOL, request, _url_of(example))) == request


def test_url_inputs_name_what_the_rest_path_names() -> None:
    for azure_type in ARM_SERVED:
        example = _example(azure_type)
        url = _url_of(example)
        cluster = url.get("clusterName", url.get("resourceName", ""))
        name = url[azure_type.name_input]
        derived = url_inputs(azure_type, resource_group=url["resourceGroupName"], name=name, cluster=cluster)
        # The examples' extensions live on Arc clusters (Microsoft.Kubernetes/connectedClusters); the toolkit's on AKS.
        assert {k: v for k, v in derived.items() if k not in ("clusterRp", "clusterResourceName")} == {
            k: v for k, v in url.items() if k not in ("clusterRp", "clusterResourceName")
        }
    extension = url_inputs(EXTENSION, resource_group="rg", name="flux", cluster="aks")
    assert (extension["clusterRp"], extension["clusterResourceName"]) == tuple(MANAGED_CLUSTER.arm_type.split("/"))


def test_user_assigned_identities_are_a_list_in_the_plan_and_a_map_in_arm() -> None:
    ids = ["/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a"]
    plan = {
        "resourceGroupName": "rg",
        "resourceName": "c",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": ids},
    }
    body = to_arm(MANAGED_CLUSTER, plan)
    assert body == {"identity": {"type": "UserAssigned", "userAssignedIdentities": {ids[0]: {}}}}
    answered = copy.deepcopy(body)
    answered["identity"]["userAssignedIdentities"][ids[0]] = {"principalId": "p", "clientId": "c"}  # read-only
    assert to_plan(MANAGED_CLUSTER, answered, {"resourceGroupName": "rg", "resourceName": "c"}) == plan


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_planned_resource_converts_to_arm_and_back(stack: str) -> None:
    for resource in plan_for(STACKS_DIR, stack, preview=False).resources:
        azure_type = by_token(resource.type)
        if azure_type is None or azure_type not in ARM_SERVED:
            continue
        body = to_arm(azure_type, resource.inputs)
        assert set(body) <= {*azure_type.envelope, "properties"}
        url = {k: resource.inputs[k] for k in azure_type.url_params}
        assert to_plan(azure_type, body, url) == resource.inputs, resource.name


@pytest.mark.parametrize("azure_type", ARM_SERVED, ids=lambda t: t.short_name)
def test_the_bicep_templates_declare_the_registrys_api_version(azure_type: AzureType) -> None:
    """Bicep must spell the version in each declaration; it must be the one the plan is validated against."""
    declared = [
        match.group(1)
        for path in sorted((ROOT / "bicep-templates").rglob("*.bicep"))
        for match in re.finditer(rf"'{re.escape(azure_type.arm_type)}@([^']+)'", path.read_text())
    ]
    assert declared and set(declared) == {azure_type.api_version}
