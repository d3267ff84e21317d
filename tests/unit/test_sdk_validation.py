"""Plans are checked against the Azure SDK models of the very API versions azure-native sends."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from azure.mgmt.containerservice import _configuration as containerservice_configuration
from pulumi_azure_native import containerservice, kubernetesconfiguration

from components.azure_types import CONTAINERSERVICE_API_VERSION, KUBERNETESCONFIGURATION_API_VERSION
from fleet.plan.sdk_validation import validate_resources
from tests.conftest import SHIPPED_STACKS, STACKS_DIR, plan_for


def test_sdk_and_provider_speak_the_same_api_versions() -> None:
    for resource in (containerservice.ManagedCluster, containerservice.AgentPool):
        assert f"Uses Azure REST API version {CONTAINERSERVICE_API_VERSION}." in inspect.getsource(resource)
    for resource in (kubernetesconfiguration.Extension, kubernetesconfiguration.FluxConfiguration):
        assert f"Uses Azure REST API version {KUBERNETESCONFIGURATION_API_VERSION}." in inspect.getsource(resource)
    source = inspect.getsource(containerservice_configuration)
    assert f'api_version: str = kwargs.pop("api_version", "{CONTAINERSERVICE_API_VERSION}")' in source


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_validate_cleanly(stack: str) -> None:
    assert validate_resources(plan_for(STACKS_DIR, stack).resources) == []


def _mutated(type_token: str, **changes: object) -> list[str]:
    resource = plan_for(STACKS_DIR, "prod-japaneast").of_type(type_token)[0]
    broken = dataclasses.replace(resource, inputs={**resource.inputs, **changes})
    return [f"{e.property}: {e.message}" for e in validate_resources([broken])]


def test_property_missing_from_the_api_version_is_an_error() -> None:
    errors = _mutated("azure-native:kubernetesconfiguration:FluxConfiguration", ociRepository={"url": "oci://x"})
    assert errors == [errors[0]] and errors[0].startswith("ociRepository: not a property of this API version")


def test_wrong_type_and_sdk_constraints_are_errors() -> None:
    cluster = plan_for(STACKS_DIR, "prod-japaneast").of_type("azure-native:containerservice:ManagedCluster")[0]
    profile = {**cluster.inputs["agentPoolProfiles"][0], "name": "System-Pool", "osDiskSizeGB": 4096}
    errors = _mutated(
        "azure-native:containerservice:ManagedCluster",
        agentPoolProfiles=[profile],
        networkProfile={**cluster.inputs["networkProfile"], "podCidr": 10},
    )
    assert "networkProfile.podCidr: expected str, got int 10" in errors
    assert any(e.startswith("agentPoolProfiles[0].name: 'System-Pool' does not match") for e in errors)
    assert "agentPoolProfiles[0].osDiskSizeGB: 4096 is above the maximum 2048" in errors


def test_read_only_property_is_an_error() -> None:
    errors = _mutated("azure-native:containerservice:ManagedCluster", provisioningState="Succeeded")
    assert errors == ["provisioningState: read-only: Azure sets it, a request must not"]
