"""`fleet plan` reads like `pulumi preview`: an operation per resource, old → new with --base, a summary line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from components.azure_types import SECRET
from fleet import cli
from fleet.plan.diff import diff_plans
from fleet.plan.render import render_plan
from tests.conftest import STACKS_DIR, commit, git_copy_of_project, plan_for

RUN = CliRunner()
WIDE = {"COLUMNS": "250"}
FLUX = "azure-native:kubernetesconfiguration:FluxConfiguration"


def _azure_count(stacks: Path, stack: str) -> int:
    plan = plan_for(stacks, stack)
    return len([r for r in plan.resources if r.custom])


def test_without_a_base_every_resource_is_a_create_and_the_summary_counts_them() -> None:
    args = ["plan", "-s", "prod-japaneast", "--no-preflight"]
    first = RUN.invoke(cli.app, args, env=WIDE)
    assert first.exit_code == 0, first.output
    assert "+ ManagedCluster aks-prod-jpe-aks protected" in first.output
    assert "+ FluxConfiguration aks-prod-jpe-platform protected" in first.output
    n = _azure_count(STACKS_DIR, "prod-japaneast")
    assert (
        f"Resources:\n    + {n} to create, ~ 0 to update, ± 0 to replace, - 0 to delete, 0 unchanged\n" in first.output
    )
    second = RUN.invoke(cli.app, args, env=WIDE)
    assert second.output == first.output, "the tree order is stable between runs"


def test_json_carries_the_operation_and_the_summary() -> None:
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-preflight", "--json", "-"])
    data = json.loads(result.stdout)
    custom = [r for r in data["resources"] if r["type"].startswith("azure-native:")]
    assert {r["op"] for r in custom} == {"create"}
    assert all("op" not in r for r in data["resources"] if r not in custom), "components carry no operation"
    assert data["summary"] == {"create": len(custom), "update": 0, "replace": 0, "delete": 0, "same": 0}
    assert {"stack", "resources", "outputs", "errors", "findings", "base", "changes", "guard"} <= data.keys()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HEAD~1 is this project; HEAD moves the payments tenant to v3.9.0 and renames the platform configuration."""
    repo = git_copy_of_project(tmp_path_factory.mktemp("preview"))
    stack = repo / "stacks" / "Pulumi.prod-japaneast.yaml"
    text = stack.read_text()
    stack.write_text(text.replace("tag: v3.8.0", "tag: v3.9.0").replace("name: platform\n", "name: platform-v2\n", 1))
    commit(repo, "tenant bump, platform renamed")
    return repo


def test_against_a_base_each_resource_has_its_operation_and_changed_properties_show_old_and_new(
    history: Path,
) -> None:
    args = ["plan", "-s", "prod-japaneast", "--no-preflight", "--stacks-dir", str(history / "stacks")]
    result = RUN.invoke(cli.app, [*args, "--base", "HEAD~1", "--allow-replace"], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "~ FluxConfiguration aks-prod-jpe-payments protected" in out
    assert 'gitRepository.repositoryRef.tag: "v3.8.0" → "v3.9.0"' in out
    assert "+ FluxConfiguration aks-prod-jpe-platform-v2 protected" in out
    assert "- FluxConfiguration aks-prod-jpe-platform\n" in out
    unchanged = _azure_count(history / "stacks", "prod-japaneast") - 2
    assert f"+ 1 to create, ~ 1 to update, ± 0 to replace, - 1 to delete, {unchanged} unchanged" in out
    assert "  ManagedCluster aks-prod-jpe-aks protected" in out and "+ ManagedCluster" not in out
    data = json.loads(RUN.invoke(cli.app, [*args, "--base", "HEAD~1", "--allow-replace", "--json", "-"]).stdout)
    assert data["summary"] == {"create": 1, "update": 1, "replace": 0, "delete": 1, "same": unchanged}
    ops = {r["name"]: r.get("op") for r in data["resources"] if r["type"] == FLUX}
    assert ops == {"aks-prod-jpe-payments": "update", "aks-prod-jpe-platform-v2": "create"}


def test_a_secret_stays_a_placeholder_in_the_old_and_new_values() -> None:
    old = plan_for(STACKS_DIR, "prod-japaneast")
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, "configurationProtectedSettings": {"sshPrivateKey": SECRET}})
        if r.name == "aks-prod-jpe-payments" and r.type == FLUX
        else r
        for r in old.resources
    ]
    new = dataclasses.replace(old, resources=resources, base="HEAD~1", findings=[])
    new.changes = diff_plans(old, new)
    console = Console(record=True, width=250)
    render_plan(new, console)
    text = console.export_text()
    assert 'configurationProtectedSettings: (absent) → {"sshPrivateKey": "[secret]"}' in text
    assert "~ FluxConfiguration aks-prod-jpe-payments" in text


def test_a_rollout_dry_run_with_nothing_to_do_says_so(history: Path, tmp_path: Path) -> None:
    stacks = ["--stacks-dir", str(history / "stacks"), "--journal", str(tmp_path / "j.jsonl")]
    same = RUN.invoke(cli.app, ["rollout", "--dry-run", "-s", "dev", "--base", "HEAD", *stacks], env=WIDE)
    assert same.exit_code == 0, same.output
    assert "dev: ✓ no changes" in same.output and "would" not in same.output
    assert same.output.rstrip().endswith("dry run: no changes in 1 stack(s)")
    prod = ["rollout", "--dry-run", "-s", "prod-japaneast", "--base", "HEAD~1", "--allow-replace", *stacks]
    changed = RUN.invoke(cli.app, prod, env=WIDE)
    assert "prod-japaneast: ✓ would create 1, delete 1, update 1" in changed.output, changed.output
    assert changed.output.rstrip().endswith("dry run: 1 of 1 stack(s) would change (prod-japaneast)")


def test_sibling_components_follow_their_childrens_dependencies() -> None:
    """Walkthrough: the tenant's configuration was listed before the platform's and both before the extension,
    because components carry no dependsOn and fell back to URN order."""
    from fleet.plan.preview import tree_order

    plan = plan_for(STACKS_DIR, "prod-japaneast")
    names = [r.name for r in tree_order(plan.resources) if r.type.startswith("aksfleet:")]
    order = [names.index(n) for n in ("aks-prod-jpe-flux", "aks-prod-jpe-platform", "aks-prod-jpe-payments")]
    assert order == sorted(order)
