"""Every answer of the ARM emulator against the response schema of its operation in the vendored REST
specifications (tests/conformance/azure/arm). tests/conftest.py checks the answers of every test; this file
drives each operation the emulator serves and shows that the check refuses what the swagger refuses."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conformance.azure.swagger import operation_for, recorded_problems, response_problems
from tests.fakes import arm as arm_module
from tests.fakes.arm import ArmEmulator, cluster_id, secure_cluster_properties, secure_flux_properties

AKS_API, KC_API = "2025-09-01", "2023-05-01"
CID = cluster_id("00000000-0000-0000-0000-000000000000", "rg1", "aks1")
KC = f"{CID}/providers/Microsoft.KubernetesConfiguration"


@pytest.fixture
def arm() -> Iterator[ArmEmulator]:
    with ArmEmulator() as emulator:
        yield emulator


def call(arm: ArmEmulator, method: str, path: str, api: str, body: Any = None) -> requests.Response:
    url = f"{arm.base_url}{path}?api-version={api}"
    return requests.request(method, url, json=body, verify=arm.ca_bundle, timeout=10)


def test_every_operation_the_emulator_serves_answers_within_its_swagger(arm: ArmEmulator) -> None:
    cluster = {"location": "japaneast", "properties": secure_cluster_properties()}
    profile = secure_cluster_properties()["agentPoolProfiles"][1]
    pool = {"properties": {k: v for k, v in profile.items() if k != "name"}}
    extension = {"properties": {"extensionType": "microsoft.flux", "scope": {"cluster": {"releaseNamespace": "x"}}}}
    flux = {"properties": secure_flux_properties()}
    for method, path, api, body in [
        ("PUT", CID, AKS_API, cluster),
        ("PUT", CID, AKS_API, cluster),
        ("PUT", f"{CID}/agentPools/batch", AKS_API, pool),
        ("GET", CID, AKS_API, None),
        ("GET", f"{CID}/agentPools/batch", AKS_API, None),
        ("GET", f"{CID}/agentPools", AKS_API, None),
        ("GET", CID.rsplit("/", 1)[0], AKS_API, None),
        ("PUT", f"{KC}/fluxConfigurations/platform", KC_API, flux),  # 400: no flux extension yet
        ("PUT", f"{KC}/extensions/flux", KC_API, extension),
        ("GET", f"{KC}/extensions/flux", KC_API, None),
        ("GET", f"{KC}/extensions", KC_API, None),
        ("PUT", f"{KC}/fluxConfigurations/platform", KC_API, flux),
        ("GET", f"{KC}/fluxConfigurations/platform", KC_API, None),
        ("GET", f"{KC}/fluxConfigurations", KC_API, None),
        ("DELETE", f"{KC}/fluxConfigurations/platform", KC_API, None),
        ("DELETE", f"{KC}/fluxConfigurations/platform", KC_API, None),
        ("DELETE", f"{KC}/extensions/flux", KC_API, None),
        ("DELETE", f"{CID}/agentPools/batch", AKS_API, None),
        ("GET", f"{CID}/agentPools/batch", AKS_API, None),
        ("DELETE", CID, AKS_API, None),
    ]:
        call(arm, method, path, api, body)
    recorded = list(arm_module.RECORDED or [])
    covered = {operation_for(m, p).operation["operationId"] for m, p, _, _ in recorded if operation_for(m, p)}
    assert covered >= {
        "ManagedClusters_CreateOrUpdate",
        "ManagedClusters_Get",
        "ManagedClusters_ListByResourceGroup",
        "ManagedClusters_Delete",
        "AgentPools_CreateOrUpdate",
        "AgentPools_Get",
        "AgentPools_List",
        "AgentPools_Delete",
        "Extensions_Create",
        "Extensions_Get",
        "Extensions_List",
        "Extensions_Delete",
        "FluxConfigurations_CreateOrUpdate",
        "FluxConfigurations_Get",
        "FluxConfigurations_List",
        "FluxConfigurations_Delete",
    }
    assert {s for _, _, s, _ in recorded} >= {200, 201, 202, 204, 400, 404}
    assert recorded_problems(recorded) == []


def _flux_answer() -> dict[str, Any]:
    with ArmEmulator(reconcile_seconds=0.0) as arm:
        cid = arm.add_cluster("sub", "rg1", "aks1")
        arm.add_extension(cid)
        arm.add_flux_configuration(cid)
        answer = call(
            arm, "GET", f"{cid}/providers/Microsoft.KubernetesConfiguration/fluxConfigurations/platform", KC_API
        )
    return dict(answer.json())


def test_the_check_refuses_what_the_swagger_refuses() -> None:
    flux_path = f"{KC}/fluxConfigurations/platform"
    good = _flux_answer()
    assert response_problems("GET", flux_path, 200, good) == []

    bad = copy.deepcopy(good)
    bad["properties"]["complianceState"] = "Healthy"  # not in FluxComplianceStateDefinition
    assert any("complianceState" in p for p in response_problems("GET", flux_path, 200, bad))

    bad = copy.deepcopy(good)
    bad["properties"]["statuses"][0]["statusConditions"] = {"type": "Ready"}  # an array in the swagger
    assert any("statusConditions" in p for p in response_problems("GET", flux_path, 200, bad))

    extension = {"properties": {"provisioningState": "Installing"}}  # not a ProvisioningStateDefinition value
    assert response_problems("GET", f"{KC}/extensions/flux", 200, extension)

    cluster = {"location": "japaneast", "properties": {"addonProfiles": {"omsagent": {"config": {"x": "1"}}}}}
    problems = response_problems("GET", CID, 200, cluster)
    assert any("enabled" in p for p in problems), "ManagedClusterAddonProfile requires enabled"
    assert response_problems("PUT", CID, 202, cluster) == [
        "ManagedClusters_CreateOrUpdate 202: status not declared (declares ['200', '201', 'default'])"
    ]
    assert response_problems("DELETE", CID, 202, {"id": CID}) == [
        "ManagedClusters_Delete 202: a body where the operation declares none"
    ]
