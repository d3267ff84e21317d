"""DR derivation: from the source stack as committed at a ref, for another region, nothing guessed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from components.spec import SpecError, load_stack
from fleet import cli
from fleet.dr.derive import derive
from tests.conftest import STACKS_DIR, commit, git_copy_of_project, plan_for

RUN = CliRunner()
SOURCE = (STACKS_DIR / "Pulumi.prod-japaneast.yaml").read_text()
EXISTING = {"dev": "aks-dev-jpe", "prod-japaneast": "aks-prod-jpe", "prod-japanwest": "aks-prod-jpw"}


def test_derivation_swaps_region_and_keeps_the_gitops_configuration() -> None:
    d = derive(SOURCE, source_stack="prod-japaneast", ref="v1", region="japanwest", existing_stacks=EXISTING)
    assert (d.target_stack, d.cluster_name) == ("prod-japanwest-dr", "aks-prod-jpw-dr"), "collisions get the suffix"
    cluster = YAML(typ="safe").load(d.text())["config"]["aksfleet:cluster"]
    assert cluster["location"] == "japanwest" and cluster["name"] == "aks-prod-jpw-dr"
    assert cluster["tags"]["dr-source"] == "prod-japaneast" and cluster["tags"]["dr-ref"] == "v1"
    source = YAML(typ="safe").load(SOURCE)["config"]["aksfleet:cluster"]
    assert cluster["flux"]["platform"]["source"] == source["flux"]["platform"]["source"]
    assert cluster["flux"]["platform"]["kustomizations"].keys() == source["flux"]["platform"]["kustomizations"].keys()
    assert cluster["flux"]["tenants"] == source["flux"]["tenants"]
    substitute = cluster["flux"]["platform"]["kustomizations"]["apps"]["postBuild"]["substitute"]
    assert substitute == {
        "cluster_name": "aks-prod-jpw-dr",
        "environment": "prod",
        "region": "japanwest",
        "key_vault_name": "kv-prod-jpw-apps",
    }
    assert any(
        item.startswith("platform.apps.postBuild.substitute.key_vault_name derived as") for item in d.must_change
    )
    assert cluster["workloadIdentities"][0]["keyVaultSecrets"].endswith(
        "/rg-sec-prod-jpw/providers/Microsoft.KeyVault/vaults/kv-prod-jpw-apps"
    )
    assert cluster["network"]["vnetSubnetId"].endswith(
        "/rg-net-prod-jpw/providers/Microsoft.Network/virtualNetworks/vnet-prod-jpw/subnets/snet-aks"
    )
    assert any("new OIDC issuer URL" in item for item in d.must_change)
    assert any(item.startswith("network.vnetSubnetId derived as") for item in d.must_change)


def test_comments_of_the_source_survive() -> None:
    d = derive(SOURCE, source_stack="prod-japaneast", ref="v1", region="japanwest", existing_stacks=EXISTING)
    assert "# Production, primary region." in d.text()


def test_zones_follow_the_target_region() -> None:
    no_zones = derive(SOURCE, source_stack="prod-japaneast", ref="v1", region="westus", existing_stacks=EXISTING)
    cluster = YAML(typ="safe").load(no_zones.text())["config"]["aksfleet:cluster"]
    assert cluster["systemPool"]["zones"] == [] and all(p["zones"] == [] for p in cluster["userPools"])
    with pytest.raises(SpecError) as caught:
        derive(SOURCE, source_stack="prod-japaneast", ref="v1", region="mars-central", existing_stacks=EXISTING)
    assert "zone support of 'mars-central' is not known; pass --zones 1,2,3 or --zones none" in str(caught.value)
    explicit = derive(
        SOURCE,
        source_stack="prod-japaneast",
        ref="v1",
        region="mars-central",
        existing_stacks=EXISTING,
        zones=["1", "2"],
    )
    assert YAML(typ="safe").load(explicit.text())["config"]["aksfleet:cluster"]["systemPool"]["zones"] == ["1", "2"]


def test_same_region_is_refused() -> None:
    with pytest.raises(SpecError, match="is the source region"):
        derive(SOURCE, source_stack="prod-japaneast", ref="v1", region="japaneast", existing_stacks=EXISTING)


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """Commit 1 pins Git tag v1.4.2; commit 2 moves prod to v1.5.0."""
    repo = git_copy_of_project(tmp_path / "repo")
    stack = repo / "stacks" / "Pulumi.prod-japaneast.yaml"
    stack.write_text(stack.read_text().replace("tag: v1.4.2", "tag: v1.5.0"))
    commit(repo, "prod to v1.5.0")
    return repo


def test_dr_plan_at_an_older_ref_uses_that_refs_spec(history: Path) -> None:
    stacks = history / "stacks"
    result = RUN.invoke(
        cli.app,
        ["dr", "plan", "-s", "prod-japaneast", "--region", "japanwest", "--ref", "HEAD~1", "--stacks-dir", str(stacks)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    derived = load_stack(stacks, "prod-japanwest-dr").spec
    assert derived.flux.platform.source.git is not None
    assert derived.flux.platform.source.git.ref.tag == "v1.4.2", "the spec as committed at HEAD~1"
    assert derived.location == "japanwest"
    # The tag records the commit derived from, not a name that moves (walkthrough: it said `HEAD`).
    assert re.fullmatch(r"[0-9a-f]{40}", str(derived.tags["dr-ref"])), derived.tags
    assert "plan of prod-japanwest-dr against prod-japaneast@HEAD~1" in result.output
    assert "location" in result.output
    again = RUN.invoke(
        cli.app, ["dr", "plan", "-s", "prod-japaneast", "--region", "japanwest", "--stacks-dir", str(stacks)]
    )
    assert again.exit_code == 2
    assert again.stderr.strip().endswith(
        "Pulumi.prod-japanwest-dr.yaml: exists; refusing to overwrite (pass --force to replace it)"
    )
    forced = RUN.invoke(
        cli.app, ["dr", "plan", "-s", "prod-japaneast", "--region", "japanwest", "--force", "--stacks-dir", str(stacks)]
    )
    assert forced.exit_code == 0
    assert load_stack(stacks, "prod-japanwest-dr").spec.flux.platform.source.git.ref.tag == "v1.5.0"  # type: ignore[union-attr]


def test_dr_plan_of_a_missing_ref_is_bad_input(history: Path) -> None:
    result = RUN.invoke(
        cli.app,
        [
            "dr",
            "plan",
            "-s",
            "prod-japaneast",
            "--region",
            "japanwest",
            "--ref",
            "nope",
            "--stacks-dir",
            str(history / "stacks"),
        ],
    )
    assert result.exit_code == 2 and "not readable at nope" in result.stderr


def test_dr_plan_labels_every_resource_of_the_new_stack_a_create(history: Path) -> None:
    stacks = history / "stacks"
    args = ["dr", "plan", "-s", "prod-japaneast", "--region", "japanwest", "--stacks-dir", str(stacks)]
    result = RUN.invoke(cli.app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("│")]
    ops = [line.split("│")[1].strip() for line in rows if line.split("│")[1].strip()]
    assert ops and set(ops) == {"+ create"}, ops
    assert "replace" not in result.output
    count = len(ops)
    assert count == len([r for r in plan_for(stacks, "prod-japanwest-dr").resources if r.custom])
    assert f"Resources:\n    + {count} to create" in result.output
    assert "ManagedCluster aks-prod-jpw-dr-aks" in result.output and "location" in result.output
