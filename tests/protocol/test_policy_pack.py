"""The CrossGuard pack over its gRPC analyzer protocol: started as a process, driven as the CLI drives it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fleet.plan.runner import plan_stack
from fleet.policy.analyzer import AnalyzerClient, policy_pack
from fleet.policy.config import config_path, load_config
from policies.baseline import CATALOGUE
from tests.conftest import SHIPPED_STACKS, STACKS_DIR, plan_for


@pytest.fixture(scope="module")
def client() -> Iterator[AnalyzerClient]:
    with policy_pack() as connected:
        yield connected


def test_handshake_lists_every_rule_with_metadata(client: AnalyzerClient) -> None:
    info = client.info()
    assert info.name == "aksfleet-baseline"
    by_name = {p.name: p for p in info.policies}
    assert set(by_name) == {rule.policy_name for rule in CATALOGUE}
    aks001 = by_name["aks-001"]
    assert aks001.displayName == "AKS-001 Local accounts disabled"
    assert aks001.remediation_steps.startswith("Set disableLocalAccounts: true")
    assert "environment" in aks001.configSchema.properties


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_pass_every_mandatory_rule(client: AnalyzerClient, stack: str) -> None:
    plan = plan_for(STACKS_DIR, stack)
    environment = stack if stack in ("dev", "staging") else "prod"
    client.configure(load_config(config_path(environment)))
    client.configure_stack(stack, "aksfleet", {"environment": environment})
    findings = client.analyze(plan.resources)
    assert [f for f in findings if f.enforcement == "mandatory"] == []
    if environment == "prod":
        assert findings == []


def _weaken(c: dict[str, Any]) -> None:
    c["skuTier"] = "Free"
    c["kubernetes"] = {"versionPolicy": {"policy": "auto", "version": "1.36"}, "nodeOsUpgradeChannel": "Unmanaged"}
    c["entra"] = {
        "disableLocalAccounts": False,
        "azureRbac": False,
        "adminGroupObjectIds": ["0c9a7e21-4b8f-4d0e-8d6a-1f2e3d4c5b6a"],
    }
    c["security"] = {
        "azurePolicy": False,
        "defender": {"enabled": False},
        "imageCleaner": {"enabled": False},
        "keyVaultSecretsProvider": {"rotation": False},
    }
    c["apiServer"] = {"disableRunCommand": False}
    c["monitoring"] = {"containerInsights": False}
    c["systemPool"] = {
        "onlyCriticalAddons": False,
        "zones": ["1"],
        "osDiskType": "Managed",
        "maxPods": 30,
        "encryptionAtHost": False,
    }
    c["flux"]["extension"] = {"controllers": {"imageAutomation": True}, "multiTenancyEnforce": False}
    platform = c["flux"]["platform"]
    platform["suspend"] = True
    platform["source"]["git"]["ref"] = {"branch": "main"}
    platform["kustomizations"]["apps"].update(prune=False, force=True)


WEAK_RULES = {
    "AKS-001",
    "AKS-003",
    "AKS-009",
    "AKS-010",
    "AKS-014",
    "AKS-015",
    "AKS-016",
    "AKS-017",
    "AKS-019",
    "AKS-020",
    "AKS-023",
    "AKS-024",
    "AKS-025",
    "AKS-026",
    "AKS-027",
    "AKS-029",
    "FLUX-002",
    "FLUX-003",
    "FLUX-004",
    "GITOPS-003",
    "GITOPS-004",
    "GITOPS-005",
    "GITOPS-006",
}


def test_weak_stack_fails_with_the_exact_rule_ids(derived_stack: Callable[..., Path]) -> None:
    stacks = derived_stack("prod-japaneast", _weaken, name="weak")
    plan = plan_stack(stacks, "weak")
    assert {f.rule for f in plan.findings} == WEAK_RULES
    assert {f.rule for f in plan.findings if f.enforcement == "mandatory"} == WEAK_RULES
    assert plan.blocked
    pools = {f.resource for f in plan.findings if f.rule == "AKS-015"}
    assert pools == {"aks-prod-jpe-aks"}, "the inline system pool is judged, the compliant user pools are not"


def test_secrets_never_appear_in_findings(derived_stack: Callable[..., Path]) -> None:
    def weak_with_secret(c: dict[str, Any]) -> None:
        _weaken(c)
        c["flux"]["platform"]["source"]["git"]["auth"]["privateKey"] = {"secure": "v1:CIPHERTEXT-MARKER"}

    plan = plan_stack(derived_stack("prod-japaneast", weak_with_secret, name="weak"), "weak")
    text = repr(plan.findings) + repr(plan.to_json())
    assert plan.findings and "CIPHERTEXT-MARKER" not in text and "offline-plan-has-no-plaintext" not in text


def test_dev_config_makes_chosen_rules_advisory(derived_stack: Callable[..., Path]) -> None:
    plan = plan_stack(STACKS_DIR, "dev")
    assert {(f.rule, f.enforcement) for f in plan.findings} == {
        ("AKS-016", "advisory"),
        ("AKS-023", "advisory"),
        ("FLUX-002", "advisory"),
    }
    assert not plan.blocked
