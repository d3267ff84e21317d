"""Bicep templates and the rendered parameter files: parse, pass checkov, and equal the plan (parity)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser
from typer.testing import CliRunner

from components.spec import SpecError
from fleet import cli
from fleet.render.bicep import render_bicep_params
from tests.conftest import PROJECT_DIR, SHIPPED_STACKS, STACKS_DIR, plan_for, stack_document, write_stack

TEMPLATES = PROJECT_DIR / "bicep-templates"
BICEP_FILES = sorted(TEMPLATES.rglob("*.bicep"))
CHECKOV = PROJECT_DIR / ".venv-checkov" / "bin" / "checkov"
RUN = CliRunner()


@pytest.mark.parametrize("path", BICEP_FILES, ids=[p.name for p in BICEP_FILES])
def test_every_template_parses_and_documents_every_parameter(path: Path) -> None:
    tree = BicepParser().parse(file_path=path)
    for name, parameter in tree.get("parameters", {}).items():
        decorators = json.dumps(parameter.get("decorators", []))
        assert "description" in decorators, f"{path.name}: parameter {name} has no @description"


def test_secret_inputs_are_secure_parameters() -> None:
    tree = BicepParser().parse(file_path=TEMPLATES / "main.bicep")
    for name in ("platformHttpsKey", "platformSshPrivateKey", "platformBucketSecretKey"):
        assert "secure" in json.dumps(tree["parameters"][name]["decorators"]), name
    module = BicepParser().parse(file_path=TEMPLATES / "modules" / "flux-configuration.bicep")
    assert "secure" in json.dumps(module["parameters"]["protectedSettings"]["decorators"])


@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov lives in .venv-checkov (README set-up command 1)")
def test_checkov_passes_every_applicable_aks_check() -> None:
    out = subprocess.run(
        [str(CHECKOV), "-d", str(TEMPLATES), "--framework", "bicep", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(out.stdout)
    report = report if isinstance(report, dict) else report[0]
    results = report["results"]
    assert results["parsing_errors"] == []
    assert results["failed_checks"] == [], [c["check_id"] for c in results["failed_checks"]]
    passed = {c["check_id"] for c in results["passed_checks"]}
    assert {
        "CKV_AZURE_4",
        "CKV_AZURE_5",
        "CKV_AZURE_6",
        "CKV_AZURE_7",
        "CKV_AZURE_141",
        "CKV_AZURE_168",
        "CKV_AZURE_169",
        "CKV_AZURE_171",
        "CKV_AZURE_226",
        "CKV_AZURE_227",
    } <= passed
    skipped = {c["check_id"]: c["check_result"].get("suppress_comment", "") for c in results["skipped_checks"]}
    assert set(skipped) == {"CKV_AZURE_8", "CKV_AZURE_172"} and all(reason.strip() for reason in skipped.values())


def _params(stack: str) -> dict[str, Any]:
    data = json.loads(render_bicep_params(STACKS_DIR, stack))
    return {name: entry["value"] for name, entry in data["parameters"].items() if "value" in entry}


def _one(stack: str, type_token: str) -> dict[str, Any]:
    (resource,) = [r for r in plan_for(STACKS_DIR, stack).resources if r.type == type_token]
    return resource.inputs


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_parameter_file_equals_the_plan(stack: str) -> None:
    p = _params(stack)
    mc = _one(stack, "azure-native:containerservice:ManagedCluster")
    assert p["clusterName"] == mc["resourceName"] and p["location"] == mc["location"] and p["tags"] == mc["tags"]
    assert p["kubernetesVersion"] == mc["kubernetesVersion"]
    assert p["upgradeChannel"] == mc["autoUpgradeProfile"]["upgradeChannel"]
    assert p["nodeOsUpgradeChannel"] == mc["autoUpgradeProfile"]["nodeOSUpgradeChannel"]
    assert p["skuTier"] == mc["sku"]["tier"]
    net = mc["networkProfile"]
    assert (p["network"]["dataplane"], p["network"]["policy"]) == (net["networkDataplane"], net["networkPolicy"])
    assert (
        p["network"]["podCidr"],
        p["network"]["serviceCidr"],
        p["network"]["dnsServiceIp"],
        p["network"]["outboundType"],
    ) == (net["podCidr"], net["serviceCidr"], net["dnsServiceIP"], net["outboundType"])
    api = mc["apiServerAccessProfile"]
    assert p["enablePrivateCluster"] == api["enablePrivateCluster"]
    assert p["disableRunCommand"] == api["disableRunCommand"]
    assert p["authorizedIpRanges"] == api.get("authorizedIPRanges", [])
    assert p["enableAzureRbac"] == mc["aadProfile"]["enableAzureRBAC"]
    assert p["adminGroupObjectIds"] == mc["aadProfile"]["adminGroupObjectIDs"]
    assert p["disableLocalAccounts"] == mc["disableLocalAccounts"]
    sec, addons = mc["securityProfile"], mc["addonProfiles"]
    assert p["security"]["workloadIdentity"] == sec["workloadIdentity"]["enabled"]
    assert p["security"]["oidcIssuer"] == mc["oidcIssuerProfile"]["enabled"]
    assert p["security"]["defender"] == sec["defender"]["securityMonitoring"]["enabled"]
    assert p["security"]["imageCleaner"] == sec["imageCleaner"]["enabled"]
    assert p["security"]["imageCleanerIntervalHours"] == sec["imageCleaner"]["intervalHours"]
    assert p["security"]["azurePolicy"] == addons["azurepolicy"]["enabled"]
    assert (
        str(p["security"]["secretRotation"]).lower()
        == addons["azureKeyvaultSecretsProvider"]["config"]["enableSecretRotation"]
    )
    assert p["kmsKeyId"] == sec.get("azureKeyVaultKms", {}).get("keyId", "")
    assert p["containerInsights"] == addons["omsagent"]["enabled"]
    system, planned = p["systemPool"], mc["agentPoolProfiles"][0]
    assert (system["name"], system["vmSize"], system["minCount"], system["maxCount"], system["zones"]) == (
        planned["name"],
        planned["vmSize"],
        planned["minCount"],
        planned["maxCount"],
        planned["availabilityZones"],
    )
    assert (system["osSku"], system["osDiskType"], system["osDiskSizeGb"], system["maxPods"]) == (
        planned["osSKU"],
        planned["osDiskType"],
        planned["osDiskSizeGB"],
        planned["maxPods"],
    )
    assert (system["encryptionAtHost"], system["taints"], system["labels"]) == (
        planned["enableEncryptionAtHost"],
        planned["nodeTaints"],
        planned["nodeLabels"],
    )
    assert p["orchestratorVersion"] == planned.get("orchestratorVersion", "")
    pools = [
        r.inputs for r in plan_for(STACKS_DIR, stack).resources if r.type == "azure-native:containerservice:AgentPool"
    ]
    assert [
        (u["name"], u["vmSize"], u["minCount"], u["maxCount"], u["zones"], u["maxPods"], u["taints"])
        for u in p["userPools"]
    ] == [
        (
            a["agentPoolName"],
            a["vmSize"],
            a["minCount"],
            a["maxCount"],
            a["availabilityZones"],
            a["maxPods"],
            a.get("nodeTaints", []),
        )
        for a in pools
    ]
    ext = _one(stack, "azure-native:kubernetesconfiguration:Extension")
    assert p["fluxExtension"]["name"] == ext["extensionName"]
    assert p["fluxExtension"]["releaseTrain"] == ext["releaseTrain"]
    assert p["fluxExtension"]["version"] == ext.get("version", "")
    assert p["fluxExtension"]["settings"] == ext["configurationSettings"]
    configs = {
        r.inputs["fluxConfigurationName"]: r.inputs
        for r in plan_for(STACKS_DIR, stack).resources
        if r.type == "azure-native:kubernetesconfiguration:FluxConfiguration"
    }
    assert [c["name"] for c in p["fluxConfigurations"]] == list(configs)
    for rendered in p["fluxConfigurations"]:
        planned_config = configs[rendered["name"]]
        for key in (
            "scope",
            "namespace",
            "sourceKind",
            "suspend",
            "waitForReconciliation",
            "gitRepository",
            "kustomizations",
        ):
            assert rendered.get(key) == planned_config.get(key), (stack, rendered["name"], key)


def test_secrets_are_never_inlined() -> None:
    text = render_bicep_params(STACKS_DIR, "prod-japaneast")
    assert "q9Zk3mPx0L2c8f1R" not in text and "platformSshPrivateKey" not in text
    kv = "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv"
    referenced = json.loads(render_bicep_params(STACKS_DIR, "prod-japaneast", key_vault_id=kv))
    assert referenced["parameters"]["platformSshPrivateKey"] == {
        "reference": {"keyVault": {"id": kv}, "secretName": "prod-japaneast-platform-sshPrivateKey"}
    }


def test_a_feature_the_templates_do_not_carry_is_refused(tmp_path: Path) -> None:
    document = stack_document("prod-japaneast")
    document["config"]["aksfleet:cluster"]["flux"]["tenants"][0]["source"]["git"]["auth"] = {
        "kind": "https",
        "user": "git",
        "key": {"secure": "v1:abc"},
    }
    write_stack(tmp_path, "x", document)
    with pytest.raises(SpecError) as caught:
        render_bicep_params(tmp_path, "x")
    (problem,) = caught.value.problems
    assert problem.path == "aksfleet:cluster.flux.tenants[0].source"
    assert problem.message.startswith("credentials for a tenant configuration: the Bicep templates carry secrets for")


def test_cli_writes_the_file_and_bad_input_is_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "prod.parameters.json"
    result = RUN.invoke(cli.app, ["render", "bicep", "-s", "prod-japaneast", "-o", str(out)])
    assert result.exit_code == 0 and json.loads(out.read_text())["parameters"]["clusterName"]["value"] == "aks-prod-jpe"
    shutil.copy(STACKS_DIR / "Pulumi.dev.yaml", tmp_path / "Pulumi.bad.yaml")
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(bad.read_text().replace("skuTier: Free", "skuTier: Gold"))
    result = RUN.invoke(cli.app, ["render", "bicep", "-s", "bad", "--stacks-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "aksfleet:cluster.skuTier: input should be 'Free', 'Standard' or 'Premium'; got 'Gold'"
    )
