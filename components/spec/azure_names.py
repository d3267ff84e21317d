"""The Azure names the stamp derives from a spec: the one place each is computed, and the check that Azure
would accept every one of them (policies/baseline/facts/azure_naming.toml), run whenever a spec is loaded.

The Pulumi components, the Bicep renderer and the offline plan all take their names from here, so what is
judged at load time is exactly what is deployed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from policies.baseline.facts.azure_naming import judge, judge_tags, rules

if TYPE_CHECKING:
    from .cluster import ClusterSpec

Finding = tuple[str, str]  # (key path relative to the cluster object, message)


def azure_name(rule: str) -> AfterValidator:
    """A spec field holding a name Azure must accept under `rule` (a name written in the stack file)."""

    def check(value: str) -> str:
        problem = judge(rule, value)
        if problem:
            raise PydanticCustomError(
                "azure_name", "the name would be refused by Azure: it {problem}", {"problem": problem}
            )
        return value

    return AfterValidator(check)


def default_resource_group(cluster_name: str) -> str:
    return f"rg-{cluster_name}"


def node_resource_group(resource_group: str, cluster_name: str, location: str) -> str:
    # AKS names it itself, `MC_resourcegroupname_clustername_location` (azure-aks-docs faq.yml; azure_naming.toml).
    return f"MC_{resource_group}_{cluster_name}_{location}"


def control_plane_identity(cluster_name: str) -> str:
    return f"id-{cluster_name}"


def workload_identity(cluster_name: str, identity: str) -> str:
    return f"id-{cluster_name}-{identity}"


def federated_credential(namespace: str, service_account: str) -> str:
    return f"{namespace}-{service_account}"[:120]


def workspace(cluster_name: str) -> str:
    return f"log-{cluster_name}"


def dns_prefix(cluster_name: str) -> str:
    """The cluster name as AKS takes a DNS prefix: '_' is not accepted there, and the length is shorter."""
    return cluster_name.replace("_", "-")[: rules()["dnsPrefix"].max_length].rstrip("-")


def data_collection_rule(workspace_location: str, cluster_name: str) -> str:
    """`MSCI-<workspace region>-<cluster>`, cut to 64 characters, as Microsoft's onboarding templates name it."""
    return f"MSCI-{workspace_location}-{cluster_name}"[: rules()["dataCollectionRule"].max_length]


# The association name the Container Insights agent looks for (templates: associationName).
DATA_COLLECTION_RULE_ASSOCIATION = "ContainerInsightsExtension"


def key_vault_secret(stack: str, setting: str) -> str:
    """The Key Vault secret `fleet render bicep --key-vault-id` references for a protected setting of the platform."""
    return f"{stack}-platform-{setting}"


def name_findings(spec: ClusterSpec) -> Iterator[Finding]:
    """Every name the stamp derives from the spec that Azure would refuse, at the key that makes it. (Names the
    stack file gives directly, such as the cluster and pool names, are judged where they are read: azure_name.)"""
    rg_path = "resourceGroup" if spec.resource_group else "name"
    if not spec.resource_group:
        yield from _judged("resourceGroup", spec.resource_group_name, rg_path, "the resource group name")
    node_rg = node_resource_group(spec.resource_group_name, spec.name, spec.location)
    yield from _judged("nodeResourceGroup", node_rg, rg_path, "the AKS node resource group name")
    yield from _judged("dnsPrefix", spec.dns_prefix, "name", "the DNS prefix")
    yield from _judged("userAssignedIdentity", control_plane_identity(spec.name), "name", "the control-plane identity")
    if not spec.monitoring.log_analytics_workspace_id:
        yield from _judged("logAnalyticsWorkspace", workspace(spec.name), "name", "the Log Analytics workspace")
    if spec.monitoring.container_insights:
        rule = data_collection_rule(spec.monitoring.workspace_location or spec.location, spec.name)
        yield from _judged("dataCollectionRule", rule, "name", "the data collection rule")
        association = DATA_COLLECTION_RULE_ASSOCIATION
        yield from _judged("dataCollectionRuleAssociation", association, "monitoring", "the rule association")
    for i, w in enumerate(spec.workload_identities):
        path = f"workloadIdentities[{i}]"
        yield from _judged(
            "userAssignedIdentity", workload_identity(spec.name, w.name), f"{path}.name", "the workload identity"
        )
        credential = federated_credential(w.namespace, w.service_account)
        yield from _judged("federatedIdentityCredential", credential, path, "the federated credential")
    for key, problem in judge_tags(spec.all_tags):
        yield ("tags" if key is None else f"tags.{_key(key)}"), problem


def stack_findings(stack: str, spec: ClusterSpec) -> Iterator[str]:
    """Names derived from the stack name itself: the Key Vault secrets of the platform configuration."""
    for setting in spec.flux.platform.secret_settings:
        name = key_vault_secret(stack, setting)
        problem = judge("keyVaultSecret", name)
        if problem:
            yield f"the stack name makes the Key Vault secret name {name!r}, which Azure refuses: it {problem}"


def _judged(rule: str, value: str, path: str, what: str) -> Iterator[Finding]:
    problem = judge(rule, value)
    if problem:
        yield path, f"{what} {value!r} would be refused by Azure: it {problem}"


def _key(key: str) -> str:
    return key if key.isascii() and key.isprintable() and "." not in key else repr(key)
