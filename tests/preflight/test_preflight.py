"""Preflight against real git repositories in temporary folders: each broken case gives one precise finding."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleet import cli
from fleet.preflight import preflight_stack
from fleet.preflight.build import Builder
from tests.conftest import GIT, PROJECT_DIR, SHIPPED_STACKS, STACKS_DIR, stack_document, write_stack

RUN = CliRunner()


def make_repo(root: Path, change: Callable[[Path], None] | None = None) -> Path:
    repo = root / "source"
    shutil.copytree(PROJECT_DIR / "gitops", repo)
    if change:
        change(repo)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "fleet"], cwd=repo, check=True)
    subprocess.run([*GIT, "tag", "v1.0.0"], cwd=repo, check=True)
    return repo


def make_stack(root: Path, mutate: Callable[[dict[str, Any]], None] | None = None) -> Path:
    document = stack_document("prod-japaneast")
    cluster = document["config"]["aksfleet:cluster"]
    cluster["flux"].pop("tenants")
    git = cluster["flux"]["platform"]["source"]["git"]
    git.update(url="https://example.com/contoso/fleet", ref={"tag": "v1.0.0"})
    git.pop("auth")
    if mutate:
        mutate(cluster)
    write_stack(root / "stacks", "x", document)
    return root / "stacks"


def findings(
    tmp_path: Path,
    change: Callable[[Path], None] | None = None,
    mutate: Callable[[dict[str, Any]], None] | None = None,
    ref: str | None = None,
) -> list[tuple[str, str, str]]:
    repo = make_repo(tmp_path, change)
    report = preflight_stack(make_stack(tmp_path, mutate), "x", repo=str(repo), ref=ref)
    return [(f.rule, f.resource, f.message) for f in report.findings if f.enforcement == "mandatory"]


def test_the_shipped_layout_passes_at_a_real_tag(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    report = preflight_stack(make_stack(tmp_path), "x", repo=str(repo))
    assert report.findings == []
    assert report.checked[0] == f"platform: {repo}@v1.0.0"
    assert any("apps: ./apps/prod (6 objects)" in line for line in report.checked)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_gitops_passes_for_every_shipped_stack(stack: str) -> None:
    report = preflight_stack(STACKS_DIR, stack)
    assert [f for f in report.findings if f.enforcement == "mandatory"] == []
    assert len([line for line in report.checked if line.startswith("  ")]) == 3


def test_missing_path(tmp_path: Path) -> None:
    got = findings(tmp_path, mutate=lambda c: c["flux"]["platform"]["kustomizations"]["apps"].update(path="./apps/qa"))
    ((rule, resource, message),) = got
    assert (rule, resource) == ("PREFLIGHT-001", "platform/apps")
    # It names the source as read, ref included (walkthrough: an uncommitted overlay looked simply missing).
    assert message.startswith("path './apps/qa' does not exist in ") and "@v1.0.0" in message
    assert message.endswith("(files not committed there are not seen)")


def test_kustomize_error(tmp_path: Path) -> None:
    def broken(repo: Path) -> None:
        path = repo / "infrastructure" / "configs" / "kustomization.yaml"
        path.write_text(path.read_text() + "  - missing.yaml\n")

    ((rule, resource, message),) = findings(tmp_path, broken)
    assert (rule, resource) == ("PREFLIGHT-002", "platform/infra-configs")
    assert message.startswith("kustomize build of './infrastructure/configs' fails:") and "missing.yaml" in message


def test_plaintext_secret(tmp_path: Path) -> None:
    def secret(repo: Path) -> None:
        (repo / "apps" / "prod" / "podinfo-secret.yaml").write_text(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: podinfo-token\n  namespace: podinfo\n"
            "stringData:\n  token: hunter2\n"
        )
        path = repo / "apps" / "prod" / "kustomization.yaml"
        path.write_text(
            path.read_text().replace("  - ../base/podinfo\n", "  - ../base/podinfo\n  - podinfo-secret.yaml\n")
        )

    assert findings(tmp_path, secret) == [
        (
            "PREFLIGHT-006",
            "platform/apps",
            "Secret podinfo/podinfo-token: a plaintext Secret in Git; use a SealedSecret or a Key Vault"
            " SecretProviderClass (fluxConfigurations cannot decrypt SOPS)",
        )
    ]


def test_helm_release_to_a_missing_source(tmp_path: Path) -> None:
    def orphan(repo: Path) -> None:
        path = repo / "apps" / "base" / "podinfo" / "kustomization.yaml"
        path.write_text(path.read_text().replace("  - repository.yaml\n", ""))

    assert findings(tmp_path, orphan) == [
        (
            "PREFLIGHT-014",
            "platform/apps",
            "HelmRelease flux-system/podinfo: source "
            "HelmRepository flux-system/podinfo is not defined by this or an earlier kustomization",
        )
    ]


def test_unpinned_image_in_production(tmp_path: Path) -> None:
    def latest(repo: Path) -> None:
        (repo / "apps" / "prod" / "debug.yaml").write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: debug\n  namespace: podinfo\nspec:\n"
            "  selector:\n    matchLabels: {app: debug}\n  template:\n    metadata:\n      labels: {app: debug}\n"
            "    spec:\n      containers:\n        - name: debug\n          image: busybox:latest\n"
        )
        path = repo / "apps" / "prod" / "kustomization.yaml"
        path.write_text(path.read_text().replace("  - ../base/podinfo\n", "  - ../base/podinfo\n  - debug.yaml\n"))

    assert findings(tmp_path, latest) == [
        (
            "PREFLIGHT-007",
            "platform/apps",
            "Deployment podinfo/debug: image 'busybox:latest' is not pinned to a tag or digest",
        )
    ]


def test_undefined_substitution_variable(tmp_path: Path) -> None:
    def variable(repo: Path) -> None:
        path = repo / "apps" / "base" / "podinfo" / "release.yaml"
        path.write_text(path.read_text().replace("(${environment})", "(${environment}, ${team})"))

    # kustomize-controller v1.7.3 substitutes an empty string (no strict mode): an advisory, never a block.
    assert findings(tmp_path, variable) == []
    repo = tmp_path / "source"
    report = preflight_stack(tmp_path / "stacks", "x", repo=str(repo))
    assert [(f.rule, f.enforcement, f.resource, f.message) for f in report.findings] == [
        (
            "PREFLIGHT-008",
            "advisory",
            "platform/apps",
            "HelmRelease flux-system/podinfo: ${team} is not defined by postBuild.substitute or substituteFrom;"
            " Flux substitutes an empty string for team",
        )
    ]


def test_flux_kustomization_cycle_in_the_repository(tmp_path: Path) -> None:
    def cycle(repo: Path) -> None:
        docs = []
        for name, dep in (("a", "b"), ("b", "a")):
            docs.append(
                f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
                f"  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  path: ./x\n"
                f"  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  dependsOn:\n    - name: {dep}\n"
            )
        (repo / "infrastructure" / "configs" / "tenants.yaml").write_text("---\n".join(docs))
        path = repo / "infrastructure" / "configs" / "kustomization.yaml"
        path.write_text(path.read_text() + "  - tenants.yaml\n")

    ((rule, resource, message),) = findings(tmp_path, cycle)
    assert (rule, resource) == ("PREFLIGHT-010", "platform/infra-configs")
    assert message.startswith("Flux Kustomizations depend on each other in a cycle:")


def test_chart_crds_exist_only_for_later_kustomizations(tmp_path: Path) -> None:
    def gateway_with_its_chart(repo: Path) -> None:
        configs, controllers = repo / "infrastructure" / "configs", repo / "infrastructure" / "controllers"
        (configs / "gateway.yaml").rename(controllers / "gateway.yaml")
        edits = (
            (configs, "  - gateway.yaml\n", ""),
            (controllers, "  - namespaces.yaml\n", "  - namespaces.yaml\n  - gateway.yaml\n"),
        )
        for folder, old, new in edits:
            path = folder / "kustomization.yaml"
            path.write_text(path.read_text().replace(old, new))

    assert findings(tmp_path, gateway_with_its_chart) == [
        (
            "PREFLIGHT-012",
            "platform/infra-controllers",
            f"{kind}: AKS does not serve 'gateway.networking.k8s.io' and no kustomization this one dependsOn (nor"
            ' this one\'s own plain CRDs) installs its CRDs, so Flux fails with "no matches for kind"',
        )
        for kind in ("Gateway envoy-gateway-system/envoy", "GatewayClass envoy")
    ]


def test_secret_provider_class_needs_the_key_vault_add_on(tmp_path: Path) -> None:
    def off(cluster: dict[str, Any]) -> None:
        cluster.setdefault("security", {})["keyVaultSecretsProvider"] = {"enabled": False}

    assert findings(tmp_path, mutate=off) == [
        (
            "PREFLIGHT-012",
            "platform/apps",
            "SecretProviderClass podinfo/podinfo-kv: AKS does not serve 'secrets-store.csi.x-k8s.io' and no"
            " kustomization this one dependsOn (nor this one's own plain CRDs) installs its CRDs, so Flux fails with"
            ' "no matches for kind"',
        )
    ]


def test_a_ref_that_does_not_exist(tmp_path: Path) -> None:
    """The stack's own ref missing from the source is a finding (the cluster would fail the same way); a --ref
    option naming nothing is bad input instead (test_an_option_naming_nothing_is_bad_input_not_a_finding)."""

    def missing_tag(cluster: dict[str, Any]) -> None:
        cluster["flux"]["platform"]["source"]["git"]["ref"] = {"tag": "v9.9.9"}

    assert findings(tmp_path, mutate=missing_tag) == [
        ("PREFLIGHT-009", "platform/(source)", f"ref 'v9.9.9' does not exist in {tmp_path / 'source'}")
    ]


def test_a_path_is_built_once_per_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)

    def twice(cluster: dict[str, Any]) -> None:
        cluster["flux"]["tenants"] = [
            {
                "name": "team",
                "namespace": "team",
                "source": {"git": {"url": "https://example.com/contoso/fleet", "ref": {"tag": "v1.0.0"}}},
                "kustomizations": {"infra-controllers": {"path": "./infrastructure/controllers"}},
            }
        ]

    builder = Builder()
    preflight_stack(make_stack(tmp_path, twice), "x", repo=str(repo), builder=builder)
    assert builder.builds == 3, "the same path of the same source at the same ref is built once"


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    stacks = make_stack(tmp_path)
    ok = RUN.invoke(cli.app, ["preflight", "-s", "x", "--repo", str(repo), "--stacks-dir", str(stacks), "--json", "-"])
    assert ok.exit_code == 0 and '"findings": []' in ok.stdout
    bad = RUN.invoke(
        cli.app, ["preflight", "-s", "x", "--repo", str(repo), "--ref", "nope", "--stacks-dir", str(stacks)]
    )
    assert bad.exit_code == 2 and bad.stderr == f"--ref: 'nope' does not exist in {repo}\n"
    missing = RUN.invoke(cli.app, ["preflight", "-s", "nope", "--stacks-dir", str(stacks)])
    assert missing.exit_code == 2 and "no such stack file" in missing.stderr


def test_scaffolded_environment_and_cluster_pass_preflight(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(PROJECT_DIR / "gitops", repo / "gitops")
    shutil.copytree(STACKS_DIR, repo / "stacks")
    result = RUN.invoke(cli.app, ["scaffold", "env", "qa", "--gitops-dir", str(repo / "gitops")])
    assert result.exit_code == 0
    again = RUN.invoke(cli.app, ["scaffold", "env", "qa", "--gitops-dir", str(repo / "gitops")])
    assert again.exit_code == 2 and "refusing to overwrite" in again.stderr
    result = RUN.invoke(
        cli.app,
        [
            "scaffold",
            "cluster",
            "--new-stack",
            "qa-japaneast",
            "--stack",
            "staging",
            "-e",
            "staging",
            "--stacks-dir",
            str(repo / "stacks"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = preflight_stack(repo / "stacks", "qa-japaneast")
    assert [f for f in report.findings if f.enforcement == "mandatory"] == []
    from components.spec import load_stack

    spec = load_stack(repo / "stacks", "qa-japaneast").spec
    assert spec.name == "aks-qa-japaneast"
    apps = spec.flux.platform.kustomizations["apps"]
    assert apps.post_build is not None and apps.post_build.substitute["cluster_name"] == "aks-qa-japaneast"


def test_a_yaml_bomb_in_the_repository_is_refused_before_kustomize_reads_it(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
    )
    found = findings(tmp_path, lambda repo: (repo / "apps/base/podinfo/network-policy.yaml").write_text(bomb))
    refused = [f for f in found if f[0] == "PREFLIGHT-022" and f[1].endswith("(source)")]
    assert refused and "apps/base/podinfo/network-policy.yaml is refused" in refused[0][2]
    assert "expands to more than" in refused[0][2]
    # The kustomization that lists the file fails on the missing file, instead of kustomize expanding the bomb.
    assert any(f[0] == "PREFLIGHT-002" and f[1] == "platform/apps" and "kustomize build" in f[2] for f in found)


@pytest.mark.parametrize(
    ("options", "line"),
    [
        (["--ref", "no-such-tag"], "--ref: 'no-such-tag' does not exist in this repository"),
        (["--repo", "{tmp}"], "--repo: {tmp} is not a Git repository"),
    ],
)
def test_an_option_naming_nothing_is_bad_input_not_a_finding(tmp_path: Path, options: list[str], line: str) -> None:
    """What an option names must exist: checking something else instead would answer a question nobody asked."""
    args = [o.replace("{tmp}", str(tmp_path)) for o in options]
    result = RUN.invoke(cli.app, ["preflight", "-s", "dev", *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(line.replace("{tmp}", str(tmp_path))) and result.stderr.count("\n") == 1


def test_a_note_about_a_shared_source_is_said_once(tmp_path: Path) -> None:
    document = stack_document("dev")
    cluster = document["config"]["aksfleet:cluster"]
    platform = cluster["flux"]["platform"]
    tenant = {
        "name": "team-a",
        "namespace": "team-a",
        "source": {"git": dict(platform["source"]["git"], ref={"tag": "v9.9.9"})},
        "kustomizations": {"app": {"path": "./apps/dev"}},
    }
    platform["source"]["git"]["ref"] = {"tag": "v9.9.9"}  # no such tag here: the working tree is checked instead
    cluster["flux"]["tenants"] = [tenant]
    from tests.conftest import git_copy_of_project

    project = git_copy_of_project(tmp_path / "project")  # localSources resolve inside the stacks' repository
    write_stack(project / "stacks", "dev", document)
    report = preflight_stack(project / "stacks", "dev")
    notes = [f for f in report.findings if "checked the working tree" in f.message]
    assert len(notes) == 1, [f.message for f in report.findings]


def test_a_remote_base_that_cannot_be_fetched_is_skipped_not_failed(tmp_path: Path) -> None:
    """Flux fetches remote bases in the cluster; offline, preflight says it skipped the path instead of failing it.
    The URL names a host that cannot resolve anywhere (.invalid, RFC 2606), so the test never depends on a network."""

    def remote(repo: Path) -> None:
        (repo / "apps/base/podinfo/kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
            "  - https://example.invalid/org/repo//deploy?ref=v1.0.0\n  - namespace.yaml\n"
        )

    repo = make_repo(tmp_path, remote)
    report = preflight_stack(make_stack(tmp_path), "x", repo=str(repo))
    assert not [f for f in report.findings if f.enforcement == "mandatory"], report.findings
    skipped = [line for line in report.skipped if "remote bases" in line]
    assert skipped and "https://example.invalid/org/repo//deploy?ref=v1.0.0" in skipped[0]
