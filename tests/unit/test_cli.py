"""`fleet plan` as a user runs it: output, JSON shape and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleet import cli
from fleet.plan import sdk_validation
from fleet.plan.model import PlanError

RUN = CliRunner()


def test_plan_prints_the_resource_tree() -> None:
    result = RUN.invoke(cli.app, ["plan", "--stack", "prod-japaneast"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    assert "ManagedCluster aks-prod-jpe-aks protected" in result.output
    assert "ssh://git@github.com/contoso/aks-fleet-gitops [tag v1.4.2]" in result.output
    assert (
        "infra-controllers(./infrastructure/controllers) → infra-configs(./infrastructure/configs) →" in result.output
    )


def test_plan_json_has_the_documented_shape(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["stack"] == "dev"
    resource = next(r for r in data["resources"] if r["type"] == "azure-native:containerservice:ManagedCluster")
    assert set(resource) == {"urn", "type", "name", "parent", "inputs", "options", "op"}
    assert resource["op"] == "create", "no --base: everything is a create"
    assert set(data["summary"]) == {"create", "update", "replace", "delete", "same"}
    assert {"protect", "ignoreChanges", "dependsOn"} <= set(resource["options"])
    assert resource["options"]["protect"] is True


def test_plan_json_to_stdout_is_pure_json() -> None:
    result = RUN.invoke(cli.app, ["plan", "-s", "staging", "--json", "-"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["stack"] == "staging"


def test_bad_stack_exits_2_with_one_line_per_problem(derived_stack: Callable[..., Path]) -> None:
    def break_it(c: dict[str, Any]) -> None:
        c["flux"]["platform"]["kustomizations"]["apps"]["dependsOn"] = ["nope", "infra-configs"]
        c["flux"]["platform"]["kustomizations"]["infra-configs"]["dependsOn"] = ["apps"]

    stacks = derived_stack("dev", break_it)
    result = RUN.invoke(cli.app, ["plan", "-s", "test", "--stacks-dir", str(stacks)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert all("Pulumi.test.yaml: aksfleet:cluster.flux.platform." in line for line in lines)
    assert "Traceback" not in result.output


def test_missing_stack_exits_2() -> None:
    result = RUN.invoke(cli.app, ["plan", "-s", "nope"])
    assert result.exit_code == 2
    assert "no such stack file; stacks found: dev, prod-japaneast, prod-japanwest, staging" in result.stderr


def test_plan_errors_block_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(resources: list[Any]) -> list[PlanError]:
        return [PlanError("azure-native:containerservice:ManagedCluster x", "bogus", "not a property")]

    monkeypatch.setattr(sdk_validation, "validate_resources", failing)
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-policy"], env={"COLUMNS": "220"})
    assert result.exit_code == 1
    assert "1 plan error(s)" in result.output and "bogus: not a property" in result.output


def test_version_and_completion() -> None:
    from importlib.metadata import version

    shown = RUN.invoke(cli.app, ["--version"])
    assert shown.exit_code == 0 and shown.stdout == f"fleet {version('aks-flux-fleet')}\n"
    completion = RUN.invoke(cli.app, ["--show-completion", "bash"], prog_name="fleet")
    assert completion.exit_code == 0 and "complete -o default -F _fleet_completion fleet" in completion.stdout


def test_help_shows_no_install_path() -> None:
    """Defaults come from the project found at run time (Pulumi.yaml upwards), not from where fleet is installed."""
    for command in (["plan"], ["rollout"], ["preflight"], ["drift"], ["render", "bicep"], ["scaffold", "cluster"]):
        shown = RUN.invoke(cli.app, [*command, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, command
        assert str(cli.Path(__file__).resolve().parents[2]) not in shown.stdout, command


def test_fleet_works_from_a_sub_folder_and_refuses_outside_a_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import PROJECT_DIR

    monkeypatch.chdir(PROJECT_DIR / "gitops" / "apps")
    inside = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-policy", "--no-preflight", "--json", "-"])
    assert inside.exit_code == 0, inside.output
    assert json.loads(inside.stdout)["stack"] == "dev"
    monkeypatch.chdir(tmp_path)
    outside = RUN.invoke(cli.app, ["plan", "-s", "dev"])
    assert outside.exit_code == 2
    assert outside.stderr.startswith(f"no Pulumi.yaml in {tmp_path.resolve()} or any folder above it")


def test_policy_show_prints_a_rule_in_full() -> None:
    from fleet.policy.azure_policy import NOT_EXPRESSIBLE
    from policies.baseline import CATALOGUE

    for rule in CATALOGUE:
        shown = RUN.invoke(cli.app, ["policy", "show", rule.id.lower(), "--json"])
        assert shown.exit_code == 0, rule.id
        data = json.loads(shown.stdout)
        assert data["remediation"] == rule.remediation and data["why"] == rule.rationale
        assert set(data["enforcement"]) == {"dev", "staging", "prod"}
        if rule.stack_level:
            expected = "no definition: the rule judges several resources of a stack together"
        elif rule.id.startswith(("FLUX-", "GITOPS-")):
            expected = "no definition of its own: the DeployIfNotExists aksfleet-flux-"
        else:
            expected = (
                f"not exported: {NOT_EXPRESSIBLE[rule.id]}"
                if rule.id in NOT_EXPRESSIBLE
                else f"aksfleet-{rule.id.lower()}"
            )
        assert data["azurePolicy"].startswith(expected), (rule.id, data["azurePolicy"])
    text = RUN.invoke(cli.app, ["policy", "show", "AKS-005"], env={"COLUMNS": "200"})
    assert "remediation: Set apiServer.private: true" in text.stdout and "enforcement: dev mandatory" in text.stdout
    unknown = RUN.invoke(cli.app, ["policy", "show", "AKS-999"])
    assert unknown.exit_code == 2 and unknown.stderr.startswith("RULE: 'AKS-999' is not accepted")


def test_every_file_written_is_confirmed_in_one_line(tmp_path: Path) -> None:
    """A confirmation per file, on stderr: stdout keeps only the data a command prints."""
    cases = [
        ["policy", "config", "-e", "dev", "-o", str(tmp_path / "dev.json")],
        ["render", "bicep", "-s", "dev", "-o", str(tmp_path / "dev.parameters.json")],
        ["plan", "-s", "dev", "--no-policy", "--no-preflight", "--json", str(tmp_path / "plan.json")],
        ["rollout", "--emit", "github-actions", "-o", str(tmp_path / "rollout.yml")],
    ]
    for command in cases:
        target = Path(command[command.index("-o") + 1] if "-o" in command else command[-1])
        result = RUN.invoke(cli.app, command, env={"COLUMNS": "200"})
        assert result.exit_code == 0, (command, result.output)
        size = len(target.read_bytes())
        assert result.stderr == f"wrote {target} ({size} bytes)\n", command


def test_a_skipped_policy_run_is_said_not_read_as_clean() -> None:
    """Walkthrough: `--no-policy` ended with "0 policy finding(s) … clean", as if the baseline had passed."""
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-policy", "--no-preflight"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "policy skipped (--no-policy); 0 plan error(s)" in result.output
    assert " finding(s)" not in result.output
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-policy", "--json", "-"])
    assert json.loads(result.stdout)["skipped"] == ["policy"]


def test_policy_show_describes_every_id_the_tool_emits() -> None:
    """Walkthrough: outputs said to look a finding up with `fleet policy show`, which refused PREFLIGHT-009."""
    from fleet.findings import OTHERS

    for rule_id in OTHERS:
        shown = RUN.invoke(cli.app, ["policy", "show", rule_id, "--json"])
        assert shown.exit_code == 0, (rule_id, shown.output)
        assert json.loads(shown.stdout)["remediation"] == OTHERS[rule_id].remediation


def test_render_bicep_checks_the_key_vault_id_and_says_which_secrets_it_left_out(tmp_path: Path) -> None:
    """Walkthrough: `--key-vault-id notanid` was written into the file, and a render without it dropped the SSH key
    parameter without a word (the README's next command would then deploy without it)."""
    bad = RUN.invoke(cli.app, ["render", "bicep", "-s", "dev", "--key-vault-id", "notanid"])
    assert bad.exit_code == 2 and bad.stderr.startswith("--key-vault-id: 'notanid' is not a Key Vault resource id")
    out = tmp_path / "prod.json"
    result = RUN.invoke(cli.app, ["render", "bicep", "-s", "prod-japaneast", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("note: platformSshPrivateKey not in the parameters; pass --key-vault-id")
    vault = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-fleet"
    result = RUN.invoke(cli.app, ["render", "bicep", "-s", "prod-japaneast", "-o", str(out), "--key-vault-id", vault])
    assert result.exit_code == 0 and "note:" not in result.stderr
    assert "platformSshPrivateKey" in json.loads(out.read_text())["parameters"]
