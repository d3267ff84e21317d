"""Export round-trip: a live cluster → stack file → plan, with no drift against the live objects."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from ruamel.yaml import YAML

from components.azure_types import AGENT_POOL, ARM_SERVED, EXTENSION, MANAGED_CLUSTER, by_token, is_write_only, to_arm
from components.spec import load_stack
from fleet.dr.cli import write_export
from fleet.dr.export import SECRET_PLACEHOLDER, LiveCluster, parse_cluster_id, spec_from_live
from fleet.drift.compare import compare, live_map
from fleet.errors import BadInput
from fleet.plan.runner import plan_stack
from tests.conftest import STACKS_DIR, cluster_of, plan_for, write_stack


def stack_document_at(path: Path) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(path.read_text())


def live_from_stack(stack: str) -> LiveCluster:
    """What ARM would return for a deployed stack (REST shape; protected settings are never returned)."""
    plan = plan_for(STACKS_DIR, stack, preview=False)
    cluster: dict[str, Any] = {}
    pools, extensions, configurations = [], [], []
    for r in (r for r in plan.resources if r.custom):
        azure_type = by_token(r.type)
        if azure_type is None or azure_type not in ARM_SERVED:
            continue
        readable = {k: v for k, v in copy.deepcopy(r.inputs).items() if not is_write_only(azure_type, k)}
        body = {"name": r.inputs[azure_type.name_input], **to_arm(azure_type, readable)}
        if azure_type is MANAGED_CLUSTER:
            properties = body["properties"]
            cluster = {
                "id": f"/subscriptions/s/resourceGroups/{r.inputs['resourceGroupName']}/providers/"
                f"{MANAGED_CLUSTER.arm_type}/{r.inputs['resourceName']}",
                "resourceGroup": r.inputs["resourceGroupName"],
                **body,
                "properties": {**properties, "currentKubernetesVersion": properties["kubernetesVersion"]},
            }
        elif azure_type is AGENT_POOL:
            pools.append(body)
        elif azure_type is EXTENSION:
            extensions.append(body)
        else:
            configurations.append(body)
    system = cluster["properties"]["agentPoolProfiles"][0]
    pools.insert(0, {"name": system["name"], "properties": {k: v for k, v in system.items() if k != "name"}})
    return LiveCluster(cluster, pools, extensions, configurations)


@pytest.mark.parametrize("source", ["prod-japaneast", "dev"])
def test_export_round_trips_into_a_plan_without_drift(tmp_path: Path, source: str) -> None:
    live = live_from_stack(source)
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    source_spec = load_stack(STACKS_DIR, source).spec
    write_export(live, "exported", source_spec.environment, False, stacks, Console(file=None))
    if source_spec.security.kms:
        # ARM does not report a public vault's id: the export's to-do list asks for it, as a user would add it.
        document = stack_document_at(stacks / "Pulumi.exported.yaml")
        cluster_of(document)["security"]["kms"]["keyVaultResourceId"] = source_spec.security.kms.key_vault_resource_id
        write_stack(stacks, "exported", document)
    exported = load_stack(stacks, "exported").spec
    assert exported.name == live.cluster["name"]
    plan = plan_stack(stacks, "exported", policy=False)
    drifts = compare(plan, live_map(live.cluster, live.pools, live.extensions, live.configurations))
    assert [str(d) for d in drifts] == []


def test_secrets_are_exported_as_placeholders_with_instructions() -> None:
    exported = spec_from_live(live_from_stack("prod-japaneast"), environment="prod")
    auth = exported.spec["flux"]["platform"]["source"]["git"]["auth"]
    assert auth["kind"] == "ssh" and auth["privateKey"] == {"secure": SECRET_PLACEHOLDER}
    assert exported.todo == [
        "monitoring.workspaceLocation: set to the cluster's region 'japaneast'; change it if the workspace lives "
        "elsewhere (Container Insights' rule is created there)",
        "security.kms.keyVaultResourceId: add the resource id of the vault holding keyId",
        "pulumi config set --secret --path 'aksfleet:cluster.flux.platform.source.git.auth.privateKey' <value> "
        "(not readable from Azure)",
    ]


def test_export_refuses_to_overwrite(tmp_path: Path) -> None:
    from components.spec.problems import SpecError

    live = live_from_stack("dev")
    write_export(live, "x", "dev", False, tmp_path, Console(file=None))
    with pytest.raises(SpecError, match="exists; refusing to overwrite"):
        write_export(live, "x", "dev", False, tmp_path, Console(file=None))


def test_cluster_id_is_checked() -> None:
    assert parse_cluster_id(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c"
    ) == ("s", "rg", "c")
    with pytest.raises(BadInput, match="is not a managed cluster id"):
        parse_cluster_id("/subscriptions/s/resourceGroups/rg")
