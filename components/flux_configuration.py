"""FluxConfiguration: one Flux v2 configuration (a source plus a DAG of kustomizations) on a cluster.

Credentials travel only in configurationProtectedSettings, base64-encoded as the service expects (the
az CLI encodes them the same way; raw values fail authentication silently), and always as Pulumi secrets.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import kubernetesconfiguration

from .spec.flux import BucketKeyAuth, FluxConfigurationSpec, HttpsAuth, Kustomization, SshAuth
from .spec.secrets import SecretRef

CONFIGURATION_TIMEOUTS = pulumi.CustomTimeouts(create="30m", update="30m", delete="30m")
SecretValues = Mapping[SecretRef, pulumi.Output[str]]


def _kustomization(k: Kustomization, injected: Mapping[str, pulumi.Input[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": k.path,
        "depends_on": list(k.depends_on),
        "prune": k.prune,
        "force": k.force,
        "wait": k.wait,
        "sync_interval_in_seconds": k.sync_interval_seconds,
        "retry_interval_in_seconds": k.retry_interval_seconds,
        "timeout_in_seconds": k.timeout_seconds,
    }
    if k.post_build:
        out["post_build"] = {
            # The stamp's own values (workload identity client ids) join a postBuild the stack declared;
            # a kustomization without postBuild stays unsubstituted.
            "substitute": {**k.post_build.substitute, **injected},
            "substitute_from": [
                {"kind": s.kind, "name": s.name, "optional": s.optional} for s in k.post_build.substitute_from
            ],
        }
    return out


def protected_settings(config: FluxConfigurationSpec) -> dict[str, SecretRef]:
    """Which protected-settings key each secret of the configuration goes to."""
    src = config.source
    if src.git and isinstance(src.git.auth, HttpsAuth):
        return {"httpsKey": src.git.auth.key}
    if src.git and isinstance(src.git.auth, SshAuth):
        return {"sshPrivateKey": src.git.auth.private_key}
    if src.bucket and isinstance(src.bucket.auth, BucketKeyAuth):
        return {"bucketSecretKey": src.bucket.auth.secret_key}
    return {}


def configuration_args(
    config: FluxConfigurationSpec,
    *,
    scope: str,
    resource_group_name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    secrets: SecretValues,
    injected_substitutions: Mapping[str, pulumi.Input[str]] | None = None,
) -> dict[str, Any]:
    src = config.source
    injected = injected_substitutions or {}
    args: dict[str, Any] = {
        "flux_configuration_name": config.name,
        "cluster_rp": "Microsoft.ContainerService",
        "cluster_resource_name": "managedClusters",
        "cluster_name": cluster_name,
        "resource_group_name": resource_group_name,
        "scope": scope,
        "namespace": config.namespace,
        "source_kind": src.kind,
        "suspend": config.suspend,
        "kustomizations": {name: _kustomization(k, injected) for name, k in config.kustomizations.items()},
        "wait_for_reconciliation": config.wait_for_reconciliation,
    }
    if config.reconciliation_wait_duration:
        args["reconciliation_wait_duration"] = config.reconciliation_wait_duration
    if src.git:
        git: dict[str, Any] = {
            "url": src.git.url,
            "repository_ref": {k: v for k, v in src.git.ref.model_dump(exclude_none=True).items()},
            "sync_interval_in_seconds": src.git.sync_interval_seconds,
            "timeout_in_seconds": src.git.timeout_seconds,
        }
        auth = src.git.auth
        if isinstance(auth, HttpsAuth):
            git["https_user"] = auth.user
            if auth.ca_cert:
                git["https_ca_cert"] = auth.ca_cert
        elif isinstance(auth, SshAuth) and auth.known_hosts:
            git["ssh_known_hosts"] = auth.known_hosts
        elif auth.kind == "localAuthRef":
            git["local_auth_ref"] = auth.secret_name
        args["git_repository"] = git
    elif src.bucket:
        bucket: dict[str, Any] = {
            "url": src.bucket.url,
            "bucket_name": src.bucket.bucket_name,
            "insecure": src.bucket.insecure,
            "sync_interval_in_seconds": src.bucket.sync_interval_seconds,
            "timeout_in_seconds": src.bucket.timeout_seconds,
        }
        if isinstance(src.bucket.auth, BucketKeyAuth):
            bucket["access_key"] = src.bucket.auth.access_key
        else:
            bucket["local_auth_ref"] = src.bucket.auth.secret_name
        args["bucket"] = bucket
    elif src.azure_blob:
        blob: dict[str, Any] = {
            "url": src.azure_blob.url,
            "container_name": src.azure_blob.container_name,
            "sync_interval_in_seconds": src.azure_blob.sync_interval_seconds,
            "timeout_in_seconds": src.azure_blob.timeout_seconds,
        }
        if src.azure_blob.auth.kind == "managedIdentity":
            blob["managed_identity"] = {"client_id": src.azure_blob.auth.client_id}
        else:
            blob["local_auth_ref"] = src.azure_blob.auth.secret_name
        args["azure_blob"] = blob
    settings = protected_settings(config)
    if settings:
        args["configuration_protected_settings"] = pulumi.Output.secret(
            pulumi.Output.all(**{key: secrets[ref] for key, ref in settings.items()}).apply(
                lambda values: {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
            )
        )
    return args


@dataclass(frozen=True)
class FluxConfigurationArgs:
    spec: FluxConfigurationSpec
    scope: str
    resource_group_name: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    secrets: SecretValues = field(default_factory=dict)
    protect: bool = True
    # The microsoft.flux extension must exist before any configuration (research B5): the stamp passes it.
    depends_on: Sequence[pulumi.Resource] = ()
    # postBuild variables whose values the stamp computes (see ClusterSpec.injected_substitutions).
    injected_substitutions: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


class FluxConfiguration(pulumi.ComponentResource):
    configuration: kubernetesconfiguration.FluxConfiguration

    def __init__(self, name: str, args: FluxConfigurationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aksfleet:index:FluxConfiguration", name, None, opts)
        self.configuration = kubernetesconfiguration.FluxConfiguration(
            name,
            **configuration_args(
                args.spec,
                scope=args.scope,
                resource_group_name=args.resource_group_name,
                cluster_name=args.cluster_name,
                secrets=args.secrets,
                injected_substitutions=args.injected_substitutions,
            ),
            # Replacing a configuration with prune on deletes every workload it applied (research B6).
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=list(args.depends_on),
                custom_timeouts=CONFIGURATION_TIMEOUTS,
            ),
        )
        self.configuration_name = self.configuration.name
        self.compliance_state = self.configuration.compliance_state
        self.register_outputs({"configurationName": self.configuration_name, "complianceState": self.compliance_state})
