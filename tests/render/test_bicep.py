"""Bicep templates and the rendered parameter files: parse, pass checkov, and equal the plan (parity)."""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pulumi_azure_native import managedidentity
from pycep import BicepParser
from typer.testing import CliRunner

from components.spec import SpecError, load_stack
from components.spec.cluster import TENANT_ID_VARIABLE
from fleet import cli
from fleet.render.bicep import TEMPLATE_ROLES, render_bicep_params
from tests.conftest import PROJECT_DIR, SHIPPED_STACKS, STACKS_DIR, plan_for, stack_document, write_stack
from tests.render import bicep_eval

TEMPLATES = PROJECT_DIR / "bicep-templates"
BICEP_FILES = sorted(TEMPLATES.rglob("*.bicep"))
CHECKOV = PROJECT_DIR / ".venv-checkov" / "bin" / "checkov"
ROLES_TABLE = PROJECT_DIR / "policies" / "baseline" / "facts" / "builtin_roles.toml"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
RUN = CliRunner()


@cache
def _tree(name: str) -> dict[str, Any]:
    return dict(BicepParser().parse(file_path=TEMPLATES / name))


def _module(name: str) -> tuple[Any, dict[str, Any]]:
    """(condition or None, config) of a module of main.bicep; pycep nests a conditional module's config."""
    config = _tree("main.bicep")["modules"][name]["config"]
    return (config["condition"], config["config"]) if "condition" in config else (None, config)


def _output_of(expression: Any) -> tuple[str, str]:
    """`module.outputs.x` as pycep parses it -> (module, x)."""
    outer = expression["operator"]["operands"]
    inner = outer["operand_2"]["operator"]["operands"]
    assert inner["operand_1"] == "outputs", expression
    return outer["operand_1"], inner["operand_2"]


def _table_roles() -> dict[str, str]:
    return {row["name"]: row["id"] for row in tomllib.loads(ROLES_TABLE.read_text())["rows"]}


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
    kms = sec.get("azureKeyVaultKms", {})
    assert p["kmsKeyId"] == kms.get("keyId", "")
    if kms:
        assert p["kmsKeyVaultNetworkAccess"] == kms["keyVaultNetworkAccess"]
        # The vault id always reaches the role assignments; the cluster gets it only for a Private vault.
        assert kms.get("keyVaultResourceId", p["kmsKeyVaultResourceId"]) == p["kmsKeyVaultResourceId"]
    else:
        assert p["kmsKeyVaultResourceId"] == ""
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
    _assert_configurations_equal_the_plan(STACKS_DIR, stack)


def _assert_configurations_equal_the_plan(stacks_dir: Path, stack: str) -> None:
    """Every flux configuration as ARM receives it equals the planned one, kustomizations included: those are
    evaluated from the rendered parameters through main.bicep and flux-configuration.bicep (the postBuild variables
    the stamp injects), values known only after deployment being UNKNOWN as in the preview plan."""
    p = _params_in(stacks_dir, stack)
    configs = {
        r.inputs["fluxConfigurationName"]: r.inputs
        for r in plan_for(stacks_dir, stack).resources
        if r.type == "azure-native:kubernetesconfiguration:FluxConfiguration"
    }
    assert [c["name"] for c in p["fluxConfigurations"]] == list(configs)
    deployed = _deployed_kustomizations(p)
    for rendered in p["fluxConfigurations"]:
        planned_config = configs[rendered["name"]]
        for key in ("scope", "namespace", "sourceKind", "suspend", "waitForReconciliation", "gitRepository"):
            assert rendered.get(key) == planned_config.get(key), (stack, rendered["name"], key)
        assert deployed[rendered["name"]] == planned_config["kustomizations"], (stack, rendered["name"])


UNKNOWN = "[unknown]"  # what a preview plan shows for a value known only after apply


def _deployed_kustomizations(
    p: dict[str, Any], *, client_ids: list[str] | None = None, tenant_id: str = UNKNOWN
) -> dict[str, Any]:
    """Per configuration: the kustomizations main.bicep's platform and tenant modules deploy, evaluated from the
    rendered parameters (module parameters in main.bicep, then flux-configuration.bicep's variables). The identity
    modules' clientId outputs and tenant() are given (UNKNOWN by default)."""
    main = _tree("main.bicep")
    module = _tree("modules/flux-configuration.bicep")
    ids = client_ids if client_ids is not None else [UNKNOWN] * len(p["workloadIdentities"])
    scope: dict[str, Any] = {
        **p,
        "cluster": {"outputs": {"name": p["clusterName"]}},
        "workloadIdentity": [{"outputs": {"clientId": client_id}} for client_id in ids],
        "tenant()": {"tenantId": tenant_id},
        "platformSecrets": {},  # credentials: not part of the kustomizations
    }
    scope["tenantSubstitution"] = bicep_eval.evaluate(main["variables"]["tenantSubstitution"]["value"], scope)

    def kustomizations(params: dict[str, Any], inner: dict[str, Any]) -> Any:
        values = {name: bicep_eval.evaluate(value, inner) for name, value in params.items()}
        return bicep_eval.module_scope(module, values)["kustomizations"]

    platform = main["modules"]["platform"]["config"]
    out = {p["fluxConfigurations"][0]["name"]: kustomizations(platform["params"], scope)}
    tenants = main["modules"]["tenants"]["config"]
    loop = tenants["loop_type"]["detail"]
    for configuration in bicep_eval.evaluate(loop["array_name"], scope):
        out[configuration["name"]] = kustomizations(
            tenants["config"]["params"], {**scope, loop["item_name"]: configuration}
        )
    return out


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


def _kms_grants(stacks_dir: Path, stack: str) -> tuple[set[str], list[str]]:
    """Planned role GUIDs on the KMS vault, and the URNs of those assignments."""
    plan = plan_for(stacks_dir, stack)
    vault = _params_in(stacks_dir, stack)["kmsKeyVaultResourceId"]
    assignments = [
        r
        for r in plan.resources
        if r.type == "azure-native:authorization:RoleAssignment" and r.inputs["scope"] == vault
    ]
    return {r.inputs["roleDefinitionId"].rsplit("/", 1)[-1] for r in assignments}, [r.urn for r in assignments]


def _params_in(stacks_dir: Path, stack: str) -> dict[str, Any]:
    data = json.loads(render_bicep_params(stacks_dir, stack))
    return {name: entry["value"] for name, entry in data["parameters"].items() if "value" in entry}


def _template_kms_roles(p: dict[str, Any]) -> set[str]:
    """Evaluate main.bicep's `kmsRoles` (which roles go on the vault) with the rendered parameters."""
    branch = _tree("main.bicep")["variables"]["kmsRoles"]["value"]["operator"]["operands"]
    condition = branch["condition"]["operator"]
    assert condition["type"] == "equals" and condition["operands"]["operand_1"] == "kmsKeyVaultNetworkAccess"
    chosen = (
        branch["true_value"]
        if p["kmsKeyVaultNetworkAccess"] == condition["operands"]["operand_2"]
        else branch["false_value"]
    )
    roles = set()
    for item in chosen:
        accessor = item["operator"]["operands"]
        assert item["operator"]["type"] == "index_accessor" and accessor["operand_1"] == "roleDefinitionIds"
        roles.add(p["roleDefinitionIds"][accessor["operand_2"]])
    return roles


def test_kms_roles_are_granted_on_the_vault_before_the_cluster() -> None:
    condition, kms_role = _module("kmsRole")
    assert json.dumps(condition) == json.dumps(
        {
            "operator": {
                "type": "not",
                "operands": {"bool_value": {"function": {"type": "empty", "parameters": {"item_to_test": "kmsKeyId"}}}},
            }
        }
    )
    # Deployed into the vault's resource group (subscription and group from the vault id), on the vault itself.
    scope = kms_role["scope"]["function"]
    assert scope["type"] == "resource_group"
    indices = {k: v["operator"]["operands"] for k, v in scope["parameters"].items()}
    assert {k: (v["operand_1"], v["operand_2"]) for k, v in indices.items()} == {
        "subscription_id": ("kmsVaultParts", 2),
        "resource_group_name": ("kmsVaultParts", 4),
    }
    assert kms_role["params"]["vaultName"]["operator"]["operands"] == {"operand_1": "kmsVaultParts", "operand_2": 8}
    assert kms_role["params"]["roleDefinitionIds"] == "kmsRoles"
    assert _output_of(kms_role["params"]["principalId"]) == ("identity", "principalId")
    module = _tree("modules/key-vault-role.bicep")["resources"]
    assert module["vault"]["type"] == "Microsoft.KeyVault/vaults" and module["vault"]["existing"]
    assignment = module["assignments"]
    assert assignment["type"] == "Microsoft.Authorization/roleAssignments"
    assert assignment["config"]["loop_type"]["detail"] == {
        "item_name": "roleDefinitionId",
        "array_name": "roleDefinitionIds",
    }
    each = assignment["config"]["config"]
    assert each["scope"] == "vault"
    # A deterministic name: a re-run or a DR re-creation finds the same assignment.
    assert each["name"]["function"]["type"] == "guid"
    assert each["properties"]["principalType"] == "ServicePrincipal"
    assert each["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"] == "roleDefinitionId"
    # AKS needs the access before KMS is turned on: the cluster waits for the assignments.
    _, cluster = _module("cluster")
    assert {"subnetRole", "kmsRole"} <= set(cluster["dependsOn"])
    assert cluster["params"]["kmsKeyVaultResourceId"] == "kmsKeyVaultResourceId"


@pytest.mark.parametrize("access", ["Public", "Private"])
def test_kms_roles_equal_the_plan(access: str, derived_stack: Callable[..., Path]) -> None:
    def mutate(cluster: dict[str, Any]) -> None:
        cluster["security"]["kms"]["keyVaultNetworkAccess"] = access

    stacks = derived_stack("prod-japaneast", mutate, name="kms")
    p = _params_in(stacks, "kms")
    assert p["kmsKeyVaultNetworkAccess"] == access
    planned, urns = _kms_grants(stacks, "kms")
    expected = {"Key Vault Crypto User"} | ({"Key Vault Contributor"} if access == "Private" else set())
    assert planned == _template_kms_roles(p) == {_table_roles()[name] for name in expected}
    (mc,) = [r for r in plan_for(stacks, "kms").resources if r.type == "azure-native:containerservice:ManagedCluster"]
    assert set(urns) <= set(mc.options.depends_on)
    # The API takes the vault id only for a Private vault ("Public: leave the field empty"); so does the template.
    planned_kms = mc.inputs["securityProfile"]["azureKeyVaultKms"]
    assert planned_kms.get("keyVaultResourceId", "") == (p["kmsKeyVaultResourceId"] if access == "Private" else "")
    profile = _tree("modules/managed-cluster.bicep")["resources"]["cluster"]["config"]["properties"]["securityProfile"]
    sent = profile["azureKeyVaultKms"]["operator"]["operands"]["false_value"]["keyVaultResourceId"]["operator"]
    assert sent["operands"]["condition"]["operator"]["operands"] == {
        "operand_1": "kmsKeyVaultNetworkAccess",
        "operand_2": "Private",
    }
    assert (sent["operands"]["true_value"], sent["operands"]["false_value"]) == ("kmsKeyVaultResourceId", None)


def test_without_kms_no_vault_is_rendered() -> None:
    p = _params("dev")
    assert (p["kmsKeyId"], p["kmsKeyVaultResourceId"]) == ("", "")
    assert "azureKeyVaultKms" not in _one("dev", "azure-native:containerservice:ManagedCluster")["securityProfile"]


def test_container_insights_rule_and_association_follow_the_cluster() -> None:
    condition, insights = _module("insights")
    assert condition == "containerInsights"
    # Its cluster name is the cluster module's output, so ARM deploys it after the cluster.
    assert _output_of(insights["params"]["clusterName"]) == ("cluster", "name")
    assert insights["params"]["workspaceId"] == _module("cluster")[1]["params"]["workspaceId"]
    module = _tree("modules/container-insights.bicep")
    resources = module["resources"]
    assert (
        resources["cluster"]["existing"]
        and resources["cluster"]["type"] == "Microsoft.ContainerService/managedClusters"
    )
    rule = resources["rule"]
    assert (rule["type"], rule["api_version"]) == ("Microsoft.Insights/dataCollectionRules", "2022-06-01")
    association = resources["association"]
    assert (association["type"], association["api_version"]) == (
        "Microsoft.Insights/dataCollectionRuleAssociations",
        "2022-06-01",
    )
    assert association["config"]["scope"] == "cluster"
    assert association["config"]["properties"]["dataCollectionRuleId"]["operator"]["operands"] == {
        "operand_1": "rule",
        "operand_2": "id",
    }


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_container_insights_equal_the_plan(stack: str) -> None:
    p = _params(stack)
    assert p["containerInsights"]
    dcr = _one(stack, "azure-native:monitor:DataCollectionRule")
    dcra = _one(stack, "azure-native:monitor:DataCollectionRuleAssociation")
    module = _tree("modules/container-insights.bicep")
    defaults = {name: param.get("default") for name, param in module["parameters"].items()}
    rule = module["resources"]["rule"]["config"]
    assert rule["name"]["function"]["parameters"] == {
        "original_value": "MSCI-${workspaceLocation}-${clusterName}",
        "number_to_take": 64,
    }
    assert f"MSCI-{p['workspaceLocation']}-{p['clusterName']}"[:64] == dcr["dataCollectionRuleName"]
    assert p["workspaceLocation"] == dcr["location"] and rule["kind"] == dcr["kind"] and p["tags"] == dcr["tags"]
    (extension,) = rule["properties"]["dataSources"]["extensions"]
    (planned_extension,) = dcr["dataSources"]["extensions"]
    assert (extension["name"], extension["extensionName"]) == (
        planned_extension["name"],
        planned_extension["extensionName"],
    )
    assert extension["streams"] == "streams" and defaults["streams"] == planned_extension["streams"]
    settings = extension["extensionSettings"]["dataCollectionSettings"]
    assert {key: defaults[name] for key, name in settings.items()} == planned_extension["extensionSettings"][
        "dataCollectionSettings"
    ]
    destination = module["variables"]["destination"]["value"]
    (log_analytics,) = dcr["destinations"]["logAnalytics"]
    assert rule["properties"]["destinations"]["logAnalytics"] == [
        {"name": "destination", "workspaceResourceId": "workspaceId"}
    ]
    assert destination == log_analytics["name"]
    if p["logAnalyticsWorkspaceId"]:
        assert p["logAnalyticsWorkspaceId"] == log_analytics["workspaceResourceId"]
    (flow,) = dcr["dataFlows"]
    assert rule["properties"]["dataFlows"] == [{"streams": "streams", "destinations": ["destination"]}]
    assert (defaults["streams"], [destination]) == (flow["streams"], flow["destinations"])
    association = module["resources"]["association"]["config"]
    assert association["name"] == dcra["associationName"]
    assert association["properties"]["description"] == dcra["description"]


def test_container_insights_off_renders_no_rule(derived_stack: Callable[..., Path]) -> None:
    def mutate(cluster: dict[str, Any]) -> None:
        cluster.setdefault("monitoring", {})["containerInsights"] = False

    stacks = derived_stack("dev", mutate, name="quiet")
    assert _params_in(stacks, "quiet")["containerInsights"] is False
    types = {r.type for r in plan_for(stacks, "quiet").resources}
    assert not types & {"azure-native:monitor:DataCollectionRule", "azure-native:monitor:DataCollectionRuleAssociation"}


def test_role_ids_come_from_the_fact_table() -> None:
    table = _table_roles()
    # Rendered, not written in the templates: every GUID literal in bicep-templates must still be a row.
    for path in BICEP_FILES:
        for guid in GUID.findall(path.read_text()):
            assert guid.lower() in {i.lower() for i in table.values()}, f"{path.name}: {guid} is not in builtin_roles"
    used = {name for path in BICEP_FILES for name in re.findall(r"roleDefinitionIds\['([^']+)'\]", path.read_text())}
    assert used and used <= set(TEMPLATE_ROLES)
    for stack in SHIPPED_STACKS:
        assert _params(stack)["roleDefinitionIds"] == {name: table[name] for name in TEMPLATE_ROLES}
    # The subnet role too: the template takes its id from the rendered map, as the plan takes it from the table.
    _, subnet_role = _module("subnetRole")
    accessor = subnet_role["params"]["networkContributor"]["operator"]["operands"]
    assert (accessor["operand_1"], accessor["operand_2"]) == ("roleDefinitionIds", "Network Contributor")
    subnet = _params("prod-japaneast")["network"]["vnetSubnetId"]
    (planned,) = [
        r.inputs
        for r in plan_for(STACKS_DIR, "prod-japaneast").resources
        if r.type == "azure-native:authorization:RoleAssignment" and r.inputs["scope"] == subnet
    ]
    assert planned["roleDefinitionId"].rsplit("/", 1)[-1] == table["Network Contributor"]


def _workload_identity_resources(stacks_dir: Path, stack: str, type_token: str) -> list[dict[str, Any]]:
    return [
        r.inputs
        for r in plan_for(stacks_dir, stack).resources
        if r.type == type_token and "aksfleet:index:WorkloadIdentity$" in r.urn
    ]


def _assert_workload_identities_equal_the_plan(stacks_dir: Path, stack: str) -> None:
    """The identities, federated credentials and Key Vault grants the templates create from the rendered
    parameters are those of the plan."""
    p = _params_in(stacks_dir, stack)
    rendered = p["workloadIdentities"]
    identities = _workload_identity_resources(stacks_dir, stack, "azure-native:managedidentity:UserAssignedIdentity")
    # The plan lists resources in its own order: compare as sets.
    assert {w["identityName"] for w in rendered} == {i["resourceName"] for i in identities}
    assert len(rendered) == len(identities)
    assert all((i["location"], i["tags"]) == (p["location"], p["tags"]) for i in identities)
    credentials = _workload_identity_resources(
        stacks_dir, stack, "azure-native:managedidentity:FederatedIdentityCredential"
    )
    assert sorted(
        (w["identityName"], w["federatedCredentialName"], w["subject"], w["audiences"]) for w in rendered
    ) == sorted(
        (c["resourceName"], c["federatedIdentityCredentialResourceName"], c["subject"], c["audiences"])
        for c in credentials
    )
    grants = _workload_identity_resources(stacks_dir, stack, "azure-native:authorization:RoleAssignment")
    assert sorted(w["keyVaultSecrets"] for w in rendered if w["keyVaultSecrets"]) == sorted(g["scope"] for g in grants)
    secrets_user = _table_roles()["Key Vault Secrets User"]
    assert p["roleDefinitionIds"]["Key Vault Secrets User"] == secrets_user
    assert all(g["roleDefinitionId"].rsplit("/", 1)[-1] == secrets_user for g in grants)
    assert all(g["principalType"] == "ServicePrincipal" for g in grants)
    assert [w["clientIdVariable"] for w in rendered] + ([TENANT_ID_VARIABLE] if rendered else []) == (
        load_stack(stacks_dir, stack).spec.injected_substitutions
    )


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_workload_identities_equal_the_plan(stack: str) -> None:
    _assert_workload_identities_equal_the_plan(STACKS_DIR, stack)


def _two_identities(cluster: dict[str, Any]) -> None:
    cluster["workloadIdentities"].append({"name": "cert-manager", "namespace": "cert-manager", "serviceAccount": "cm"})
    platform = cluster["flux"]["platform"]["kustomizations"]
    # A second platform kustomization with postBuild, declaring a variable the stamp's own value replaces.
    platform["infra-configs"]["postBuild"] = {"substitute": {"podinfo_client_id": "stale"}}
    # A tenant's postBuild gets nothing injected.
    cluster["flux"]["tenants"][0]["kustomizations"]["app"]["postBuild"] = {"substitute": {"team": "payments"}}


def test_two_identities_without_and_with_a_vault_equal_the_plan(derived_stack: Callable[..., Path]) -> None:
    stacks = derived_stack("prod-japaneast", _two_identities, name="wi")
    _assert_workload_identities_equal_the_plan(stacks, "wi")
    _assert_configurations_equal_the_plan(stacks, "wi")
    # Each variable holds its own identity's client id (the plan shows them all as unknown, so name them here).
    p = _params_in(stacks, "wi")
    assert [w["keyVaultSecrets"] == "" for w in p["workloadIdentities"]] == [False, True]
    deployed = _deployed_kustomizations(p, client_ids=["id-podinfo", "id-cm"], tenant_id="tenant")
    injected = {"podinfo_client_id": "id-podinfo", "cert_manager_client_id": "id-cm", "azure_tenant_id": "tenant"}
    declared = p["fluxConfigurations"][0]["kustomizations"]["apps"]["postBuild"]["substitute"]
    assert deployed["platform"]["apps"]["postBuild"]["substitute"] == {**declared, **injected}
    assert deployed["platform"]["infra-configs"]["postBuild"]["substitute"] == injected
    assert "postBuild" not in deployed["platform"]["infra-controllers"]
    assert deployed["payments"]["app"]["postBuild"]["substitute"] == {"team": "payments"}


def test_without_workload_identities_nothing_is_injected() -> None:
    p = _params("dev")
    assert p["workloadIdentities"] == []
    deployed = _deployed_kustomizations(p, tenant_id="tenant")
    assert deployed == {c["name"]: c["kustomizations"] for c in p["fluxConfigurations"]}


def test_workload_identity_module_creates_what_the_component_does() -> None:
    module = _tree("modules/workload-identity.bicep")
    identity, federation = module["resources"]["identity"], module["resources"]["federation"]
    # The API version pulumi-azure-native sends for both resources.
    for resource in (managedidentity.UserAssignedIdentity, managedidentity.FederatedIdentityCredential):
        version = re.search(r"Uses Azure REST API version (\S+)\.", inspect.getsource(resource))
        assert version and {identity["api_version"], federation["api_version"]} == {version.group(1)}
    assert identity["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities"
    assert identity["config"] == {"name": "name", "location": "location", "tags": "tags"}
    assert federation["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    assert federation["config"] == {
        "parent": "identity",
        "name": "federatedCredentialName",
        "properties": {"issuer": "oidcIssuerUrl", "subject": "subject", "audiences": "audiences"},
    }
    # Key Vault Secrets User through key-vault-role.bicep, in the vault's group, only when a vault is named.
    grant = module["modules"]["secretsUser"]
    assert grant["detail"]["path"] == "key-vault-role.bicep"
    assert json.dumps(grant["config"]["condition"]) == json.dumps(
        {
            "operator": {
                "type": "not",
                "operands": {
                    "bool_value": {"function": {"type": "empty", "parameters": {"item_to_test": "keyVaultSecrets"}}}
                },
            }
        }
    )
    body = grant["config"]["config"]
    scope = body["scope"]["function"]
    assert scope["type"] == "resource_group"
    indices = {k: v["operator"]["operands"] for k, v in scope["parameters"].items()}
    assert {k: (v["operand_1"], v["operand_2"]) for k, v in indices.items()} == {
        "subscription_id": ("vaultParts", 2),
        "resource_group_name": ("vaultParts", 4),
    }
    assert body["params"]["vaultName"]["operator"]["operands"] == {"operand_1": "vaultParts", "operand_2": 8}
    assert body["params"]["roleDefinitionIds"] == ["keyVaultSecretsUserRoleId"]
    assert body["params"]["seed"] == "name"
    assert bicep_eval.evaluate(body["params"]["principalId"], {"identity": {"properties": {"principalId": "p"}}}) == "p"
    outputs = {name: output["value"] for name, output in module["outputs"].items()}
    for name in ("clientId", "principalId", "tenantId"):
        assert bicep_eval.evaluate(outputs[name], {"identity": {"properties": {name: name.upper()}}}) == name.upper()


def test_main_creates_the_identities_after_the_cluster_and_the_platform_after_them() -> None:
    main = _tree("main.bicep")
    assert "workloadIdentities" in main["parameters"] and main["parameters"]["workloadIdentities"]["default"] == []
    loop = main["modules"]["workloadIdentity"]
    assert loop["detail"]["path"] == "modules/workload-identity.bicep"
    assert loop["config"]["loop_type"]["detail"] == {"item_name": "wi", "array_name": "workloadIdentities"}
    params = loop["config"]["config"]["params"]
    # The rendered names reach the module unchanged; the issuer is the cluster module's output.
    wi = {key: f"<{key}>" for key in ("identityName", "federatedCredentialName", "subject", "audiences")}
    scope = {
        "wi": {**wi, "keyVaultSecrets": "<vault>"},
        "cluster": {"outputs": {"oidcIssuerUrl": "<issuer>"}},
        "roleDefinitionIds": {"Key Vault Secrets User": "<role>"},
        "location": "<location>",
        "tags": "<tags>",
    }
    assert {name: bicep_eval.evaluate(value, scope) for name, value in params.items()} == {
        "name": "<identityName>",
        "location": "<location>",
        "tags": "<tags>",
        "oidcIssuerUrl": "<issuer>",
        "federatedCredentialName": "<federatedCredentialName>",
        "subject": "<subject>",
        "audiences": "<audiences>",
        "keyVaultSecrets": "<vault>",
        "keyVaultSecretsUserRoleId": "<role>",
    }
    issuer = json.dumps(_tree("modules/managed-cluster.bicep")["outputs"]["oidcIssuerUrl"])
    assert '"oidcIssuerProfile", "operand_2": "issuerURL"' in issuer
    # The platform configuration waits for the extension and every identity; tenants for the platform, one by one.
    platform = main["modules"]["platform"]["config"]
    assert platform["dependsOn"] == ["flux", "workloadIdentity"]
    assert platform["params"]["injectedVariables"] == "tenantSubstitution"
    tenants = main["modules"]["tenants"]
    assert tenants["decorators"] == [{"type": "batchSize", "argument": 1}]
    assert tenants["config"]["config"]["dependsOn"] == ["flux", "platform"]
    assert "injectedClientIds" not in tenants["config"]["config"]["params"]


def test_every_module_deployment_name_is_judged() -> None:
    """DEPLOYMENT_SUFFIXES is the renderer's copy of main.bicep's module names: they must be the same list."""
    import re

    from fleet.render.bicep import DEPLOYMENT_SUFFIXES

    text = (PROJECT_DIR / "bicep-templates" / "main.bicep").read_text(encoding="utf-8")
    names = re.findall(r"^module [^\n]*\n(?:[^\n]*\n)*?  name: '\$\{clusterName\}([^']*)'", text, flags=re.MULTILINE)
    modules = len(re.findall(r"^module ", text, flags=re.MULTILINE))
    assert len(names) == modules, "every module deployment is named after the cluster"
    assert sorted({re.sub(r"\$\{[^}]*\}", "{}", n) for n in names}) == sorted(DEPLOYMENT_SUFFIXES)


def test_a_deployment_name_azure_refuses_is_named(tmp_path: Path) -> None:
    document = stack_document("dev")
    cluster = document["config"]["aksfleet:cluster"]
    cluster["name"] = "a" * 54  # a valid cluster name; `<name>-subnet-role` is 66 characters
    cluster["resourceGroup"] = "rg-x"  # keeps MC_<rg>_<cluster>_<region> within its own limit
    write_stack(tmp_path, "x", document)
    with pytest.raises(SpecError) as caught:
        render_bicep_params(tmp_path, "x")
    lines = [str(p) for p in caught.value.problems]
    assert any("the Bicep deployment name" in line and "-subnet-role" in line for line in lines), lines
    assert all("characters" in line for line in lines if "deployment" in line)
    assert not any("'aaa" in line and "-aks'" in line for line in lines), "58 characters are accepted"
