"""Plan diffs and the replace/delete guard, including the plan at another git ref."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from components.spec import SpecError
from fleet.plan.at_ref import plan_at_ref
from fleet.plan.diff import diff_plans, guard
from fleet.plan.model import Plan
from tests.conftest import STACKS_DIR, commit, git_copy_of_project, plan_for

CLUSTER = "azure-native:containerservice:ManagedCluster"


def _with_inputs(plan: Plan, type_token: str, **changes: object) -> Plan:
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, **changes}) if r.type == type_token else r for r in plan.resources
    ]
    return dataclasses.replace(plan, resources=resources)


def test_identical_plans_have_no_changes() -> None:
    plan = plan_for(STACKS_DIR, "prod-japaneast")
    assert diff_plans(plan, plan) == []


def test_everything_is_a_create_without_a_base() -> None:
    plan = plan_for(STACKS_DIR, "dev")
    changes = diff_plans(None, plan)
    assert {c.op for c in changes} == {"create"} and len(changes) == len([r for r in plan.resources if r.custom])


def test_in_place_update_is_not_guarded() -> None:
    old = plan_for(STACKS_DIR, "prod-japaneast")
    new = _with_inputs(old, CLUSTER, sku={"name": "Base", "tier": "Premium"})
    (change,) = diff_plans(old, new)
    assert change.op == "update" and [p.path for p in change.properties] == ["sku.tier"]
    assert guard([change]) == []


def test_replace_of_the_cluster_is_guarded_and_names_the_property() -> None:
    old = plan_for(STACKS_DIR, "prod-japaneast")
    new = _with_inputs(old, CLUSTER, dnsPrefix="aks-prod-jpe-2")
    (change,) = diff_plans(old, new)
    assert change.op == "replace" and change.replace_reasons == ["dnsPrefix"]
    (violation,) = guard([change])
    assert str(violation) == (
        "ManagedCluster aks-prod-jpe-aks: replace of a protected resource (forced by dnsPrefix); "
        "pass --allow-replace to accept"
    )


def test_ignored_changes_do_not_count() -> None:
    old = plan_for(STACKS_DIR, "dev")
    cluster = next(r for r in old.resources if r.type == CLUSTER)
    new = _with_inputs(old, CLUSTER, kubernetesVersion="1.33.5")
    assert "kubernetesVersion" in cluster.options.ignore_changes
    assert diff_plans(old, new) == []


def test_removing_a_tenant_configuration_is_a_guarded_delete() -> None:
    old = plan_for(STACKS_DIR, "prod-japaneast")
    new = dataclasses.replace(old, resources=[r for r in old.resources if not r.name.endswith("-payments")])
    changes = diff_plans(old, new)
    assert [(c.op, c.name) for c in changes] == [("delete", "aks-prod-jpe-payments")]
    assert len(guard(changes)) == 1


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding this project, with a second commit that renames the platform configuration."""
    repo = git_copy_of_project(tmp_path_factory.mktemp("history"))
    stack = repo / "stacks" / "Pulumi.prod-japaneast.yaml"
    stack.write_text(stack.read_text().replace("name: platform\n", "name: platform-v2\n", 1))
    commit(repo, "rename")
    return repo


def test_plan_at_ref_runs_that_refs_program(history: Path) -> None:
    base = plan_at_ref(history, "HEAD~1", "prod-japaneast")
    assert base is not None
    names = {
        r.inputs.get("fluxConfigurationName")
        for r in base.resources
        if r.custom and r.type.endswith(":FluxConfiguration")
    }
    assert names == {"platform", "payments"}
    assert plan_at_ref(history, "HEAD~1", "no-such-stack") is None


def test_plan_against_base_blocks_the_rename(history: Path) -> None:
    from fleet.plan.runner import plan_stack

    plan = plan_stack(history / "stacks", "prod-japaneast", policy=False, base="HEAD~1")
    ops = {(c.op, c.name) for c in plan.changes}
    assert ops == {("create", "aks-prod-jpe-platform-v2"), ("delete", "aks-prod-jpe-platform")}
    assert [v.resource for v in plan.guard_violations] == ["FluxConfiguration aks-prod-jpe-platform"]
    assert plan.blocked
    allowed = plan_stack(history / "stacks", "prod-japaneast", policy=False, base="HEAD~1", allow_replace=True)
    assert allowed.guard_violations == [] and not allowed.blocked


def test_unknown_base_ref_is_bad_input(history: Path) -> None:
    with pytest.raises(SpecError) as caught:
        plan_at_ref(history, "no-such-ref", "dev")
    assert str(caught.value.problems[0]).startswith("--base no-such-ref: cannot read the ref:")


POOL = "azure-native:containerservice:AgentPool"


def _system_pool_plan(plan: Plan) -> Plan:
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, "mode": "System"}) if r.type == POOL else r for r in plan.resources
    ]
    return dataclasses.replace(plan, resources=resources)


def test_a_system_agent_pool_is_guarded_whatever_forces_its_replace_and_when_deleted() -> None:
    """Before: only a change *of* `mode` made a pool count as a system pool; a System pool replaced for its vmSize,
    or deleted (no property changes), went through."""
    base = _system_pool_plan(plan_for(STACKS_DIR, "prod-japaneast"))
    assert any(r.type == POOL for r in base.resources), "the prod stack declares a separate pool"
    resized = _with_inputs(base, POOL, vmSize="Standard_D8ds_v5")
    (change,) = [c for c in diff_plans(base, resized) if c.type == POOL]
    assert change.op == "replace" and [v.op for v in guard([change])] == ["replace"]
    without_pool = dataclasses.replace(base, resources=[r for r in base.resources if r.type != POOL])
    deleted = [c for c in diff_plans(base, without_pool) if c.type == POOL]
    assert deleted and all(c.op == "delete" for c in deleted)
    assert [v.op for v in guard(deleted)] == ["delete"] * len(deleted)
    user_pool = plan_for(STACKS_DIR, "prod-japaneast")
    user_deleted = [c for c in diff_plans(user_pool, without_pool) if c.type == POOL]
    assert guard(user_deleted) == [], "a User pool may be replaced or deleted"
