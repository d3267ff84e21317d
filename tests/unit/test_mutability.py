"""The replace guard's create-only paths come from Azure's REST specifications (issue 12, item 3)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import fleet.plan.create_only_derived as derived_module
from fleet.plan.create_only_derived import DERIVED
from fleet.plan.diff import diff_plans, guard
from fleet.plan.model import Plan
from fleet.plan.mutability import DOCUMENTED, UPDATABLE, create_only_paths, forces_replacement
from tests.conformance.azure import swagger
from tests.conftest import STACKS_DIR, plan_for

CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
FLUX = "azure-native:kubernetesconfiguration:FluxConfiguration"
# Character counts of the stored originals read with read_file (arm/PROVENANCE.md): a copy that differs in
# length is not the original.
VERBATIM = {
    "aks": 346651,
    "ext": 25571,
    "flux": 53009,
    "v5": 26675,
    "kc": 4885,
}


def _change(plan: Plan, type_token: str, name_suffix: str, path: list[str], value: object) -> Plan:
    """A copy of `plan` where the resource of `type_token` whose name ends with `name_suffix` has `value` at `path`."""
    resources = []
    for r in plan.resources:
        if r.type == type_token and r.name.endswith(name_suffix):
            inputs = json.loads(json.dumps(r.inputs))
            node = inputs
            for key in path[:-1]:
                node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
            node[path[-1]] = value
            r = dataclasses.replace(r, inputs=inputs)
        resources.append(r)
    return dataclasses.replace(plan, resources=resources)


def test_the_derived_table_is_what_the_vendored_swagger_says() -> None:
    assert swagger.render_derived() == Path(derived_module.__file__).read_text()
    assert {t: swagger.derive_create_only(t) for t in swagger.RESOURCE_TYPES} == DERIVED


@pytest.mark.parametrize("key", sorted(VERBATIM))
def test_vendored_specifications_are_whole_copies(key: str) -> None:
    text = swagger.SPECS[key].read_text(encoding="utf-8")
    assert len(text) == VERBATIM[key]
    assert json.loads(text)["swagger"] == "2.0"


def test_flux_scope_and_namespace_are_create_only_by_x_ms_mutability() -> None:
    derived = swagger.derive_create_only(FLUX)
    assert {"scope", "namespace", "fluxConfigurationName", "clusterName"} <= set(derived)
    assert "suspend" not in derived and "gitRepository" not in derived


def test_outbound_type_change_now_replaces_the_cluster_and_is_guarded() -> None:
    old = plan_for(STACKS_DIR, "prod-japaneast")
    new = _change(old, CLUSTER, "", ["networkProfile", "outboundType"], "managedNATGateway")
    (change,) = diff_plans(old, new)
    assert change.op == "replace" and change.replace_reasons == ["networkProfile.outboundType"]
    assert len(guard([change])) == 1


def test_kms_key_vault_network_access_change_replaces_the_cluster() -> None:
    old = plan_for(STACKS_DIR, "prod-japaneast")
    path = ["securityProfile", "azureKeyVaultKms", "keyVaultNetworkAccess"]
    (change,) = diff_plans(old, _change(old, CLUSTER, "", path, "Private"))
    assert change.op == "replace"
    assert change.replace_reasons == ["securityProfile.azureKeyVaultKms.keyVaultNetworkAccess"]


@pytest.mark.parametrize(("field", "value"), [("osSKU", "Ubuntu"), ("mode", "System")])
def test_pool_os_sku_and_mode_are_updated_in_place(field: str, value: str) -> None:
    old = plan_for(STACKS_DIR, "prod-japaneast")
    pool = next(r for r in old.resources if r.type == POOL)
    assert pool.inputs.get(field) != value
    (change,) = diff_plans(old, _change(old, POOL, pool.name, [field], value))
    assert change.op == "update" and [p.path for p in change.properties] == [field]


def test_a_system_pool_vm_size_change_in_the_cluster_is_a_replace() -> None:
    old = plan_for(STACKS_DIR, "prod-japaneast")
    (change,) = diff_plans(old, _change(old, CLUSTER, "", ["agentPoolProfiles", "0", "vmSize"], "Standard_D8ds_v5"))
    assert change.op == "replace" and change.replace_reasons == ["agentPoolProfiles[0].vmSize"]


def test_any_list_index_matches_and_only_whole_path_segments_do() -> None:
    paths = create_only_paths(CLUSTER)
    assert forces_replacement("agentPoolProfiles[3].osDiskType", paths)
    assert forces_replacement("networkProfile.outboundType", paths)
    assert not forces_replacement("dnsPrefixSuffix", paths)
    assert not forces_replacement("agentPoolProfiles[0].osDiskSizeGB", paths)


def test_every_documented_entry_says_where_it_is_documented() -> None:
    for entries in DOCUMENTED.values():
        for path, source in entries.items():
            assert source.strip(), path
    # The derived part and the documented part do not repeat each other.
    for pulumi_type, derived in DERIVED.items():
        assert not set(derived) & set(DOCUMENTED.get(pulumi_type, {})), pulumi_type


# The hand-kept table the swagger replaced (fleet/plan/diff.py REPLACE_ON_CHANGE at 386ca0e), as data: every path
# it named must now be create-only or listed in UPDATABLE with the reason, so that no path is dropped unnoticed.
PREVIOUS_TABLE = {
    CLUSTER: (
        "resourceName",
        "resourceGroupName",
        "location",
        "dnsPrefix",
        "networkProfile.networkPlugin",
        "networkProfile.podCidr",
        "networkProfile.serviceCidr",
        "networkProfile.dnsServiceIP",
        "agentPoolProfiles[0].name",
        "agentPoolProfiles[0].vmSize",
        "agentPoolProfiles[0].osDiskType",
        "agentPoolProfiles[0].availabilityZones",
        "agentPoolProfiles[0].vnetSubnetID",
        "apiServerAccessProfile.enablePrivateCluster",
    ),
    POOL: (
        "agentPoolName",
        "resourceName",
        "resourceGroupName",
        "vmSize",
        "osDiskType",
        "osSKU",
        "availabilityZones",
        "vnetSubnetID",
        "maxPods",
        "mode",
    ),
}


@pytest.mark.parametrize(("pulumi_type", "path"), [(t, p) for t, paths in PREVIOUS_TABLE.items() for p in paths])
def test_every_path_of_the_previous_table_is_create_only_or_says_why_not(pulumi_type: str, path: str) -> None:
    create_only = forces_replacement(path, create_only_paths(pulumi_type))
    updatable = [p for p in UPDATABLE.get(pulumi_type, {}) if forces_replacement(path, (p,))]
    assert create_only != bool(updatable), (path, create_only, updatable)
    for reason in UPDATABLE.get(pulumi_type, {}).values():
        assert reason.strip()


def test_fqdn_subdomain_is_create_only_as_the_swagger_says() -> None:
    """managedClusters.json 2025-09-01: 'This cannot be updated once the Managed Cluster has been created.'"""
    assert forces_replacement("fqdnSubdomain", create_only_paths(CLUSTER))


def test_a_new_name_or_location_replaces_every_type_of_the_registry() -> None:
    """Walkthrough: moving dev to japanwest showed the collection rule's new name and the workspace's new location as
    updates; a URL parameter names the resource and location is create-only on TrackedResource."""
    from components.azure_types import DATA_COLLECTION_RULE, TYPES, WORKSPACE

    assert forces_replacement("dataCollectionRuleName", create_only_paths(DATA_COLLECTION_RULE.token))
    assert forces_replacement("location", create_only_paths(WORKSPACE.token))
    for azure_type in TYPES:
        for parameter in azure_type.url_params:
            assert forces_replacement(parameter, create_only_paths(azure_type.token)), (azure_type.token, parameter)
