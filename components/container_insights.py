"""ContainerInsights: the data collection rule and its association that make the omsagent add-on collect.

With managed-identity auth (`useAADAuth: "true"`) the agent collects only what a data collection rule
associated with the cluster asks for; the portal and the CLI create both, a template must declare them.
Shape from Microsoft's onboarding templates (microsoft/Docker-Provider
scripts/onboarding/aks/onboarding-msi-terraform/main.tf @ e2eeadb7, onboarding-msi-bicep/
existingClusterOnboarding.bicep @ 28ef8eef; vendored in tests/conformance/azure/container-insights/).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import monitor

from .spec import azure_names

# The association name the agent looks for (templates: associationName = 'ContainerInsightsExtension').
ASSOCIATION_NAME = azure_names.DATA_COLLECTION_RULE_ASSOCIATION
DESTINATION = "ciworkspace"
# The CLI's default: the group stream that stands for every Container Insights table (Learn,
# azure-monitor/containers/kubernetes-monitoring-enable: "Default: Microsoft-ContainerInsights-Group-Default").
STREAMS = ("Microsoft-ContainerInsights-Group-Default",)
# Collection settings as the CLI defaults them (same page: interval 1m, namespaceFilteringMode Off,
# enableContainerLogV2 True).
COLLECTION_SETTINGS = {"interval": "1m", "namespaceFilteringMode": "Off", "enableContainerLogV2": True}


def rule_name(workspace_location: str, cluster_name: str) -> str:
    """`MSCI-<workspace region>-<cluster>`, cut to 64 characters, as the templates name it."""
    return azure_names.data_collection_rule(workspace_location, cluster_name)


@dataclass(frozen=True)
class ContainerInsightsArgs:
    cluster_name: str
    cluster_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    workspace_id: pulumi.Input[str]
    # The templates place the rule in the workspace's region, in the cluster's resource group.
    workspace_location: str
    tags: Mapping[str, str]
    depends_on: Sequence[pulumi.Resource] = ()


class ContainerInsights(pulumi.ComponentResource):
    rule: monitor.DataCollectionRule
    association: monitor.DataCollectionRuleAssociation

    def __init__(self, name: str, args: ContainerInsightsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aksfleet:index:ContainerInsights", name, None, opts)
        self.rule = monitor.DataCollectionRule(
            f"{name}-dcr",
            data_collection_rule_name=rule_name(args.workspace_location, args.cluster_name),
            resource_group_name=args.resource_group_name,
            location=args.workspace_location,
            kind="Linux",
            tags=dict(args.tags),
            data_sources={
                "extensions": [
                    {
                        "name": ASSOCIATION_NAME,
                        "extension_name": "ContainerInsights",
                        "streams": list(STREAMS),
                        "extension_settings": {"dataCollectionSettings": dict(COLLECTION_SETTINGS)},
                    }
                ]
            },
            destinations={"log_analytics": [{"name": DESTINATION, "workspace_resource_id": args.workspace_id}]},
            data_flows=[{"streams": list(STREAMS), "destinations": [DESTINATION]}],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.association = monitor.DataCollectionRuleAssociation(
            f"{name}-dcra",
            association_name=ASSOCIATION_NAME,
            resource_uri=args.cluster_id,
            data_collection_rule_id=self.rule.id,
            # Microsoft's wording: deleting the association silently stops collection.
            description="Container Insights for this cluster. Deleting this association stops data collection.",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.register_outputs({"dataCollectionRuleId": self.rule.id})
