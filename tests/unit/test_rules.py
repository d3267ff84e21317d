"""Every rule of the catalogue: a passing resource (from the prod plan, which passes everything) and a
failing one (the same resource with one change), plus robustness against unexpected property types."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.baseline import BY_ID, CATALOGUE, Context, Resource, evaluate, evaluate_stack
from tests.conftest import STACKS_DIR, plan_for

CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
EXTENSION = "azure-native:kubernetesconfiguration:Extension"
CONFIG = "azure-native:kubernetesconfiguration:FluxConfiguration"


@cache
def _prod_resources() -> tuple[Resource, ...]:
    plan = plan_for(STACKS_DIR, "prod-japaneast")
    return tuple(
        Resource(r.type, r.name, r.inputs, r.urn, tuple(r.options.depends_on)) for r in plan.resources if r.custom
    )


def base(type_token: str) -> Resource:
    resource = next(r for r in _prod_resources() if r.type == type_token)
    return Resource(resource.type, resource.name, copy.deepcopy(dict(resource.props)), resource.urn)


def changed(type_token: str, change: Callable[[dict[str, Any]], None]) -> Resource:
    resource = base(type_token)
    props = dict(resource.props)
    change(props)
    return Resource(resource.type, resource.name, props, resource.urn)


def _pool0(p: dict[str, Any]) -> dict[str, Any]:
    return p["agentPoolProfiles"][0]


def _platform_k(p: dict[str, Any]) -> dict[str, Any]:
    return p["kustomizations"]


FAILING: dict[str, tuple[str, Callable[[dict[str, Any]], None], str]] = {
    "AKS-001": (CLUSTER, lambda p: p.update(disableLocalAccounts=False), "local accounts are enabled"),
    "AKS-002": (CLUSTER, lambda p: p["aadProfile"].update(managed=False), "Entra ID integration"),
    "AKS-003": (CLUSTER, lambda p: p["aadProfile"].update(enableAzureRBAC=False), "Azure RBAC"),
    "AKS-004": (CLUSTER, lambda p: p.update(enableRBAC=False), "Kubernetes RBAC is disabled"),
    "AKS-005": (CLUSTER, lambda p: p["apiServerAccessProfile"].update(enablePrivateCluster=False), "public"),
    "AKS-006": (CLUSTER, lambda p: p["networkProfile"].update(networkPolicy="none"), "no network policy"),
    "AKS-007": (CLUSTER, lambda p: p["networkProfile"].update(networkPlugin="kubenet"), "'kubenet'"),
    "AKS-008": (POOL, lambda p: p.update(enableNodePublicIP=True), "pool apps: nodes get public IPs"),
    "AKS-009": (CLUSTER, lambda p: p["addonProfiles"].pop("azurepolicy"), "Azure Policy add-on"),
    "AKS-010": (CLUSTER, lambda p: p["securityProfile"].pop("defender"), "Defender"),
    "AKS-011": (CLUSTER, lambda p: p["oidcIssuerProfile"].update(enabled=False), "OIDC issuer"),
    "AKS-012": (CLUSTER, lambda p: p.update(identity={"type": "None"}), "managed identity"),
    "AKS-013": (CLUSTER, lambda p: p["autoUpgradeProfile"].update(upgradeChannel="stable"), "fight each other"),
    "AKS-014": (CLUSTER, lambda p: p["autoUpgradeProfile"].update(nodeOSUpgradeChannel="None"), "'None'"),
    "AKS-015": (POOL, lambda p: p.update(enableEncryptionAtHost=False), "encryption at host is off"),
    "AKS-016": (CLUSTER, lambda p: p["securityProfile"].pop("azureKeyVaultKms"), "Key Vault key"),
    "AKS-017": (CLUSTER, lambda p: p["apiServerAccessProfile"].update(disableRunCommand=False), "command invoke"),
    "AKS-018": (CLUSTER, lambda p: _pool0(p).update(securityProfile={"sshAccess": "LocalUser"}), "pool system: SSH"),
    "AKS-019": (CLUSTER, lambda p: p["securityProfile"]["imageCleaner"].update(enabled=False), "Image Cleaner"),
    "AKS-020": (
        CLUSTER,
        lambda p: p["addonProfiles"]["azureKeyvaultSecretsProvider"]["config"].update(enableSecretRotation="false"),
        "does not rotate",
    ),
    "AKS-021": (CLUSTER, lambda p: p["addonProfiles"].update(kubeDashboard={"enabled": True}), "dashboard"),
    "AKS-022": (CLUSTER, lambda p: p["addonProfiles"].update(httpApplicationRouting={"enabled": True}), "routing"),
    "AKS-023": (CLUSTER, lambda p: p["sku"].update(tier="Free"), "'Free'"),
    "AKS-024": (CLUSTER, lambda p: _pool0(p).update(nodeTaints=[]), "not tainted CriticalAddonsOnly"),
    "AKS-025": (POOL, lambda p: p.update(availabilityZones=["1"]), "1 availability zone(s)"),
    "AKS-026": (CLUSTER, lambda p: _pool0(p).update(osDiskType="Managed"), "OS disk is not ephemeral"),
    "AKS-027": (POOL, lambda p: p.update(maxPods=30), "maxPods is 30"),
    "AKS-028": (CLUSTER, lambda p: _pool0(p).update(type="AvailabilitySet"), "availability-set"),
    "AKS-029": (CLUSTER, lambda p: p["addonProfiles"]["omsagent"].update(enabled=False), "Container Insights"),
    "FLUX-001": (EXTENSION, lambda p: p.update(releaseTrain="Preview"), "'Preview'"),
    "FLUX-002": (EXTENSION, lambda p: p.pop("version"), "not pinned"),
    "FLUX-003": (
        EXTENSION,
        lambda p: p["configurationSettings"].update({"image-automation-controller.enabled": "true"}),
        "image-automation-controller is enabled",
    ),
    "FLUX-004": (
        EXTENSION,
        lambda p: p["configurationSettings"].update({"multiTenancy.enforce": "false"}),
        "multiTenancy.enforce is off",
    ),
    "GITOPS-001": (CONFIG, lambda p: _platform_k(p)["apps"].update(dependsOn=["nope"]), "'nope', which does not exist"),
    "GITOPS-002": (CONFIG, lambda p: _platform_k(p)["apps"].update(dependsOn=[]), "does not depend"),
    "GITOPS-003": (CONFIG, lambda p: p["gitRepository"].update(repositoryRef={"branch": "main"}), "follows branch"),
    "GITOPS-004": (CONFIG, lambda p: _platform_k(p)["apps"].update(prune=False), "kustomizations.apps.prune is off"),
    "GITOPS-005": (CONFIG, lambda p: _platform_k(p)["apps"].update(force=True), "kustomizations.apps.force is on"),
    "GITOPS-006": (CONFIG, lambda p: p.update(suspend=True), "suspended"),
    "GITOPS-007": (CONFIG, lambda p: p["gitRepository"].update(syncIntervalInSeconds=10), "is 10s; accepted: 60..3600"),
    "GITOPS-008": (CONFIG, lambda p: p["gitRepository"].update(url="http://github.com/x/y"), "http scheme"),
    "GITOPS-009": (
        CONFIG,
        lambda p: p.update(sourceKind="Bucket", bucket={"url": "https://s3.example.com", "bucketName": "b"}),
        "bucket.insecure is true",
    ),
    "GITOPS-010": (CONFIG, lambda p: p["gitRepository"].update(httpsKey="hunter2"), "gitRepository.httpsKey"),
    "GITOPS-011": (CONFIG, lambda p: p.update(namespace="default"), "default namespace"),
    "AKS-031": (CLUSTER, lambda p: p.update(kubernetesVersion="1.27.9"), "reached end of support on AKS"),
    "AKS-034": (POOL, lambda p: p.update(vmSize="Standard_D2ds_v5", osDiskSizeGB=128), "does not fit the 75 GiB"),
    "AKS-035": (POOL, lambda p: p.update(vmSize="Standard_E4s_v5"), "is not in facts/vm_sizes.toml"),
    "FLUX-005": (EXTENSION, lambda p: p.update(version="1.22.0"), "is not in the extension's release notes"),
    "GITOPS-014": (
        CONFIG,
        # The key both prod stacks once pinned for github.com: not one GitHub publishes.
        lambda p: p["gitRepository"].update(
            sshKnownHosts="Z2l0aHViLmNvbSBzc2gtZWQyNTUxOSBBQUFBQzNOemFDMWxaREkxTlRFNUFBQUFJT01xcW5rVnpybTBTZGc2VW9PWnE3YldWL1FHOGdzNUplZHVMNVVvS0RBcgo="
        ),
        "is not one github.com publishes",
    ),
}
STACK_RULES = {"GITOPS-012", "GITOPS-013", "AKS-033", "AKS-036"}
# Judged against the calendar on a given day: tests/unit/test_fact_rules.py pins the day.
DATED_RULES = {"AKS-032"}


def test_every_rule_has_a_failing_case() -> None:
    assert set(FAILING) | STACK_RULES | DATED_RULES | {"AKS-030"} == set(BY_ID)


@pytest.mark.parametrize("rule_id", sorted(FAILING))
def test_rule_passes_the_baseline_and_fails_the_change(rule_id: str) -> None:
    rule = BY_ID[rule_id]
    type_token, change, expected = FAILING[rule_id]
    prod = Context(environment="prod")
    assert evaluate(rule, base(type_token), prod) == [], "the prod baseline must pass"
    findings = evaluate(rule, changed(type_token, change), prod)
    assert findings, f"{rule_id} did not fire"
    assert all(f.rule == rule_id for f in findings)
    assert any(expected in f.message for f in findings), [f.message for f in findings]


def test_no_preview_api_versions() -> None:
    rule = BY_ID["AKS-030"]
    stable = base(CLUSTER)
    assert evaluate(rule, stable, Context()) == []
    preview = Resource("azure-native:containerservice/v20250902preview:ManagedCluster", "c", stable.props)
    assert [f.message for f in evaluate(rule, preview, Context())] == [
        "azure-native:containerservice/v20250902preview:ManagedCluster uses a preview API version"
    ]


def test_rules_match_versioned_type_tokens() -> None:
    versioned = Resource("azure-native:containerservice/v20250901:ManagedCluster", "c", {"disableLocalAccounts": False})
    assert evaluate(BY_ID["AKS-001"], versioned, Context())


def test_pinned_ref_is_only_required_in_production() -> None:
    branch = changed(CONFIG, lambda p: p["gitRepository"].update(repositoryRef={"branch": "main"}))
    assert evaluate(BY_ID["GITOPS-003"], branch, Context(environment="dev")) == []
    assert evaluate(BY_ID["GITOPS-003"], branch, Context(environment="prod"))


def test_addon_keys_match_case_insensitively() -> None:
    camel = changed(CLUSTER, lambda p: p["addonProfiles"].update(azurePolicy=p["addonProfiles"].pop("azurepolicy")))
    assert evaluate(BY_ID["AKS-009"], camel, Context()) == []


def test_source_allow_list_comes_from_config() -> None:
    ctx = Context(config={"allowedUrlPrefixes": ["https://dev.azure.com/contoso/"]})
    findings = evaluate(BY_ID["GITOPS-008"], base(CONFIG), ctx)
    assert [f.message for f in findings] == [
        "gitRepository.url 'ssh://git@github.com/contoso/aks-fleet-gitops' is not under an allowed prefix "
        "(https://dev.azure.com/contoso/)"
    ]


def test_stack_rules_pass_the_prod_plan_and_fail_without_ordering() -> None:
    resources = list(_prod_resources())
    for rule_id in STACK_RULES:
        assert evaluate_stack(BY_ID[rule_id], resources, Context()) == []
    unordered = [Resource(r.type, r.name, r.props, r.urn, ()) if r.type == CONFIG else r for r in resources]
    findings = evaluate_stack(BY_ID["GITOPS-012"], unordered, Context())
    assert {f.resource for f in findings} == {"aks-prod-jpe-platform", "aks-prod-jpe-payments"}
    without_flux = [r for r in resources if r.type not in (EXTENSION, CONFIG)]
    messages = [f.message for f in evaluate_stack(BY_ID["GITOPS-013"], without_flux, Context())]
    assert messages == [
        "has 0 microsoft.flux extension(s); accepted: exactly 1",
        "has 0 cluster-scoped (platform) flux configuration(s); accepted: exactly 1",
    ]


def test_unexpected_property_type_is_reported_not_raised() -> None:
    weird = changed(CLUSTER, lambda p: p.update(agentPoolProfiles="not-a-list", addonProfiles=["x"]))
    for rule_id in ("AKS-008", "AKS-009", "AKS-015", "AKS-024"):
        findings = evaluate(BY_ID[rule_id], weird, Context())
        assert len(findings) == 1 and findings[0].message.startswith("cannot judge: "), (rule_id, findings)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
_known_keys = sorted({p.split(".")[0] for r in CATALOGUE for p in [r.property_path] if p[0].isalpha()})


@settings(max_examples=300, deadline=None)
@given(
    type_token=st.sampled_from([CLUSTER, POOL, EXTENSION, CONFIG]),
    props=st.dictionaries(st.sampled_from([*_known_keys, "kustomizations", "gitRepository", "sourceKind"]), _json),
)
def test_no_rule_ever_raises_on_arbitrary_properties(type_token: str, props: dict[str, Any]) -> None:
    resource = Resource(type_token, "r", props)
    for rule in CATALOGUE:
        for finding in evaluate(rule, resource, Context()):
            assert finding.message
        for finding in evaluate_stack(rule, [resource], Context()):
            assert finding.message
