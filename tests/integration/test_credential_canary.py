"""Issue 13, class 5: a canary secret placed in every kind of input position never reaches any output.

Each case puts one unique string where a careless user or a hand-made cluster would put a credential, runs the
real CLI through typer's runner, and asserts the canary is in no stdout, no stderr line and no written file,
while the redacted form (or the key path of the refusal) is there to say where it was.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import fleet.azure
from fleet import cli
from fleet.plan.azure_outputs import SUBSCRIPTION
from tests.conftest import GIT, PROJECT_DIR, STACKS_DIR, cluster_of, stack_document, write_stack
from tests.fakes.arm import ArmEmulator, secure_cluster_properties, secure_flux_properties
from tests.fakes.emulator_executor import EmulatorExecutor

# Subscription ids are UUIDs (the CLI refuses anything else before asking for a credential).
SUB_A = "00000000-0000-0000-0000-00000000000a"

RUN = CliRunner()
CANARY = "c4naryQ7xZ2mK9pL4rT6vW8yB3dF5gH1jN0s"  # 36 characters: "ghp_" + CANARY is shaped like a GitHub token
TOKEN = f"ghp_{CANARY}"
assert len(CANARY) == 36


def _platform(cluster: dict[str, Any]) -> dict[str, Any]:
    return cluster["flux"]["platform"]  # type: ignore[no-any-return]


def _tenant(cluster: dict[str, Any]) -> dict[str, Any]:
    return cluster["flux"]["tenants"][0]  # type: ignore[no-any-return]


def _set(where: Callable[[dict[str, Any]], dict[str, Any]], **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda cluster: where(cluster).update(values)


# id: (change the prod-japaneast cluster, the key path the refusal names, the redacted form it shows or None)
STACK_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str, str | None]] = {
    "platform Git URL with user:token": (
        _set(
            lambda c: _platform(c)["source"]["git"],
            url=f"https://x-access-token:{CANARY}@github.com/contoso/aks-fleet-gitops",
        ),
        "aksfleet:cluster.flux.platform.source.git.url",
        "https://***:***@github.com/contoso/aks-fleet-gitops",
    ),
    "platform SSH URL with a password": (
        _set(lambda c: _platform(c)["source"]["git"], url=f"ssh://git:{CANARY}@github.com/contoso/aks-fleet-gitops"),
        "aksfleet:cluster.flux.platform.source.git.url",
        "ssh://***:***@github.com/contoso/aks-fleet-gitops",
    ),
    "tenant Git URL with a token as the user": (
        _set(lambda c: _tenant(c)["source"]["git"], url=f"https://{CANARY}@github.com/contoso/payments-deploy"),
        "aksfleet:cluster.flux.tenants[0].source.git.url",
        "https://***@github.com/contoso/payments-deploy",
    ),
    "bucket URL with user:password": (
        _set(
            lambda c: _tenant(c),
            source={
                "bucket": {
                    "url": f"https://minio:{CANARY}@minio.example.com",
                    "bucketName": "payments",
                    "auth": {"kind": "localAuthRef", "secretName": "minio-auth"},
                }
            },
        ),
        "aksfleet:cluster.flux.tenants[0].source.bucket.url",
        "https://***:***@minio.example.com",
    ),
    "blob URL with a SAS signature": (
        _set(
            lambda c: _tenant(c),
            source={
                "azureBlob": {
                    "url": f"https://acct.blob.core.windows.net/payments?sv=2022-11-02&sp=rl&sig={CANARY}",
                    "containerName": "payments",
                    "auth": {"kind": "localAuthRef", "secretName": "blob-auth"},
                }
            },
        ),
        "aksfleet:cluster.flux.tenants[0].source.azureBlob.url",
        "sv=2022-11-02&sp=rl&sig=***",
    ),
    "plaintext value in a secret key": (
        _set(lambda c: _platform(c)["source"]["git"]["auth"], privateKey=CANARY),
        "aksfleet:cluster.flux.platform.source.git.auth.privateKey",
        None,
    ),
    "credential-named variable in postBuild.substitute": (
        _set(lambda c: _platform(c)["kustomizations"]["apps"]["postBuild"]["substitute"], GIT_TOKEN=CANARY),
        "aksfleet:cluster.flux.platform.kustomizations.apps.postBuild.substitute.GIT_TOKEN",
        None,
    ),
    "credential-named key where no key is accepted": (
        _set(lambda c: _platform(c)["source"]["git"], password=CANARY),
        "aksfleet:cluster.flux.platform.source.git.password",
        None,
    ),
    "a token typed as the HTTPS user": (
        _set(
            lambda c: _tenant(c)["source"]["git"],
            auth={"kind": "https", "user": TOKEN, "key": {"secure": "v1:AAAA"}},
        ),
        "aksfleet:cluster.flux.tenants[0].source.git.auth.user",
        None,
    ),
    "a token typed into an enum field": (
        lambda c: c.update(skuTier=TOKEN),
        "aksfleet:cluster.skuTier",
        None,
    ),
}
STACK_COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "plan --json": lambda out: ["plan", "-s", "x", "--json", "-"],
    "plan --format sarif": lambda out: ["plan", "-s", "x", "--format", "sarif", "-o", str(out / "plan.sarif")],
    "preflight --json": lambda out: ["preflight", "-s", "x", "--json", str(out / "preflight.json")],
    "drift --json": lambda out: ["drift", "-s", "x", "--subscription", SUBSCRIPTION, "--json", "-"],
}


def _outputs(result: Any, folder: Path) -> str:
    written = [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file()]
    return "\n".join([result.stdout, result.stderr, *written])


@pytest.mark.parametrize("command", sorted(STACK_COMMANDS))
@pytest.mark.parametrize("case", sorted(STACK_CASES))
def test_a_credential_in_a_stack_file_is_refused_without_being_echoed(tmp_path: Path, case: str, command: str) -> None:
    mutate, key_path, shown = STACK_CASES[case]
    document = stack_document("prod-japaneast")
    mutate(cluster_of(document))
    stacks = tmp_path / "stacks"
    write_stack(stacks, "x", document)
    out = tmp_path / "out"
    out.mkdir()
    result = RUN.invoke(cli.app, [*STACK_COMMANDS[command](out), "--stacks-dir", str(stacks)])
    assert CANARY not in _outputs(result, out)
    assert result.exit_code == 2, (result.output, result.exception)
    named = [line for line in result.stderr.splitlines() if f": {key_path}: " in line]
    assert named, result.stderr
    assert shown is None or any(shown in line for line in named), named


@pytest.mark.parametrize(
    "command", [["preflight", "-s", "prod-japaneast", "--json", "-"], ["rollout", "--dry-run"]], ids=" ".join
)
def test_a_credential_in_fleet_yaml_is_refused_without_being_echoed(tmp_path: Path, command: list[str]) -> None:
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS_DIR, stacks)
    fleet_file = stacks / "fleet.yaml"
    text = fleet_file.read_text(encoding="utf-8")
    leaky = f"https://x-access-token:{CANARY}@github.com/contoso/aks-fleet-gitops"
    fleet_file.write_text(text.replace("https://github.com/contoso/aks-fleet-gitops", leaky), encoding="utf-8")
    result = RUN.invoke(cli.app, [*command, "--stacks-dir", str(stacks)])
    assert CANARY not in result.stdout + result.stderr
    assert result.exit_code == 2, (result.output, result.exception)
    shown = "localSources.https://***:***@github.com/contoso/aks-fleet-gitops: the key itself holds credentials"
    assert shown in result.stderr


def _project(tmp_path: Path, change: Callable[[Path], None]) -> Path:
    """A git repository with this project's stacks and example GitOps repository (mapped by localSources)."""
    root = tmp_path / "project"
    shutil.copytree(STACKS_DIR, root / "stacks")
    shutil.copytree(PROJECT_DIR / "gitops", root / "gitops")
    change(root / "gitops")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "fleet"], cwd=root, check=True)
    return root / "stacks"


def _secret_with_a_schema_error(gitops: Path) -> None:
    (gitops / "apps" / "prod" / "leaky-secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: leaky\n  namespace: podinfo\n"
        f"stringData:\n  password:\n    - {CANARY}\n",
        encoding="utf-8",
    )
    kustomization = gitops / "apps" / "prod" / "kustomization.yaml"
    text = kustomization.read_text(encoding="utf-8")
    kustomization.write_text(text.replace("resources:\n", "resources:\n  - leaky-secret.yaml\n", 1), encoding="utf-8")


# id: (change the GitOps repository, the command after `--stacks-dir`, what the output shows where the value was)
SOURCE_CASES: dict[str, tuple[Callable[[Path], None], Callable[[Path], list[str]], str]] = {
    "Secret with a schema error: preflight --json": (
        _secret_with_a_schema_error,
        lambda out: ["preflight", "-s", "prod-japaneast", "--json", str(out / "preflight.json")],
        "Secret podinfo/leaky: stringData.password: expected string or null (the value is not shown",
    ),
    "Secret with a schema error: plan --json": (
        _secret_with_a_schema_error,
        lambda out: ["plan", "-s", "prod-japaneast", "--no-policy", "--json", "-"],
        "Secret podinfo/leaky: stringData.password: expected string or null (the value is not shown",
    ),
    "Secret with a schema error: plan --format sarif": (
        _secret_with_a_schema_error,
        lambda out: ["plan", "-s", "prod-japaneast", "--no-policy", "--format", "sarif", "-o", str(out / "p.sarif")],
        "Secret podinfo/leaky: stringData.password: expected string or null (the value is not shown",
    ),
    "--repo URL with user:token (git clone fails)": (
        lambda gitops: None,
        lambda out: [
            "preflight",
            "-s",
            "prod-japaneast",
            "--repo",
            f"https://x-access-token:{CANARY}@127.0.0.1:9/contoso/fleet.git",
            "--json",
            str(out / "preflight.json"),
        ],
        "cannot clone https://***:***@127.0.0.1:9/contoso/fleet.git",
    ),
}


@pytest.mark.parametrize("case", sorted(SOURCE_CASES))
def test_a_credential_in_the_gitops_source_never_reaches_the_output(tmp_path: Path, case: str) -> None:
    change, command, shown = SOURCE_CASES[case]
    stacks = _project(tmp_path, change)
    out = tmp_path / "out"
    out.mkdir()
    result = RUN.invoke(cli.app, [*command(out), "--stacks-dir", str(stacks)], env={"COLUMNS": "400"})
    text = _outputs(result, out)
    assert CANARY not in text
    assert result.exit_code == 1, (result.output, result.exception)  # blocked by the finding, nothing crashed
    assert shown in text


LEAKY_URL = f"https://x-access-token:{CANARY}@github.com/contoso/aks-fleet-gitops"


def _leaky_cluster(arm: ArmEmulator) -> str:
    """A hand-made cluster as Azure reports it: a credential in its Git URL and a service principal secret."""
    properties = secure_cluster_properties()
    properties["servicePrincipalProfile"] = {"clientId": "00000000-0000-0000-0000-0000000000aa", "secret": CANARY}
    cid = arm.add_cluster(SUB_A, "rg-leak", "aks-leak", properties=properties)
    arm.add_extension(cid)
    flux = secure_flux_properties()
    flux["gitRepository"]["url"] = LEAKY_URL
    arm.add_flux_configuration(cid, properties=flux)
    return cid


def _blob_cluster(arm: ArmEmulator) -> None:
    cid = arm.add_cluster(SUB_A, "rg-leak", "aks-blob")
    arm.add_extension(cid)
    flux = secure_flux_properties()
    del flux["gitRepository"]
    flux.update(
        sourceKind="AzureBlob",
        azureBlob={
            "url": f"https://acct.blob.core.windows.net/fleet?sv=2022-11-02&sp=rl&sig={CANARY}",
            "containerName": "fleet",
            "localAuthRef": "blob-auth",
        },
    )
    arm.add_flux_configuration(cid, properties=flux)


def test_audit_json_and_html_never_carry_a_live_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fleet.audit import cli as audit_cli

    out = tmp_path / "out"
    out.mkdir()
    with ArmEmulator() as arm:
        _leaky_cluster(arm)
        _blob_cluster(arm)
        monkeypatch.setattr(audit_cli, "_azure_context", lambda cloud: arm.azure_context())
        result = RUN.invoke(
            cli.app,
            ["audit", "--subscription", SUB_A, "--json", str(out / "a.json"), "--html", str(out / "a.html")],
            env={"COLUMNS": "400"},
        )
    assert CANARY not in _outputs(result, out)
    assert result.exit_code == 1, (result.output, result.exception)
    report = (out / "a.json").read_text(encoding="utf-8")
    assert "https://***:***@github.com/contoso/aks-fleet-gitops" in report  # the allow-list finding quotes it
    assert "sig=***" in report
    assert "https://***:***@github.com/contoso/aks-fleet-gitops" in (out / "a.html").read_text(encoding="utf-8")


def test_drift_never_prints_a_live_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fleet.drift import cli as drift_cli

    out = tmp_path / "out"
    out.mkdir()
    with ArmEmulator() as arm:
        assert EmulatorExecutor(STACKS_DIR, arm).up("prod-japaneast").ok
        flux = next(s for k, s in arm.resources.items() if k.endswith("/fluxconfigurations/platform"))
        flux.body["properties"]["gitRepository"]["url"] = f"ssh://git:{CANARY}@github.com/contoso/aks-fleet-gitops"
        cluster = next(s for k, s in arm.resources.items() if k.endswith("/managedclusters/aks-prod-jpe"))
        cluster.body["properties"]["servicePrincipalProfile"] = {"clientId": "msi", "secret": CANARY}
        monkeypatch.setattr(drift_cli, "_azure_context", lambda cloud: arm.azure_context())
        result = RUN.invoke(
            cli.app,
            ["drift", "-s", "prod-japaneast", "--subscription", SUBSCRIPTION, "--json", str(out / "drift.json")],
            env={"COLUMNS": "400"},
        )
    assert CANARY not in _outputs(result, out)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "ssh://***:***@github.com/contoso/aks-fleet-gitops" in (out / "drift.json").read_text(encoding="utf-8")


def test_dr_export_never_writes_a_live_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    with ArmEmulator() as arm:
        cid = _leaky_cluster(arm)
        context = arm.azure_context()
        monkeypatch.setattr(fleet.azure, "AzureContext", lambda **kwargs: context)
        result = RUN.invoke(
            cli.app, ["dr", "export", cid, "--new-stack", "leak", "--stacks-dir", str(stacks)], env={"COLUMNS": "400"}
        )
    assert CANARY not in _outputs(result, stacks)
    assert result.exit_code == 0, (result.output, result.exception)
    written = (stacks / "Pulumi.leak.yaml").read_text(encoding="utf-8")
    assert "url: https://***:***@github.com/contoso/aks-fleet-gitops" in written
    # The written stack names the URL to fix (the spec refuses userinfo) and the to-do says what to do.
    assert "aksfleet:cluster.flux.platform.source.git.url: credentials in the URL" in result.stderr
    assert "flux.platform.source.git.url: the live URL carries credentials" in result.stdout
