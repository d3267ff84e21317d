"""Derive the DR stack of a source stack, as committed at a git ref, for another region.

Works on the round-trip YAML document (ruamel) so the source's comments survive into the new file.
Everything changed is listed; everything that cannot be derived and must be handled by a person (a new
OIDC issuer means new federated credentials, DNS, egress ranges, regional dependencies) is listed too.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from components.spec import CLUSTER_KEY, parse_cluster
from components.spec.files import load_yaml
from components.spec.problems import Problem, SpecError
from components.spec.secrets import secret_paths
from fleet import git

from .regions import has_zones, short_code


@dataclass
class Derivation:
    source_stack: str
    ref: str
    target_stack: str
    region: str
    cluster_name: str
    source_cluster: str
    document: CommentedMap
    changes: list[str] = field(default_factory=list)
    must_change: list[str] = field(default_factory=list)

    def text(self) -> str:
        out = io.StringIO()
        _yaml().dump(self.document, out)
        return out.getvalue()


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def stack_text_at(repo_root: Path, stacks_rel: str, stack: str, ref: str) -> str:
    path = f"{stacks_rel}/Pulumi.{stack}.yaml"
    git.checked_revision(ref, "--ref")
    shown = git.show(repo_root, ref, path)
    if shown.returncode != 0:
        reason = (shown.stderr.strip().splitlines() or ["git show failed"])[-1]
        raise SpecError([Problem(path, "", f"not readable at {ref}: {reason}")])
    return shown.stdout


def derive(
    source_text: str,
    *,
    source_stack: str,
    ref: str,
    region: str,
    existing_stacks: dict[str, str],
    name_suffix: str = "dr",
    target_stack: str | None = None,
    zones: list[str] | None = None,
) -> Derivation:
    """`existing_stacks` maps stack name -> cluster name, so the derived names never collide."""
    shown = f"Pulumi.{source_stack}.yaml@{ref}"
    document = load_yaml(source_text, shown, editor=_yaml())
    if not isinstance(document, CommentedMap) or not isinstance(document.get("config"), CommentedMap):
        raise SpecError([Problem(shown, "config", "missing")])
    cluster = document["config"].get(CLUSTER_KEY)
    spec, problems = parse_cluster(cluster, source=shown)
    if spec is None:
        raise SpecError(problems)
    if region == spec.location:
        raise SpecError([Problem("--region", "", f"{region!r} is the source region; accepted: another region")])
    target_zones = _target_zones(region, zones)
    source_code, target_code = short_code(spec.location), short_code(region)

    def regional(text: str) -> str:
        text = text.replace(spec.location, region)
        if source_code and target_code:
            text = re.sub(rf"(?<![a-z0-9]){re.escape(source_code)}(?![a-z0-9])", target_code, text)
        return text

    name = regional(spec.name)
    taken = set(existing_stacks.values())
    if name == spec.name or name in taken:
        name = f"{name}-{name_suffix}"
    stack = target_stack or regional(source_stack)
    if stack == source_stack or stack in existing_stacks:
        stack = f"{stack}-{name_suffix}"
    derivation = Derivation(source_stack, ref, stack, region, name, spec.name, document)
    add = derivation.changes.append

    cluster["name"] = name
    add(f"name: {spec.name} -> {name}")
    cluster["location"] = region
    add(f"location: {spec.location} -> {region}")
    if "resourceGroup" in cluster:
        cluster["resourceGroup"] = regional(str(cluster["resourceGroup"]))
        if cluster["resourceGroup"] == spec.resource_group_name:
            cluster["resourceGroup"] = f"{cluster['resourceGroup']}-{name_suffix}"
        add(f"resourceGroup: {spec.resource_group_name} -> {cluster['resourceGroup']}")
    tags = cluster.setdefault("tags", CommentedMap())
    tags["dr-source"] = source_stack
    tags["dr-ref"] = ref
    add(f"tags: dr-source={source_stack}, dr-ref={ref}")
    _set_zones(cluster, target_zones, add)
    _renamed_suppressions(cluster, spec.name, name, add)
    _regional_references(cluster, regional, spec.name, name, spec.location, region, derivation)
    _must_change(spec, derivation)
    return derivation


def _renamed_suppressions(cluster: CommentedMap, old: str, new: str, add: Any) -> None:
    """The DR copy runs the same workload, so what was accepted stays accepted, on the renamed resources (every
    resource name of a stack starts with its cluster's name)."""
    for entry in cluster.get("suppressions") or []:
        resource = str(entry.get("resource", "")) if isinstance(entry, dict) else ""
        if resource.startswith(old):
            entry["resource"] = new + resource[len(old) :]
            add(f"suppressions: {entry.get('rule')} on {resource} -> {entry['resource']}")


def _target_zones(region: str, zones: list[str] | None) -> list[str] | None:
    """None keeps the source's zones; [] removes them."""
    if zones is not None:
        return zones
    supported = has_zones(region)
    if supported is None:
        raise SpecError(
            [Problem("--region", "", f"zone support of {region!r} is not known; pass --zones 1,2,3 or --zones none")]
        )
    return None if supported else []


def _set_zones(cluster: CommentedMap, zones: list[str] | None, add: Any) -> None:
    if zones is None:
        return
    pools = [("systemPool", cluster.setdefault("systemPool", CommentedMap()))]
    pools += [(f"userPools[{i}]", pool) for i, pool in enumerate(cluster.get("userPools", []))]
    for path, pool in pools:
        pool["zones"] = list(zones)
        add(f"{path}.zones: -> {zones or 'none (the region has no availability zones)'}")


def _regional_references(
    cluster: CommentedMap, regional: Any, old_name: str, new_name: str, old_region: str, region: str, d: Derivation
) -> None:
    network = cluster.get("network") or {}
    if network.get("vnetSubnetId"):
        derived = regional(str(network["vnetSubnetId"]))
        network["vnetSubnetId"] = derived
        d.must_change.append(
            f"network.vnetSubnetId derived as {derived}: that subnet must exist in {region}, with egress for Flux "
            "(mcr.microsoft.com, management.azure.com, login.microsoftonline.com, "
            f"{region}.dp.kubernetesconfiguration.azure.com, the Git host)"
        )
    flux = cluster.get("flux") or {}
    configurations = [flux.get("platform") or {}, *(flux.get("tenants") or [])]
    for configuration in configurations:
        for kname, kustomization in (configuration.get("kustomizations") or {}).items():
            substitute = (kustomization.get("postBuild") or {}).get("substitute") or {}
            for var, value in list(substitute.items()):
                replacement = {old_name: new_name, old_region: region}.get(str(value))
                if replacement is not None:
                    substitute[var] = replacement
                    d.changes.append(
                        f"{configuration.get('name')}.{kname}.postBuild.substitute.{var}: {value} -> {replacement}"
                    )
                elif regional(str(value)) != str(value):
                    # A region-coded name (for example a Key Vault): derived, and it must exist there.
                    substitute[var] = regional(str(value))
                    d.must_change.append(
                        f"{configuration.get('name')}.{kname}.postBuild.substitute.{var} derived as "
                        f"{substitute[var]}: that resource must exist in {region}"
                    )
    for identity in cluster.get("workloadIdentities") or []:
        if (
            identity.get("keyVaultSecrets")
            and regional(str(identity["keyVaultSecrets"])) != identity["keyVaultSecrets"]
        ):
            identity["keyVaultSecrets"] = regional(str(identity["keyVaultSecrets"]))
            d.must_change.append(
                f"workloadIdentities.{identity.get('name')}.keyVaultSecrets derived as {identity['keyVaultSecrets']}: "
                f"that vault must exist in {region} with the same secrets"
            )


def _must_change(spec: Any, d: Derivation) -> None:
    d.must_change.append(
        "the new cluster gets a new OIDC issuer URL: re-create every workload-identity federated credential "
        "(Flux source-controller, apps) against it"
    )
    d.must_change.append("DNS records and traffic managers that point at the source cluster's ingress")
    if not spec.api_server.private:
        d.must_change.append("apiServer.authorizedIpRanges: the egress addresses of the new region may differ")
    if spec.security.kms:
        d.must_change.append(
            "security.kms.keyId points at a Key Vault in the source region; a regional outage may take it too"
        )
    if spec.monitoring.log_analytics_workspace_id:
        d.must_change.append(
            "monitoring.logAnalyticsWorkspaceId is regional; a workspace in the source region may be down"
        )
    secrets = [p for p in _secret_paths(spec)]
    if secrets:
        d.must_change.append(
            "secrets are copied encrypted with the source stack's secrets provider settings; with the Pulumi service "
            f"provider re-set them: {', '.join(secrets)} (pulumi config cp --path)"
        )


def _secret_paths(spec: Any) -> list[str]:
    return [".".join(str(p) for p in path) for _, path in secret_paths(spec, (CLUSTER_KEY,))]
