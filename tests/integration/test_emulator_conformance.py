"""The ARM emulator against Azure's own examples and Resource Graph samples (tests/conformance/azure/arm).

Raw HTTP, so status codes and headers are seen as a client sees them. Requests are the examples' bodies with
read-only values dropped by the Azure SDK model (what a real client sends); answers must carry every key the
example's answer carries, with the same JSON type, except the read-only values listed in GAPS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.mgmt.containerservice import models as cs
from azure.mgmt.kubernetesconfiguration.v2023_05_01 import models as kc

from fleet.audit.graph import QUERIES
from tests.conftest import PROJECT_DIR
from tests.fakes.arm import ArmEmulator, cluster_id

# Subscription ids are UUIDs (the CLI refuses anything else before asking for a credential).
SUB_A = "00000000-0000-0000-0000-00000000000a"

VENDORED = PROJECT_DIR / "tests" / "conformance" / "azure"
AKS = VENDORED / "arm" / "containerservice" / "2025-09-01"
KC = VENDORED / "arm" / "kubernetesconfiguration" / "2023-05-01"
# Read-only values the examples show that the toolkit never reads and the emulator does not produce.
GAPS = {
    "eTag",
    "systemData",
    "properties.maxAgentPools",
    "properties.azurePortalFQDN",
    "properties.agentPoolProfiles[].eTag",
    "properties.agentPoolProfiles[].nodeImageVersion",
    "properties.agentPoolProfiles[].currentOrchestratorVersion",
    "properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs",
    "properties.nodeImageVersion",
    "properties.currentOrchestratorVersion",
    "properties.maxPods",  # an AKS default the pool example's answer shows but its request does not send
    "properties.repositoryPublicKey",
    "properties.sourceUpdatedAt",
    "properties.statusUpdatedAt",
    "properties.errorMessage",
    "properties.statuses[].helmReleaseProperties",
    "properties.statuses[].appliedBy",
}


def example(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def gaps(want: Any, have: Any, path: str = "") -> Iterator[str]:
    """Paths where `have` lacks a key `want` carries, or carries it with another JSON type."""
    if path in GAPS or want is None:
        return
    if have is None:
        yield f"{path}: missing"
    elif isinstance(want, dict):
        if not isinstance(have, dict):
            yield f"{path}: object expected"
            return
        for key, value in want.items():
            yield from gaps(value, have.get(key), f"{path}.{key}" if path else key)
    elif isinstance(want, list):
        if not isinstance(have, list) or (want and not have):
            yield f"{path}: non-empty array expected"
            return
        for w, h in zip(want, have, strict=False):
            yield from gaps(w, h, f"{path}[]")
    elif type(want) is not type(have) and not (isinstance(want, float) and isinstance(have, int)):
        yield f"{path}: {type(want).__name__} expected, got {type(have).__name__}"


def without_read_only(model: Any, body: dict[str, Any]) -> dict[str, Any]:
    return dict(model.deserialize(body).serialize())


@pytest.fixture
def arm() -> Iterator[ArmEmulator]:
    with ArmEmulator() as emulator:
        yield emulator


def call(arm: ArmEmulator, method: str, path: str, api: str, body: Any = None) -> requests.Response:
    url = f"{arm.base_url}{path}?api-version={api}"
    return requests.request(method, url, json=body, verify=arm.ca_bundle, timeout=10)


def test_cluster_and_pool_answer_as_the_examples_do(arm: ArmEmulator) -> None:
    get = example(AKS / "ManagedClustersGet.json")
    cid = cluster_id("00000000-0000-0000-0000-000000000000", "rg1", "clustername1")
    body = without_read_only(cs.ManagedCluster, get["responses"]["200"]["body"])
    assert call(arm, "PUT", cid, "2025-09-01", body).status_code == 201
    assert call(arm, "PUT", cid, "2025-09-01", body).status_code == 200
    answer = call(arm, "GET", cid, "2025-09-01").json()
    assert list(gaps(get["responses"]["200"]["body"], answer)) == []
    assert "/resourcegroups/" in answer["properties"]["diskEncryptionSetID"], "ids re-cased as the example shows"

    pool = example(AKS / "AgentPoolsCreate_Update.json")
    pid = f"{cid}/agentPools/agentpool1"
    created = call(arm, "PUT", pid, "2025-09-01", pool["parameters"]["parameters"])
    assert created.status_code == 201 and list(gaps(pool["responses"]["201"]["body"], created.json())) == []
    updated = call(arm, "PUT", pid, "2025-09-01", pool["parameters"]["parameters"])
    assert updated.status_code == 200 and list(gaps(pool["responses"]["200"]["body"], updated.json())) == []
    listed = call(arm, "GET", cid, "2025-09-01").json()["properties"]["agentPoolProfiles"]
    assert [p["name"] for p in listed] == ["nodepool1", "agentpool1"], "the separately created pool is listed"

    delete = example(AKS / "AgentPoolsDelete.json")["responses"]
    gone = call(arm, "DELETE", pid, "2025-09-01")
    assert gone.status_code == 202 and set(delete["202"]["headers"]) <= {k.lower() for k in gone.headers}
    assert call(arm, "DELETE", pid, "2025-09-01").status_code == 204


def test_extension_and_flux_configuration_answer_as_the_examples_do(arm: ArmEmulator) -> None:
    cid = arm.add_cluster("subId1", "rg1", "clusterName1")
    base = f"{cid}/providers/Microsoft.KubernetesConfiguration"
    get = example(KC / "GetExtension.json")["responses"]["200"]["body"]
    put = call(arm, "PUT", f"{base}/extensions/ClusterMonitor", "2023-05-01", without_read_only(kc.Extension, get))
    assert put.status_code == 201
    assert list(gaps(get, call(arm, "GET", f"{base}/extensions/ClusterMonitor", "2023-05-01").json())) == []
    deleted = call(arm, "DELETE", f"{base}/extensions/ClusterMonitor", "2023-05-01")
    headers = example(KC / "DeleteExtension.json")["responses"]["202"]["headers"]
    assert (
        deleted.status_code == 202 and "Azure-AsyncOperation" in headers and "Azure-AsyncOperation" in deleted.headers
    )

    arm.add_extension(cid)  # a flux configuration needs the microsoft.flux extension
    flux = example(KC / "GetFluxConfiguration.json")["responses"]["200"]["body"]
    request = without_read_only(kc.FluxConfiguration, flux)
    assert call(arm, "PUT", f"{base}/fluxConfigurations/srs-fluxconfig", "2023-05-01", request).status_code == 201
    answer = call(arm, "GET", f"{base}/fluxConfigurations/srs-fluxconfig", "2023-05-01").json()
    assert list(gaps(flux, answer)) == []
    assert [s["name"] for s in answer["properties"]["statuses"]] == [s["name"] for s in flux["properties"]["statuses"]]
    assert {s["namespace"] for s in answer["properties"]["statuses"]} == {flux["properties"]["namespace"]}


def test_resource_graph_rows_read_as_microsofts_samples_read_them(arm: ArmEmulator) -> None:
    samples = (VENDORED / "resource-graph" / "arc-kubernetes-samples.kql").read_text()
    extension_names = set(re.findall(r"properties\.(\w+)\s*==\s*'microsoft\.azuremonitor", samples))
    flux_names = set(re.findall(r"properties\.(\w+)\s*==\s*'Non-Compliant'", samples))
    assert extension_names == {"ExtensionType"} and flux_names == {"complianceState"}
    cid = arm.add_cluster(SUB_A, "rg-x", "aks-1")
    arm.add_extension(cid)
    arm.add_flux_configuration(cid)
    client = arm.azure_context().resource_graph()
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    def rows(query: str) -> list[dict[str, Any]]:
        options = QueryRequestOptions(result_format="objectArray")
        return list(client.resources(QueryRequest(subscriptions=[SUB_A], query=query, options=options)).data)

    (extension,) = rows(QUERIES["extensions"])
    (configuration,) = rows(QUERIES["fluxConfigurations"])
    assert extension_names <= set(extension["properties"]) and flux_names <= set(configuration["properties"])
    assert extension["properties"]["ConfigurationSettings"] == {"multiTenancy.enforce": "true"}, "map keys as set"
    # Resource Graph answers from the table a query names: extensions are not in `resources`.
    assert rows(QUERIES["extensions"].replace("kubernetesconfigurationresources", "resources", 1)) == []
