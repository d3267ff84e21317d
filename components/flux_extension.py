"""FluxExtension: the microsoft.flux cluster extension, with typed settings instead of a string map."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import kubernetesconfiguration

from .spec.flux import FluxExtensionSpec

FLUX_NAMESPACE = "flux-system"
# Installing the extension pulls images and runs a Helm install in the cluster; 30+ minutes is observed
# (terraform-provider-azurerm #25952).
EXTENSION_TIMEOUTS = pulumi.CustomTimeouts(create="45m", update="45m", delete="45m")


def extension_settings(ext: FluxExtensionSpec) -> dict[str, str]:
    """The extension's configurationSettings, from the typed spec (keys as documented by Microsoft)."""
    c = ext.controllers
    return {
        "helm-controller.enabled": str(c.helm).lower(),
        "kustomize-controller.enabled": str(c.kustomize).lower(),
        "notification-controller.enabled": str(c.notification).lower(),
        "image-automation-controller.enabled": str(c.image_automation).lower(),
        "image-reflector-controller.enabled": str(c.image_reflector).lower(),
        "multiTenancy.enforce": str(ext.multi_tenancy_enforce).lower(),
    }


def extension_args(
    ext: FluxExtensionSpec, *, resource_group_name: pulumi.Input[str], cluster_name: pulumi.Input[str]
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "extension_name": ext.name,
        "extension_type": "microsoft.flux",
        "cluster_rp": "Microsoft.ContainerService",
        "cluster_resource_name": "managedClusters",
        "cluster_name": cluster_name,
        "resource_group_name": resource_group_name,
        "auto_upgrade_minor_version": ext.auto_upgrade_minor_version,
        "release_train": ext.release_train,
        "scope": {"cluster": {"release_namespace": FLUX_NAMESPACE}},
        "configuration_settings": extension_settings(ext),
    }
    if ext.version:
        args["version"] = ext.version
    return args


@dataclass(frozen=True)
class FluxExtensionArgs:
    spec: FluxExtensionSpec
    resource_group_name: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    protect: bool = True
    # What must exist first (the cluster's user pools: the Flux controllers schedule there). Passed to the
    # inner resource itself, because dependsOn on a component does not reach its children.
    depends_on: Sequence[pulumi.Resource] = ()


class FluxExtension(pulumi.ComponentResource):
    extension: kubernetesconfiguration.Extension

    def __init__(self, name: str, args: FluxExtensionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aksfleet:index:FluxExtension", name, None, opts)
        self.extension = kubernetesconfiguration.Extension(
            name,
            **extension_args(args.spec, resource_group_name=args.resource_group_name, cluster_name=args.cluster_name),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=list(args.depends_on),
                custom_timeouts=EXTENSION_TIMEOUTS,
            ),
        )
        self.extension_name = self.extension.name
        self.register_outputs({"extensionName": self.extension_name})
