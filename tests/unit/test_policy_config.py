"""Policy-pack configuration files: shipped ones are complete and valid; bad ones name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.spec import SpecError
from fleet import cli
from fleet.policy.config import CONFIG_DIR, default_config, load_config
from policies.baseline import CATALOGUE, ENVIRONMENTS

RUN = CliRunner()


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_shipped_config_covers_every_rule(environment: str) -> None:
    config = load_config(CONFIG_DIR / f"{environment}.json")
    assert set(config) == {rule.policy_name for rule in CATALOGUE}
    assert all(entry["environment"] == environment for entry in config.values())
    for rule in CATALOGUE:
        assert config[rule.policy_name]["enforcementLevel"] == rule.enforcement_for(environment)


def _problems(tmp_path: Path, data: object) -> list[str]:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SpecError) as caught:
        load_config(path)
    return [str(p) for p in caught.value.problems]


def test_unknown_rule_and_bad_levels_are_named(tmp_path: Path) -> None:
    lines = _problems(
        tmp_path,
        {
            "aks-999": "mandatory",
            "aks-001": {"enforcementLevel": "blocking"},
            "gitops-007": {"minIntervalSeconds": "sixty", "maxIntervals": 5},
            "aks-002": {"environment": "qa"},
        },
    )
    unknown = next(line for line in lines if ": aks-999: " in line)
    assert unknown.endswith(
        "bad.json: aks-999: unknown rule; accepted: " + ", ".join(sorted(r.policy_name for r in CATALOGUE))
    )
    assert any(
        "aks-001.enforcementLevel: 'blocking' is not accepted; accepted: advisory, mandatory, disabled" in line
        for line in lines
    )
    assert any("gitops-007.minIntervalSeconds: expected integer; got 'sixty'" in line for line in lines)
    assert any(
        "gitops-007.maxIntervals: unknown setting; accepted: enforcementLevel, environment, minIntervalSeconds" in line
        for line in lines
    )
    assert any("aks-002.environment: 'qa' is not accepted" in line for line in lines)
    assert len(lines) == 5


def test_malformed_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{\n  'single quotes': 1\n}")
    with pytest.raises(SpecError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.path == "line 2" and "not valid JSON" in problem.message


def test_plan_with_bad_policy_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"aks-001": "sometimes"}))
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--policy-config", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{path}: aks-001.enforcementLevel: 'sometimes' is not accepted; accepted: advisory, mandatory, disabled"
    )


def test_policy_config_command_writes_defaults(tmp_path: Path) -> None:
    out = tmp_path / "staging.json"
    result = RUN.invoke(cli.app, ["policy", "config", "-e", "staging", "-o", str(out)])
    assert result.exit_code == 0
    assert json.loads(out.read_text()) == default_config("staging")
    assert RUN.invoke(cli.app, ["policy", "config", "-e", "qa"]).exit_code == 2


def test_policy_list_prints_the_catalogue() -> None:
    result = RUN.invoke(cli.app, ["policy", "list", "-e", "dev"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert f"{len(CATALOGUE)} baseline rules (dev)" in result.output
    assert "AKS-023" in result.output and "GITOPS-013" in result.output


def test_sarif_points_findings_at_stack_file_lines(tmp_path: Path) -> None:
    out = tmp_path / "dev.sarif"
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--format", "sarif", "-o", str(out)])
    assert result.exit_code == 0
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"AKS-016", "AKS-023", "FLUX-002"}
    assert all(r["level"] == "warning" for r in results.values())
    location = results["FLUX-002"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "stacks/Pulumi.dev.yaml"
    stack_lines = Path("stacks/Pulumi.dev.yaml").read_text().splitlines()
    assert stack_lines[location["region"]["startLine"] - 1].strip() == "flux:", "no extension key in dev: flux"
    cluster_line = results["AKS-023"]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert stack_lines[cluster_line - 1].strip() == "aksfleet:cluster:"
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == set(results)


def test_plan_json_carries_findings() -> None:
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--json", "-"])
    data = json.loads(result.stdout)
    assert {f["rule"] for f in data["findings"]} == {"AKS-016", "AKS-023", "FLUX-002"}
    assert set(data["findings"][0]) == {
        "rule",
        "enforcement",
        "severity",
        "resource",
        "message",
        "remediation",
        "suppressed",
        "suppression",
    }
