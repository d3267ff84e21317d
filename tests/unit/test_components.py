"""The components under Pulumi's mock monitor: real registrations, real options, real dependencies."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.azure_types import SECRET, UNKNOWN
from components.spec.graph import dependency_order
from fleet.plan.model import Plan, PlannedResource
from tests.conftest import SHIPPED_STACKS, STACKS_DIR, plan_for

CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
EXTENSION = "azure-native:kubernetesconfiguration:Extension"
CONFIG = "azure-native:kubernetesconfiguration:FluxConfiguration"


def one(plan: Plan, type_token: str) -> PlannedResource:
    (resource,) = plan.of_type(type_token)
    return resource


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_extension_is_created_before_every_configuration(stack: str) -> None:
    plan = plan_for(STACKS_DIR, stack)
    extension = one(plan, EXTENSION)
    configs = plan.of_type(CONFIG)
    assert configs
    for config in configs:
        assert extension.urn in config.options.depends_on, config.name
        assert config.inputs["clusterName"] == extension.inputs["clusterName"]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_apps_reconcile_after_infrastructure(stack: str) -> None:
    platform = next(c for c in plan_for(STACKS_DIR, stack).of_type(CONFIG) if c.inputs["scope"] == "cluster")
    kustomizations: dict[str, Any] = platform.inputs["kustomizations"]
    order = dependency_order({n: k["dependsOn"] for n, k in kustomizations.items()})
    assert order.index("infra-controllers") < order.index("infra-configs") < order.index("apps")
    assert kustomizations["apps"]["dependsOn"] == ["infra-configs"]
    assert all(k["prune"] is True and k["force"] is False for k in kustomizations.values())


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_cluster_extension_and_configurations_are_protected(stack: str) -> None:
    plan = plan_for(STACKS_DIR, stack)
    for resource in [one(plan, CLUSTER), one(plan, EXTENSION), *plan.of_type(CONFIG)]:
        assert resource.options.protect, resource.name
    cluster = one(plan, CLUSTER)
    assert cluster.options.delete_before_replace
    assert cluster.options.custom_timeouts == {"create": "90m", "update": "90m", "delete": "60m"}


def test_protect_can_be_turned_off_for_one_run(derived_stack: Callable[..., Path], tmp_path: Path) -> None:
    from tests.conftest import stack_document, write_stack

    document = stack_document("dev")
    document["config"]["aksfleet:protect"] = False
    write_stack(tmp_path / "unprotected", "dev", document)
    plan = plan_for(tmp_path / "unprotected", "dev")
    assert not any(r.options.protect for r in plan.resources)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_exactly_one_inline_system_pool_and_separate_user_pools(stack: str) -> None:
    plan = plan_for(STACKS_DIR, stack)
    cluster = one(plan, CLUSTER)
    (inline,) = cluster.inputs["agentPoolProfiles"]
    assert inline["mode"] == "System"
    assert inline["nodeTaints"][0] == "CriticalAddonsOnly=true:NoSchedule"
    pools = plan.of_type(POOL)
    assert pools and all(p.inputs["mode"] == "User" for p in pools)
    assert all(cluster.urn in p.options.depends_on for p in pools)
    # Pools are chained: AKS accepts one pool operation per cluster at a time.
    for earlier, later in itertools.pairwise(pools):
        assert earlier.urn in later.options.depends_on


def test_auto_version_policy_ignores_versions_set_by_aks() -> None:
    plan = plan_for(STACKS_DIR, "dev")
    cluster = one(plan, CLUSTER)
    assert cluster.inputs["kubernetesVersion"] == "1.36"
    assert cluster.inputs["autoUpgradeProfile"]["upgradeChannel"] == "rapid"
    assert {"kubernetesVersion", "agentPoolProfiles[0].orchestratorVersion"} <= set(cluster.options.ignore_changes)
    assert "orchestratorVersion" not in cluster.inputs["agentPoolProfiles"][0]
    assert all("orchestratorVersion" in p.options.ignore_changes for p in plan.of_type(POOL))


def test_pinned_version_policy_owns_every_version() -> None:
    plan = plan_for(STACKS_DIR, "prod-japaneast")
    cluster = one(plan, CLUSTER)
    assert cluster.inputs["kubernetesVersion"] == "1.36.5"
    assert cluster.inputs["autoUpgradeProfile"]["upgradeChannel"] == "none"
    assert "kubernetesVersion" not in cluster.options.ignore_changes
    assert cluster.inputs["agentPoolProfiles"][0]["orchestratorVersion"] == "1.36.5"
    for pool in plan.of_type(POOL):
        assert pool.inputs["orchestratorVersion"] == "1.36.5"
        assert pool.options.ignore_changes == ["count"]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_secure_defaults_reach_azure(stack: str) -> None:
    cluster = one(plan_for(STACKS_DIR, stack), CLUSTER).inputs
    assert cluster["disableLocalAccounts"] is True and cluster["enableRBAC"] is True
    assert cluster["aadProfile"]["enableAzureRBAC"] is True
    assert cluster["oidcIssuerProfile"] == {"enabled": True}
    assert cluster["securityProfile"]["workloadIdentity"] == {"enabled": True}
    assert cluster["securityProfile"]["imageCleaner"]["enabled"] is True
    assert cluster["securityProfile"]["defender"]["securityMonitoring"] == {"enabled": True}
    assert cluster["addonProfiles"]["azurepolicy"]["enabled"] is True
    assert cluster["addonProfiles"]["azureKeyvaultSecretsProvider"]["config"]["enableSecretRotation"] == "true"
    assert cluster["networkProfile"]["networkPolicy"] == "cilium"
    assert cluster["apiServerAccessProfile"]["disableRunCommand"] is True
    profile = cluster["agentPoolProfiles"][0]
    assert profile["enableNodePublicIP"] is False and profile["securityProfile"] == {"sshAccess": "Disabled"}
    assert profile["availabilityZones"] == ["1", "2", "3"]


def test_ssh_key_travels_only_as_a_secret_in_protected_settings() -> None:
    plan = plan_for(STACKS_DIR, "prod-japaneast")
    platform = next(c for c in plan.of_type(CONFIG) if c.inputs["fluxConfigurationName"] == "platform")
    assert platform.inputs["configurationProtectedSettings"] == SECRET
    assert "sshPrivateKey" not in str(platform.inputs["gitRepository"])
    ciphertext = "q9Zk3mPx0L2c8f1R"
    assert ciphertext not in str(plan.to_json())


def test_secret_is_base64_encoded_under_the_right_key() -> None:
    """Under update semantics the mock sees the value; it must be the base64 of the decrypted secret."""
    import base64

    from components.spec import load_stack
    from fleet.plan import engine
    from fleet.plan.azure_outputs import AzureOutputs

    seen: dict[str, Any] = {}

    class Capture(AzureOutputs):
        def new_resource(self, args: Any) -> Any:
            if args.typ == CONFIG:
                seen[args.inputs["fluxConfigurationName"]] = args.inputs.get("configurationProtectedSettings")
            return super().new_resource(args)

    original = engine.AzureOutputs
    engine.AzureOutputs = Capture  # type: ignore[misc]
    try:
        from components import program

        engine.run_program(load_stack(STACKS_DIR, "prod-japaneast"), lambda: program.main(STACKS_DIR), preview=False)
    finally:
        engine.AzureOutputs = original  # type: ignore[misc]
    from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

    expected = base64.b64encode(engine.OFFLINE_SECRET_PLACEHOLDER.encode()).decode()
    assert is_rpc_secret(seen["platform"]), "protected settings must reach the engine as a secret"
    assert unwrap_rpc_secret(seen["platform"]) == {"sshPrivateKey": expected}
    assert seen["payments"] is None


def test_every_azure_resource_is_parented_to_a_component() -> None:
    plan = plan_for(STACKS_DIR, "prod-japaneast")
    components = {r.urn: r for r in plan.resources if not r.custom}
    for resource in plan.resources:
        if resource.custom:
            assert resource.parent in components, resource.name
            assert components[resource.parent].type.startswith("aksfleet:index:")


def test_preview_leaves_azure_computed_values_unknown_and_update_fills_them() -> None:
    preview = plan_for(STACKS_DIR, "dev")
    assert one(preview, CLUSTER).inputs["identity"]["userAssignedIdentities"] == [UNKNOWN]
    assert "oidcIssuerUrl" not in preview.outputs
    update = plan_for(STACKS_DIR, "dev", preview=False)
    identity_id = one(update, CLUSTER).inputs["identity"]["userAssignedIdentities"][0]
    assert identity_id.endswith("/userAssignedIdentities/id-aks-dev-jpe")
    assert update.outputs["oidcIssuerUrl"].startswith("https://japaneast.oic.prod-aks.azure.com/")


def test_custom_vnet_grants_the_control_plane_identity_the_subnet() -> None:
    plan = plan_for(STACKS_DIR, "prod-japaneast", preview=False)
    (role,) = [r for r in plan.of_type("azure-native:authorization:RoleAssignment") if "subnet" in r.name]
    cluster = one(plan, CLUSTER)
    assert role.inputs["scope"] == cluster.inputs["agentPoolProfiles"][0]["vnetSubnetID"]
    assert role.inputs["roleDefinitionId"].endswith("4d97b98b-1d4f-4787-a291-c67834d212e7")
    assert role.urn in cluster.options.depends_on, "the ManagedCluster itself waits for the subnet role"


@pytest.mark.parametrize("stack", ["prod-japaneast", "prod-japanwest"])
def test_kms_key_access_is_granted_before_the_cluster_turns_kms_on(stack: str) -> None:
    """AKS requires the identity's key access before KMS is enabled (use-kms-etcd-encryption)."""
    plan = plan_for(STACKS_DIR, stack, preview=False)
    cluster = one(plan, CLUSTER)
    kms = cluster.inputs["securityProfile"]["azureKeyVaultKms"]
    roles = plan.of_type("azure-native:authorization:RoleAssignment")
    (role,) = [r for r in roles if "kms" in r.name]
    (subnet_role,) = [r for r in roles if "subnet" in r.name]
    assert role.inputs["roleDefinitionId"].endswith("/12338af0-0e69-4776-bea7-57ae8d297424")  # Key Vault Crypto User
    assert role.inputs["scope"].endswith("/vaults/" + kms["keyId"].split("//")[1].split(".")[0])
    assert role.inputs["principalType"] == "ServicePrincipal"
    # The control-plane identity's principal (the same one the subnet grant goes to), known after create.
    assert role.inputs["principalId"] == subnet_role.inputs["principalId"] != UNKNOWN
    assert role.urn in cluster.options.depends_on


def test_private_key_vault_also_gets_key_vault_contributor(derived_stack: Callable[..., Path]) -> None:
    stacks = derived_stack("prod-japaneast", lambda c: c["security"]["kms"].update(keyVaultNetworkAccess="Private"))
    plan = plan_for(stacks, "test")
    roles = {
        r.inputs["roleDefinitionId"].rsplit("/", 1)[-1]
        for r in plan.of_type("azure-native:authorization:RoleAssignment")
    }
    assert {"12338af0-0e69-4776-bea7-57ae8d297424", "f25e0fa2-a7c8-4377-a976-54943a77a395"} <= roles


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_container_insights_has_its_rule_and_association(stack: str) -> None:
    """Shapes from microsoft/Docker-Provider's MSI onboarding templates (vendored in tests/conformance)."""
    plan = plan_for(STACKS_DIR, stack, preview=False)
    cluster = one(plan, CLUSTER)
    rule = one(plan, "azure-native:monitor:DataCollectionRule")
    association = one(plan, "azure-native:monitor:DataCollectionRuleAssociation")
    workspace = cluster.inputs["addonProfiles"]["omsagent"]["config"]["logAnalyticsWorkspaceResourceID"]
    assert rule.inputs["kind"] == "Linux" and rule.inputs["dataCollectionRuleName"].startswith("MSCI-")
    (extension,) = rule.inputs["dataSources"]["extensions"]
    assert extension["extensionName"] == "ContainerInsights" and extension["name"] == "ContainerInsightsExtension"
    (destination,) = rule.inputs["destinations"]["logAnalytics"]
    assert destination == {"name": "ciworkspace", "workspaceResourceId": workspace}
    assert rule.inputs["dataFlows"] == [{"streams": extension["streams"], "destinations": ["ciworkspace"]}]
    assert association.inputs["associationName"] == "ContainerInsightsExtension"
    assert association.inputs["resourceUri"].endswith(f"/managedClusters/{cluster.inputs['resourceName']}")
    assert association.inputs["dataCollectionRuleId"].endswith(
        f"/dataCollectionRules/{rule.inputs['dataCollectionRuleName']}"
    )
    assert cluster.urn in association.options.depends_on


def test_tenant_configuration_is_namespace_scoped_after_the_platform() -> None:
    plan = plan_for(STACKS_DIR, "prod-japaneast")
    configs = {c.inputs["fluxConfigurationName"]: c for c in plan.of_type(CONFIG)}
    tenant = configs["payments"]
    assert tenant.inputs["scope"] == "namespace" and tenant.inputs["namespace"] == "payments"
    assert configs["platform"].urn in tenant.options.depends_on


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_extension_itself_waits_for_the_cluster_and_every_user_pool(stack: str) -> None:
    """dependsOn on a component does not reach its children, so the Extension resource carries it."""
    plan = plan_for(STACKS_DIR, stack)
    extension = one(plan, EXTENSION)
    assert {one(plan, CLUSTER).urn, *(p.urn for p in plan.of_type(POOL))} <= set(extension.options.depends_on)


def test_extension_settings_are_typed_and_secure() -> None:
    extension = one(plan_for(STACKS_DIR, "prod-japaneast"), EXTENSION).inputs
    assert extension["extensionType"] == "microsoft.flux"
    assert extension["scope"] == {"cluster": {"releaseNamespace": "flux-system"}}
    assert extension["version"] == "1.24.1" and extension["autoUpgradeMinorVersion"] is False
    settings = extension["configurationSettings"]
    assert settings["multiTenancy.enforce"] == "true"
    assert settings["image-automation-controller.enabled"] == "false"
    dev = one(plan_for(STACKS_DIR, "dev"), EXTENSION).inputs
    assert dev["autoUpgradeMinorVersion"] is True and "version" not in dev
