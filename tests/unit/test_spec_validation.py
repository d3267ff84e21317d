"""Every validation rule of the spec: the shipped stacks pass, and each broken input gives one precise line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.spec import SpecError, load_stack
from components.spec.cluster import AutoVersionPolicy, PinnedVersionPolicy
from tests.conftest import SHIPPED_STACKS, STACKS_DIR


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_load(stack: str) -> None:
    loaded = load_stack(STACKS_DIR, stack)
    assert loaded.spec.flux.platform.kustomizations
    assert loaded.protect is True


def test_prod_stacks_pin_versions_and_git() -> None:
    for stack in ("prod-japaneast", "prod-japanwest"):
        spec = load_stack(STACKS_DIR, stack).spec
        assert isinstance(spec.kubernetes.version_policy, PinnedVersionPolicy)
        assert spec.flux.platform.source.git is not None and spec.flux.platform.source.git.ref.is_pinned
        assert spec.sku_tier == "Standard" and spec.api_server.private
    dev = load_stack(STACKS_DIR, "dev").spec
    assert isinstance(dev.kubernetes.version_policy, AutoVersionPolicy)
    assert dev.flux.platform.source.git is not None and dev.flux.platform.source.git.ref.kind == "branch"


def _problems(stacks_dir: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_stack(stacks_dir, "test")
    lines = [str(p) for p in caught.value.problems]
    assert all(line.startswith(str(stacks_dir / "Pulumi.test.yaml")) or "Pulumi.test.yaml" in line for line in lines)
    return lines


def _platform(c: dict[str, Any]) -> dict[str, Any]:
    return c["flux"]["platform"]


CASES: list[tuple[str, str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "KMS without the vault it needs access to",
        "prod-japaneast",
        lambda c: c["security"]["kms"].pop("keyVaultResourceId"),
        "aksfleet:cluster.security.kms.keyVaultResourceId",
        "required",
    ),
    (
        "KMS vault that does not hold the key",
        "prod-japaneast",
        lambda c: c["security"]["kms"].update(
            keyVaultResourceId=c["security"]["kms"]["keyVaultResourceId"].replace("kv-prod-jpe-aks", "kv-other")
        ),
        "aksfleet:cluster.security.kms.keyVaultResourceId",
        "names vault 'kv-other' but keyId is a key of 'kv-prod-jpe-aks.vault.azure.net'",
    ),
    (
        "shared workspace without its region",
        "prod-japaneast",
        lambda c: c["monitoring"].pop("workspaceLocation"),
        "aksfleet:cluster.monitoring.workspaceLocation",
        "required with logAnalyticsWorkspaceId",
    ),
    (
        "knownHosts that is not base64",
        "prod-japaneast",
        lambda c: _platform(c)["source"]["git"]["auth"].update(knownHosts="github.com ssh-ed25519 AAAA"),
        "aksfleet:cluster.flux.platform.source.git.auth.knownHosts",
        "not base64 of UTF-8 known_hosts text",
    ),
    (
        "knownHosts whose key is not of its type",
        "prod-japaneast",
        lambda c: _platform(c)["source"]["git"]["auth"].update(
            knownHosts=__import__("base64")
            .b64encode(b"git.example.com ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOMq\n")
            .decode()
        ),
        "aksfleet:cluster.flux.platform.source.git.auth.knownHosts",
        "line 1: the key is not a ssh-rsa key",
    ),
    (
        "unknown dependsOn target",
        "dev",
        lambda c: _platform(c)["kustomizations"]["apps"].update(dependsOn=["infra-config"]),
        "aksfleet:cluster.flux.platform.kustomizations.apps.dependsOn[0]",
        "unknown kustomization 'infra-config'; accepted: one of apps, infra-configs, infra-controllers",
    ),
    (
        "dependsOn cycle",
        "dev",
        lambda c: _platform(c)["kustomizations"]["infra-controllers"].update(dependsOn=["apps"]),
        "aksfleet:cluster.flux.platform.kustomizations",
        "dependsOn forms a cycle",
    ),
    (
        "self dependency",
        "dev",
        lambda c: _platform(c)["kustomizations"]["apps"].update(dependsOn=["apps"]),
        "kustomizations.apps.dependsOn[0]",
        "cannot depend on itself",
    ),
    (
        "http URL",
        "dev",
        lambda c: _platform(c)["source"]["git"].update(url="http://github.com/contoso/x"),
        "aksfleet:cluster.flux.platform.source.git.url",
        "accepted: https://host/... or ssh://git@host/...",
    ),
    (
        "credentials in URL",
        "dev",
        lambda c: _platform(c)["source"]["git"].update(url="https://ghp_TOKEN123@github.com/contoso/x"),
        "source.git.url",
        "credentials in the URL",
    ),
    (
        "plaintext secret",
        "dev",
        lambda c: _platform(c)["source"]["git"].update(auth={"kind": "https", "user": "git", "key": "ghp_plain"}),
        "aksfleet:cluster.flux.platform.source.git.auth.key",
        "plaintext secret",
    ),
    (
        "commit without branch",
        "dev",
        lambda c: _platform(c)["source"]["git"].update(ref={"commit": "0123abc" + "0" * 33}),
        "source.git.ref.branch",
        "must be combined with the branch",
    ),
    (
        # Flux resolves ref.commit as a full object id (fluxcd/pkg git/gogit/clone.go cloneCommit).
        "abbreviated commit",
        "dev",
        lambda c: _platform(c)["source"]["git"].update(ref={"branch": "main", "commit": "0123abc"}),
        "aksfleet:cluster.flux.platform.source.git.ref.commit",
        "a commit must be the full 40-character lowercase hex SHA",
    ),
    (
        "two refs",
        "dev",
        lambda c: _platform(c)["source"]["git"].update(ref={"branch": "main", "tag": "v1"}),
        "source.git.ref",
        "exactly one of branch, tag, semver",
    ),
    (
        "two sources",
        "dev",
        lambda c: _platform(c)["source"].update(
            bucket={
                "url": "https://s3.example.com",
                "bucketName": "fleet",
                "auth": {"kind": "localAuthRef", "secretName": "b"},
            }
        ),
        "aksfleet:cluster.flux.platform.source",
        "exactly one source kind is required; got git, bucket",
    ),
    (
        "unknown key",
        "dev",
        lambda c: c["userPools"][0].update(vmSzie="Standard_D4ds_v5"),
        "aksfleet:cluster.userPools[0].vmSzie",
        "unknown key; accepted: encryptionAtHost",
    ),
    (
        "wrong type",
        "dev",
        lambda c: _platform(c)["kustomizations"]["apps"].update(prune="maybe"),
        "kustomizations.apps.prune",
        "valid boolean",
    ),
    (
        "kustomization name too long",
        "dev",
        lambda c: _platform(c)["kustomizations"].update({"a" * 31: {"path": "./x"}}),
        "aksfleet:cluster.flux.platform.kustomizations." + "a" * 31,
        "should match pattern",
    ),
    (
        "interval below bound",
        "dev",
        lambda c: _platform(c)["kustomizations"]["apps"].update(syncIntervalSeconds=5),
        "kustomizations.apps.syncIntervalSeconds",
        "greater than or equal to 60",
    ),
    (
        "unknown version policy",
        "dev",
        lambda c: c["kubernetes"]["versionPolicy"].update(policy="automatic"),
        "aksfleet:cluster.kubernetes.versionPolicy.policy",
        "'automatic' is not accepted; accepted: 'auto', 'pinned'",
    ),
    (
        "pinned needs a patch version",
        "prod-japaneast",
        lambda c: c["kubernetes"]["versionPolicy"].update(version="1.36"),
        "kubernetes.versionPolicy.version",
        "should match pattern",
    ),
    (
        "public API without ranges",
        "dev",
        lambda c: c["apiServer"].update(authorizedIpRanges=[]),
        "aksfleet:cluster.apiServer.authorizedIpRanges",
        "accepted: a list of CIDRs, or private: true",
    ),
    (
        "open API server",
        "dev",
        lambda c: c["apiServer"].update(authorizedIpRanges=["0.0.0.0/0"]),
        "aksfleet:cluster.apiServer.authorizedIpRanges",
        "open the API server to every public IPv4 address (the whole internet)",
    ),
    (
        "workload identity without OIDC",
        "dev",
        lambda c: c.update(security={"oidcIssuer": False}),
        "aksfleet:cluster.security.oidcIssuer",
        "workload identity needs the OIDC issuer",
    ),
    (
        "tainted system pool and no user pool",
        "dev",
        lambda c: c.update(userPools=[]),
        "aksfleet:cluster.userPools",
        "need a user pool",
    ),
    (
        "dns service IP outside service CIDR",
        "dev",
        lambda c: c.update(network={"dnsServiceIp": "10.1.0.10"}),
        "aksfleet:cluster.network.dnsServiceIp",
        "outside serviceCidr",
    ),
    (
        "cilium dataplane with calico policy",
        "dev",
        lambda c: c.update(network={"policy": "calico"}),
        "aksfleet:cluster.network.policy",
        "accepted: 'cilium'",
    ),
    (
        "tenant in platform namespace",
        "prod-japaneast",
        lambda c: c["flux"]["tenants"][0].update(namespace="flux-system"),
        "aksfleet:cluster.flux.tenants[0].namespace",
        "cannot share the platform namespace",
    ),
    (
        "duplicate pool names",
        "prod-japaneast",
        lambda c: c["userPools"][1].update(name="apps"),
        "aksfleet:cluster.userPools[1].name",
        "already used by userPools[0]",
    ),
    (
        "OCI source is not in the API version",
        "dev",
        lambda c: _platform(c)["source"].update(oci={"url": "oci://example.azurecr.io/fleet"}),
        "aksfleet:cluster.flux.platform.source.oci",
        "unknown key; accepted: azureBlob, bucket, git",
    ),
]


@pytest.mark.parametrize(("base", "mutate", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_stack_reports_exact_problem(
    derived_stack: Callable[..., Path], base: str, mutate: Callable[[dict[str, Any]], None], path: str, message: str
) -> None:
    lines = _problems(derived_stack(base, mutate))
    matching = [line for line in lines if f": {path}" in line or path in line.split(": ")[1]]
    assert matching, f"no problem at {path}: {lines}"
    assert any(message in line for line in matching), lines


def test_secret_values_are_never_echoed(derived_stack: Callable[..., Path]) -> None:
    def leak(c: dict[str, Any]) -> None:
        _platform(c)["source"]["git"]["auth"] = {"kind": "https", "user": "git", "key": "ghp_TOPSECRET"}
        _platform(c)["source"]["git"]["url"] = "https://user:ghp_URLSECRET@github.com/x/y"

    lines = _problems(derived_stack("dev", leak))
    assert lines
    assert not any("ghp_TOPSECRET" in line or "ghp_URLSECRET" in line for line in lines)


def test_missing_stack_names_the_known_ones() -> None:
    with pytest.raises(SpecError) as caught:
        load_stack(STACKS_DIR, "prod-mars")
    (problem,) = caught.value.problems
    assert "Pulumi.prod-mars.yaml" in str(problem)
    assert "dev, prod-japaneast, prod-japanwest, staging" in problem.message


def test_yaml_syntax_error_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aksfleet:cluster: [unclosed\n")
    with pytest.raises(SpecError) as caught:
        load_stack(tmp_path, "test")
    (problem,) = caught.value.problems
    assert problem.path.startswith("line ") and "not valid YAML" in problem.message


def test_all_field_problems_are_reported_at_once(derived_stack: Callable[..., Path]) -> None:
    def many(c: dict[str, Any]) -> None:
        c["userPools"][0]["vmSzie"] = "x"
        c["skuTier"] = "Gold"
        _platform(c)["kustomizations"]["apps"]["prune"] = "maybe"

    assert len(_problems(derived_stack("dev", many))) == 3
