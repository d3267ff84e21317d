"""Issue 13, class 8: every name the stamp gives or derives is judged against Azure's rules when the spec loads.

The rules are data (policies/baseline/facts/azure_naming.toml, with sources); one function judges a name by its
row. A stack whose derived names Azure would refuse (workspace, node resource group, tags, ...) is exit 2 at the
key that makes the name, in `fleet plan` and in the Pulumi program alike; the shipped stacks stay clean.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleet import cli
from tests.conftest import SHIPPED_STACKS, STACKS_DIR

RUN = CliRunner()

# (row, a name Azure would refuse under it, what the judge must say)
REFUSED = [
    ("resourceGroup", "r" * 91, "is 91 characters"),
    ("resourceGroup", "rg-ends-with.", "not of the accepted form"),
    ("resourceGroup", "rg/slash", "not of the accepted form"),
    ("nodeResourceGroup", "MC_" + "r" * 40 + "_" + "c" * 30 + "_japaneast", "is 84 characters"),
    ("managedCluster", "c" * 64, "is 64 characters"),
    ("managedCluster", "-starts-with-hyphen", "not of the accepted form"),
    ("managedCluster", "has space", "not of the accepted form"),
    ("dnsPrefix", "under_score", "not of the accepted form"),
    ("dnsPrefix", "d" * 55, "is 55 characters"),
    ("agentPool", "Apps", "not of the accepted form"),
    ("agentPool", "apps-1", "not of the accepted form"),
    ("agentPool", "a" * 13, "is 13 characters"),
    ("userAssignedIdentity", "id", "is 2 characters"),
    ("userAssignedIdentity", "_id-x", "not of the accepted form"),
    ("federatedIdentityCredential", "f" * 121, "is 121 characters"),
    ("federatedIdentityCredential", "ns.sa", "not of the accepted form"),
    ("logAnalyticsWorkspace", "log-aks_dev", "not of the accepted form"),
    ("logAnalyticsWorkspace", "log-" + "c" * 60, "is 64 characters"),
    ("logAnalyticsWorkspace", "log", "is 3 characters"),
    ("dataCollectionRule", "MSCI-japaneast-" + "c" * 50, "is 65 characters"),
    ("dataCollectionRule", "MSCI-#", "contains #"),
    ("dataCollectionRuleAssociation", "a#b", "contains #"),
    ("fluxConfiguration", "Platform", "not of the accepted form"),
    ("fluxConfiguration", "p" * 64, "is 64 characters"),
    ("deployment", "d" * 65, "is 65 characters"),
    ("deployment", "aks-dev-flux-a/b", "not of the accepted form"),
    ("keyVaultSecret", "dev-platform-ssh_key", "not of the accepted form"),
    ("keyVaultSecret", "s" * 128, "is 128 characters"),
    ("tagName", "a/b", "contains /"),
    ("tagName", "cost<center>", "contains < >"),
    ("tagName", "line\nbreak", "contains a control character"),
    ("tagName", "t" * 513, "is 513 characters"),
    ("tagName", "", "is 0 characters"),
    ("tagValue", "v" * 257, "is 257 characters"),
]


@pytest.mark.parametrize(("rule", "name", "says"), REFUSED, ids=lambda v: str(v)[:30])
def test_the_judge_refuses_what_azure_refuses(rule: str, name: str, says: str) -> None:
    from policies.baseline.facts.azure_naming import judge, rules

    problem = judge(rule, name)
    assert problem is not None and says in problem, problem
    assert rules()[rule].entity in problem and "fleet facts azure_naming" in problem


def test_every_rule_is_exercised_and_accepts_the_shipped_kind_of_name() -> None:
    from policies.baseline.facts.azure_naming import judge, rules

    assert {rule for rule, _, _ in REFUSED} == set(rules())
    accepted = {
        "resourceGroup": "rg-aks-prod-jpe",
        "nodeResourceGroup": "MC_rg-aks-prod-jpe_aks-prod-jpe_japaneast",
        "managedCluster": "aks-prod-jpe",
        "dnsPrefix": "aks-prod-jpe",
        "agentPool": "apps",
        "userAssignedIdentity": "id-aks-prod-jpe",
        "federatedIdentityCredential": "podinfo-podinfo",
        "logAnalyticsWorkspace": "log-aks-dev-jpe",
        "dataCollectionRule": "MSCI-japaneast-aks-prod-jpe",
        "dataCollectionRuleAssociation": "ContainerInsightsExtension",
        "fluxConfiguration": "platform",
        "deployment": "aks-prod-jpe-flux-platform",
        "keyVaultSecret": "prod-japaneast-platform-sshPrivateKey",
        "tagName": "environment",
        "tagValue": "",
    }
    assert {rule: judge(rule, name) for rule, name in accepted.items()} == dict.fromkeys(accepted)


def test_the_table_is_listed_with_its_sources() -> None:
    from policies.baseline.facts import table, table_names

    assert "azure_naming" in table_names()
    sources = " ".join(table("azure_naming").sources)
    for cited in ("resource-name-rules", "tag-resources", "managedClusters.json", "ManagedIdentity.json"):
        assert cited in sources
    listed = RUN.invoke(cli.app, ["facts", "azure_naming"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0 and "logAnalyticsWorkspace" in listed.stdout


def _tags(n: int) -> Callable[[dict[str, Any]], None]:
    return lambda c: c.update(tags={f"team-{i}": "x" for i in range(n)})


def _max_user_tags() -> int:
    from policies.baseline.facts.azure_naming import max_tags

    return max_tags() - 2  # the stamp adds environment and managed-by


# (case, base stack, change to the cluster object, key path of the problem, text the line carries)
STACK_CASES: list[tuple[str, str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "workspace from a cluster name with '_'",
        "dev",
        lambda c: c.update(name="aks_dev_jpe"),
        "aksfleet:cluster.name",
        "Log Analytics workspace 'log-aks_dev_jpe'",
    ),
    (
        "workspace and node resource group from a 61-character cluster name",
        "dev",
        lambda c: c.update(name="a" * 61),
        "aksfleet:cluster.name",
        "is 65 characters",
    ),
    (
        "node resource group from a long resource group",
        "prod-japaneast",
        lambda c: c.update(resourceGroup="rg-" + "x" * 60),
        "aksfleet:cluster.resourceGroup",
        "node resource group name 'MC_rg-",
    ),
    ("one tag too many", "dev", lambda c: _tags(_max_user_tags() + 1)(c), "aksfleet:cluster.tags", "tags;"),
    (
        "a tag name with '/'",
        "dev",
        lambda c: c.update(tags={"cost/center": "1"}),
        "aksfleet:cluster.tags",
        "contains /",
    ),
    ("a tag value of 300", "dev", lambda c: c.update(tags={"owner": "o" * 300}), "tags.owner", "is 300 characters"),
    (
        "a tag name the stamp already sets, in other case",
        "dev",
        lambda c: c.update(tags={"Environment": "qa"}),
        "tags.Environment",
        "other letter case",
    ),
    ("a cluster name of 64", "dev", lambda c: c.update(name="c" * 64), "aksfleet:cluster.name", "is 64 characters"),
    (
        "an upper-case pool name",
        "dev",
        lambda c: c["userPools"][0].update(name="Apps"),
        "aksfleet:cluster.userPools[0].name",
        "Microsoft.ContainerService/managedClusters/agentPools",
    ),
]


@pytest.mark.parametrize("case", STACK_CASES, ids=lambda c: c[0])
def test_a_stack_whose_names_azure_would_refuse_is_a_spec_problem(
    case: tuple[str, str, Callable[[dict[str, Any]], None], str, str], derived_stack: Callable[..., Path]
) -> None:
    _, base, mutate, key, says = case
    stacks = derived_stack(base, mutate)
    result = RUN.invoke(cli.app, ["plan", "-s", "test", "--no-policy", "--no-preflight", "--stacks-dir", str(stacks)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines and all("Pulumi.test.yaml: " in line and "azure_naming" in line for line in lines), lines
    assert any(key in line and says in line for line in lines), lines


def test_exactly_the_tag_limit_plans(derived_stack: Callable[..., Path]) -> None:
    stacks = derived_stack("dev", _tags(_max_user_tags()))
    result = RUN.invoke(cli.app, ["plan", "-s", "test", "--no-policy", "--no-preflight", "--stacks-dir", str(stacks)])
    assert result.exit_code == 0, result.output


def test_the_pulumi_program_refuses_the_same_stack(
    derived_stack: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pulumi

    from components import program

    stacks = derived_stack("dev", lambda c: c.update(name="aks_dev_jpe"))
    errors: list[str] = []
    monkeypatch.setattr(pulumi, "get_stack", lambda: "test")
    monkeypatch.setattr(pulumi.log, "error", lambda message, *a, **k: errors.append(message))
    with pytest.raises(SystemExit) as exited:
        program.main(stacks)
    assert exited.value.code == 2
    assert any("log-aks_dev_jpe" in e for e in errors), errors


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_derive_only_names_azure_accepts(stack: str) -> None:
    from components.spec import load_stack
    from components.spec.azure_names import name_findings, stack_findings

    loaded = load_stack(STACKS_DIR, stack)
    assert list(name_findings(loaded.spec)) == [] and list(stack_findings(stack, loaded.spec)) == []


def test_the_plan_deploys_the_names_that_were_judged() -> None:
    """One derivation: the planned resources carry exactly the names azure_names computes."""
    from components.spec import azure_names, load_stack
    from tests.conftest import plan_for

    spec = load_stack(STACKS_DIR, "dev").spec
    inputs = {r.type.rsplit(":", 1)[-1]: r.inputs for r in plan_for(STACKS_DIR, "dev").resources if r.custom}
    assert inputs["UserAssignedIdentity"]["resourceName"] == azure_names.control_plane_identity(spec.name)
    assert inputs["Workspace"]["workspaceName"] == azure_names.workspace(spec.name)
    rule = azure_names.data_collection_rule(spec.monitoring.workspace_location or spec.location, spec.name)
    assert inputs["DataCollectionRule"]["dataCollectionRuleName"] == rule
    assert inputs["ManagedCluster"]["dnsPrefix"] == azure_names.dns_prefix(spec.name)
