"""Rules for the microsoft.flux extension, Flux configurations, and the stack as a whole.

The GitOps rules are the ones no anchor (checkov, Azure Policy, CIS, Pulumi's compliance packs) has:
they judge the content of the configuration, not only that one exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter
from typing import Any
from urllib.parse import urlsplit

from .facts import flux_extension, host_keys
from .model import (
    CLUSTER,
    EXTENSION,
    FLUX_CONFIG,
    POOL,
    Context,
    PropertyTypeError,
    Resource,
    Rule,
    get,
    get_bool,
    get_int,
    get_list,
    get_map,
    get_str,
)

_SECRET_KEY = re.compile(r"(password|secret|token|privatekey|httpskey|accountkey|sastoken)", re.IGNORECASE)
_ALL_TYPES = (CLUSTER, POOL, EXTENSION, FLUX_CONFIG)


def _flux_extension(r: Resource) -> bool:
    return (get_str(r.props, "extensionType") or "").lower() == "microsoft.flux"


# --- extension -----------------------------------------------------------------------------------------


def _release_train(r: Resource, ctx: Context) -> Iterator[str]:
    if _flux_extension(r) and get_str(r.props, "releaseTrain", "Stable") != "Stable":
        yield f"release train {get_str(r.props, 'releaseTrain')!r}; accepted: Stable"


def _extension_version(r: Resource, ctx: Context) -> Iterator[str]:
    if not _flux_extension(r):
        return
    version = get_str(r.props, "version")
    auto = get_bool(r.props, "autoUpgradeMinorVersion", True)
    if not version:
        yield "the extension version is not pinned: a new Flux minor lands without going through the rings"
    elif auto:
        yield "a pinned version with autoUpgradeMinorVersion true: the pin does not hold"


def _extension_release(r: Resource, ctx: Context) -> Iterator[str]:
    """A pinned version must be a release the notes name; a live extension must not skip a required step."""
    if not _flux_extension(r):
        return
    version = get_str(r.props, "version")
    if version:
        problem = flux_extension.unknown_version_problem(version)
        if problem:
            yield problem
        current = get_str(r.props, "currentVersion")
        step = flux_extension.upgrade_problem(current, version) if current else None
        if step:
            yield step


def _image_automation(r: Resource, ctx: Context) -> Iterator[str]:
    if not _flux_extension(r) or ctx.config.get("allowImageAutomation"):
        return
    settings = get_map(r.props, "configurationSettings")
    for controller in ("image-automation-controller", "image-reflector-controller"):
        if str(settings.get(f"{controller}.enabled", "false")).lower() == "true":
            yield f"{controller} is enabled: the cluster would write to Git, reversing the GitOps flow"


def _multi_tenancy(r: Resource, ctx: Context) -> Iterator[str]:
    if not _flux_extension(r):
        return
    value = str(get_map(r.props, "configurationSettings").get("multiTenancy.enforce", "true")).lower()
    if value != "true":
        yield "multiTenancy.enforce is off: tenant kustomizations could read sources of other namespaces"


def _no_plaintext_secrets(r: Resource, ctx: Context) -> Iterator[str]:
    """Credentials belong in configurationProtectedSettings (or a localAuthRef secret), nowhere else."""
    for path in _secret_looking_keys(r.props, ""):
        yield f"{path} looks like a credential outside configurationProtectedSettings"
    for field in ("gitRepository.url", "bucket.url", "azureBlob.url"):
        url = get_str(r.props, field)
        if url and (urlsplit(url).password or (url.startswith("https://") and urlsplit(url).username)):
            yield f"{field} carries credentials"


def _secret_looking_keys(node: Any, path: str) -> Iterator[str]:
    if isinstance(node, Mapping):
        if path.endswith("postBuild.substitute"):
            # A map of strings, some computed by the stamp (unknown in preview): judged by name alone.
            yield from (f"{path}.{key}" for key in node if _SECRET_KEY.search(str(key)))
            return
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            if key == "configurationProtectedSettings":
                continue
            if _SECRET_KEY.search(str(key)) and value not in (None, "", {}):
                yield child
            else:
                yield from _secret_looking_keys(value, child)


# --- flux configuration ----------------------------------------------------------------------------------


def _known_hosts(r: Resource, ctx: Context) -> Iterator[str]:
    value = get_str(r.props, "gitRepository.sshKnownHosts")
    if not value:
        return
    text, problem = host_keys.decode_setting(value)
    if text is None:
        yield f"gitRepository.sshKnownHosts: {problem}"
        return
    entries, problems = host_keys.parse(text)
    for message in [*problems, *host_keys.mismatches(entries)]:
        yield f"gitRepository.sshKnownHosts {message}"


def _kustomizations(r: Resource) -> Mapping[str, Mapping[str, Any]]:
    ks = get_map(r.props, "kustomizations")
    for name, k in ks.items():
        if not isinstance(k, Mapping):
            raise PropertyTypeError(f"kustomizations.{name}", "an object", k)
    return ks


def _depends(k: Mapping[str, Any], name: str) -> list[str]:
    return [str(d) for d in get_list(k, "dependsOn")] if k else []


def _dependency_graph(r: Resource, ctx: Context) -> Iterator[str]:
    ks = _kustomizations(r)
    if not ks:
        yield "the configuration has no kustomizations: it applies nothing"
        return
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for name, k in ks.items():
        deps = _depends(k, name)
        for dep in deps:
            if dep not in ks:
                yield f"kustomizations.{name}.dependsOn names {dep!r}, which does not exist"
        sorter.add(name, *(d for d in deps if d in ks))
    try:
        list(sorter.static_order())
    except CycleError as err:
        yield f"kustomizations depend on each other in a cycle: {' -> '.join(err.args[1])}"


def _infra_before_apps(r: Resource, ctx: Context) -> Iterator[str]:
    ks = _kustomizations(r)
    apps_re = re.compile(str(ctx.config["appsPattern"]))
    infra_re = re.compile(str(ctx.config["infraPattern"]))
    infra = {n for n in ks if infra_re.search(n)}
    for name in ks:
        if not apps_re.search(name) or infra_re.search(name):
            continue
        seen: set[str] = set()
        todo = _depends(ks[name], name)
        while todo:
            dep = todo.pop()
            if dep in seen or dep not in ks:
                continue
            seen.add(dep)
            todo += _depends(ks[dep], dep)
        if infra and not seen & infra:
            infra_names = ", ".join(sorted(infra))
            yield f"kustomizations.{name} does not depend (even transitively) on infrastructure ({infra_names})"


def _pinned_ref(r: Resource, ctx: Context) -> Iterator[str]:
    if ctx.environment not in ctx.config["environments"]:
        return
    kind = get_str(r.props, "sourceKind", "GitRepository")
    if kind != "GitRepository":
        return
    ref = get_map(r.props, "gitRepository.repositoryRef")
    if get_str(ref, "commit") and not get_str(ref, "branch"):
        yield "a commit ref must be combined with its branch (API rule)"
    if not (get_str(ref, "tag") or get_str(ref, "semver") or get_str(ref, "commit")):
        branch = get_str(ref, "branch")
        yield f"Git ref follows branch {branch!r} in {ctx.environment}: pin a tag, semver range or commit"


def _prune(r: Resource, ctx: Context) -> Iterator[str]:
    for name, k in _kustomizations(r).items():
        if get_bool(k, "prune", False) is not True:
            yield f"kustomizations.{name}.prune is off: objects removed from Git stay in the cluster (drift)"


def _force(r: Resource, ctx: Context) -> Iterator[str]:
    for name, k in _kustomizations(r).items():
        if get_bool(k, "force", False) is True:
            yield f"kustomizations.{name}.force is on: immutable-field changes delete and recreate objects"


def _not_suspended(r: Resource, ctx: Context) -> Iterator[str]:
    if get_bool(r.props, "suspend", False) is True:
        yield "the configuration is suspended: Git changes and drift are not reconciled"


def _intervals(r: Resource, ctx: Context) -> Iterator[str]:
    low, high = int(ctx.config["minIntervalSeconds"]), int(ctx.config["maxIntervalSeconds"])
    places = [f"{s}.syncIntervalInSeconds" for s in ("gitRepository", "bucket", "azureBlob")]
    places += [f"kustomizations.{n}.syncIntervalInSeconds" for n in _kustomizations(r)]
    for place in places:
        head, _, tail = place.rpartition(".")
        owner = (
            get(r.props, head) if not head.startswith("kustomizations.") else _kustomizations(r)[head.split(".", 1)[1]]
        )
        if not owner:
            continue
        value = get_int(owner, tail)
        if value is not None and not low <= value <= high:
            yield f"{place} is {value}s; accepted: {low}..{high}"
    for name, k in _kustomizations(r).items():
        if get_int(k, "retryIntervalInSeconds") is None:
            yield f"kustomizations.{name}.retryIntervalInSeconds is not set: a failed apply waits a whole interval"


def _source_origin(r: Resource, ctx: Context) -> Iterator[str]:
    kind = get_str(r.props, "sourceKind") or "GitRepository"
    field = {"GitRepository": "gitRepository.url", "Bucket": "bucket.url", "AzureBlob": "azureBlob.url"}.get(kind)
    if field is None:
        yield f"source kind {kind!r} is not allowed; accepted: GitRepository, Bucket, AzureBlob"
        return
    url = get_str(r.props, field) or ""
    scheme = urlsplit(url).scheme
    allowed_schemes = ("https", "ssh") if kind == "GitRepository" else ("https",)
    if scheme not in allowed_schemes:
        yield f"{field} uses {scheme or 'no'} scheme; accepted: {', '.join(allowed_schemes)}"
    prefixes = [str(p) for p in ctx.config.get("allowedUrlPrefixes", [])]
    if prefixes and not any(url.startswith(p) for p in prefixes):
        yield f"{field} {url!r} is not under an allowed prefix ({', '.join(prefixes)})"


def _insecure_source(r: Resource, ctx: Context) -> Iterator[str]:
    # The API defaults bucket.insecure to true, so a missing value is insecure.
    if get_str(r.props, "sourceKind") == "Bucket" and get_bool(r.props, "bucket.insecure", True) is not False:
        yield "bucket.insecure is true (the API default): the artifact is fetched without TLS"


def _namespace_discipline(r: Resource, ctx: Context) -> Iterator[str]:
    namespace = get_str(r.props, "namespace", "default")
    if namespace == "default":
        yield "the configuration lives in the default namespace; accepted: flux-system or a tenant namespace"
    scope = get_str(r.props, "scope", "cluster")
    if scope == "cluster" and namespace != "flux-system":
        yield f"a cluster-scoped configuration in {namespace!r}: only the platform one (flux-system) is cluster-wide"


def _no_preview_api(r: Resource, ctx: Context) -> Iterator[str]:
    module = r.type.split(":")[1] if r.type.count(":") == 2 else ""
    if "preview" in module:
        yield f"{r.type} uses a preview API version"


# --- stack -------------------------------------------------------------------------------------------------


def _clusters(resources: Sequence[Resource]) -> list[Resource]:
    return [r for r in resources if r.key == CLUSTER]


def _cluster_name(r: Resource) -> str | None:
    return get_str(r.props, "clusterName") or get_str(r.props, "resourceName")


def _extension_before_configurations(resources: Sequence[Resource], ctx: Context) -> Iterator[tuple[str, str]]:
    extensions = {r.urn: r for r in resources if r.key == EXTENSION and _flux_extension(r)}
    for config in (r for r in resources if r.key == FLUX_CONFIG):
        own = [u for u, e in extensions.items() if _cluster_name(e) == _cluster_name(config)]
        if not own:
            yield config.name, "no microsoft.flux extension is declared for this configuration's cluster"
        elif not set(own) & set(config.dependencies):
            yield config.name, "does not depend on the microsoft.flux extension: ARM may create it first and fail"


def _fleet_completeness(resources: Sequence[Resource], ctx: Context) -> Iterator[tuple[str, str]]:
    for cluster in _clusters(resources):
        name = _cluster_name(cluster)
        extensions = [r for r in resources if r.key == EXTENSION and _flux_extension(r) and _cluster_name(r) == name]
        platform = [
            r
            for r in resources
            if r.key == FLUX_CONFIG and _cluster_name(r) == name and get_str(r.props, "scope", "cluster") == "cluster"
        ]
        if len(extensions) != 1:
            yield cluster.name, f"has {len(extensions)} microsoft.flux extension(s); accepted: exactly 1"
        if len(platform) != 1:
            yield (
                cluster.name,
                f"has {len(platform)} cluster-scoped (platform) flux configuration(s); accepted: exactly 1",
            )


_NON_PROD_ADVISORY = {"dev": "advisory", "staging": "advisory"}


def _rule(**kwargs: object) -> Rule:
    return Rule(**kwargs)  # type: ignore[arg-type]


RULES: list[Rule] = [
    _rule(
        id="AKS-030",
        title="No preview API versions",
        severity="medium",
        check=_no_preview_api,
        property_path="(type token)",
        applies_to=_ALL_TYPES,
        rationale="Preview APIs change or disappear without notice; production state must not depend on them.",
        remediation="Use the provider's default (stable) API version.",
        references=("pulumi compliance-policies *-disallow-preview-resource",),
    ),
    _rule(
        id="FLUX-001",
        title="Stable release train",
        severity="medium",
        check=_release_train,
        property_path="releaseTrain",
        applies_to=(EXTENSION,),
        rationale="Preview builds of the extension are not supported for production.",
        remediation="flux.extension.releaseTrain: Stable.",
    ),
    _rule(
        id="FLUX-002",
        title="Pinned extension version",
        severity="medium",
        check=_extension_version,
        property_path="version",
        applies_to=(EXTENSION,),
        enforcement=_NON_PROD_ADVISORY,
        rationale="A new Flux minor must go through the rollout rings like any other change (1.23.0 removed APIs).",
        remediation="flux.extension.version: x.y.z (turns minor auto-upgrade off).",
    ),
    _rule(
        id="FLUX-005",
        title="Extension version is a release, reached by a supported path",
        severity="high",
        check=_extension_release,
        property_path="version",
        applies_to=(EXTENSION,),
        rationale="Azure installs only versions it released, and 1.23.0+ needs 1.21.0+ installed first "
        "(microsoft.flux release notes).",
        remediation="flux.extension.version: a release from `fleet facts flux_extension`; from 1.20.4 or older, "
        "upgrade to 1.21.0-1.22.2 first.",
        references=("learn.microsoft.com/azure/azure-arc/kubernetes/flux-gitops-release-notes",),
    ),
    _rule(
        id="FLUX-003",
        title="Image automation off unless allowed",
        severity="medium",
        check=_image_automation,
        property_path="configurationSettings.image-*-controller.enabled",
        applies_to=(EXTENSION,),
        rationale="Image automation writes to Git from inside the cluster; Git stops being the only author.",
        remediation="Leave flux.extension.controllers.imageAutomation/imageReflector false.",
        config_schema={"allowImageAutomation": {"type": "boolean", "default": False}},
    ),
    _rule(
        id="FLUX-004",
        title="Multi-tenancy lockdown kept on",
        severity="high",
        check=_multi_tenancy,
        property_path="configurationSettings.multiTenancy.enforce",
        applies_to=(EXTENSION,),
        rationale="Without the lockdown a tenant's kustomization can read any namespace's sources.",
        remediation="flux.extension.multiTenancyEnforce: true.",
        references=("fluxcd/flux2#3182",),
    ),
    _rule(
        id="GITOPS-001",
        title="dependsOn targets exist and are acyclic",
        severity="high",
        check=_dependency_graph,
        property_path="kustomizations.*.dependsOn",
        applies_to=(FLUX_CONFIG,),
        rationale="A dangling or cyclic dependsOn only fails inside the cluster, minutes after the merge.",
        remediation="Name sibling kustomizations only; remove the cycle.",
    ),
    _rule(
        id="GITOPS-002",
        title="Infrastructure before apps",
        severity="medium",
        check=_infra_before_apps,
        property_path="kustomizations.*.dependsOn",
        applies_to=(FLUX_CONFIG,),
        rationale="Apps need the controllers, CRDs and namespaces infrastructure installs.",
        remediation="Make the apps kustomization depend on the infrastructure ones.",
        config_schema={
            # JSON Schema's "regex" format: `fleet plan` compiles the value when it reads the config.
            "appsPattern": {"type": "string", "format": "regex", "default": "^apps"},
            "infraPattern": {"type": "string", "format": "regex", "default": "^infra"},
        },
    ),
    _rule(
        id="GITOPS-003",
        title="Pinned Git ref in production",
        severity="high",
        check=_pinned_ref,
        property_path="gitRepository.repositoryRef",
        applies_to=(FLUX_CONFIG,),
        rationale="A branch moves under the cluster: production must pull reviewed, immutable content.",
        remediation="ref: {tag: vX.Y.Z}, {semver: ...} or {commit: sha, branch: ...}.",
        config_schema={"environments": {"type": "array", "items": {"type": "string"}, "default": ["prod"]}},
    ),
    _rule(
        id="GITOPS-004",
        title="Prune on",
        severity="medium",
        check=_prune,
        property_path="kustomizations.*.prune",
        applies_to=(FLUX_CONFIG,),
        rationale="Without prune, objects deleted from Git live on in the cluster: Git is no longer the truth.",
        remediation="kustomizations.<name>.prune: true (the spec default).",
    ),
    _rule(
        id="GITOPS-005",
        title="Force off",
        severity="medium",
        check=_force,
        property_path="kustomizations.*.force",
        applies_to=(FLUX_CONFIG,),
        enforcement=_NON_PROD_ADVISORY,
        rationale="Force deletes and recreates objects whose immutable fields change: data loss, downtime.",
        remediation="kustomizations.<name>.force: false.",
    ),
    _rule(
        id="GITOPS-006",
        title="Not suspended",
        severity="medium",
        check=_not_suspended,
        property_path="suspend",
        applies_to=(FLUX_CONFIG,),
        enforcement={"dev": "advisory"},
        rationale="A suspended configuration stops reconciling: drift and fixes alike stay out.",
        remediation="suspend: false.",
    ),
    _rule(
        id="GITOPS-007",
        title="Reconciliation intervals within bounds",
        severity="low",
        check=_intervals,
        property_path="*.syncIntervalInSeconds",
        applies_to=(FLUX_CONFIG,),
        rationale="Too short hammers the Git host; too long leaves drift uncorrected.",
        remediation="Keep sync intervals within the configured bounds and set retryIntervalSeconds.",
        config_schema={
            "minIntervalSeconds": {"type": "integer", "default": 60},
            "maxIntervalSeconds": {"type": "integer", "default": 3600},
        },
    ),
    _rule(
        id="GITOPS-008",
        title="Trusted transport and origin",
        severity="high",
        check=_source_origin,
        property_path="gitRepository.url",
        applies_to=(FLUX_CONFIG,),
        rationale="Only encrypted transports, and only from the organisation's own repositories.",
        remediation="Use https:// or ssh:// under an allowed prefix.",
        config_schema={"allowedUrlPrefixes": {"type": "array", "items": {"type": "string"}, "default": []}},
    ),
    _rule(
        id="GITOPS-009",
        title="No insecure sources",
        severity="high",
        check=_insecure_source,
        property_path="bucket.insecure",
        applies_to=(FLUX_CONFIG,),
        rationale="The API's default for buckets is insecure (no TLS).",
        remediation="bucket.insecure: false.",
    ),
    _rule(
        id="GITOPS-010",
        title="Credentials only in protected settings",
        severity="critical",
        check=_no_plaintext_secrets,
        property_path="configurationProtectedSettings",
        applies_to=(EXTENSION, FLUX_CONFIG),
        rationale="Anything outside configurationProtectedSettings is returned by ARM reads and kept in state.",
        remediation="Use the spec's auth blocks (secrets go to protected settings) or a localAuthRef.",
    ),
    _rule(
        id="GITOPS-011",
        title="Namespace and scope discipline",
        severity="medium",
        check=_namespace_discipline,
        property_path="namespace",
        applies_to=(FLUX_CONFIG,),
        rationale="The platform owns flux-system and cluster scope; tenants are namespace-scoped.",
        remediation="Platform: scope cluster in flux-system; tenants: scope namespace in their namespace.",
    ),
    _rule(
        id="GITOPS-012",
        title="Extension created before every configuration",
        severity="high",
        check=_extension_before_configurations,
        property_path="(dependencies)",
        applies_to=(FLUX_CONFIG,),
        stack_level=True,
        live=False,
        rationale="A configuration created before the extension fails or silently auto-installs it.",
        remediation="Use the FluxConfiguration component (it depends on the extension).",
    ),
    _rule(
        id="GITOPS-013",
        title="Every cluster has Flux and one platform configuration",
        severity="high",
        check=_fleet_completeness,
        property_path="(stack)",
        applies_to=(CLUSTER,),
        stack_level=True,
        rationale="A cluster without the platform configuration is outside GitOps: nothing reconciles it.",
        remediation="Use the GitOpsCluster stamp.",
    ),
    _rule(
        id="GITOPS-014",
        title="SSH known hosts are valid and match the published host keys",
        severity="high",
        check=_known_hosts,
        property_path="gitRepository.sshKnownHosts",
        applies_to=(FLUX_CONFIG,),
        rationale="sshKnownHosts replaces the extension's own list of common Git hosts; a wrong key for "
        "github.com, gitlab.com or ssh.dev.azure.com stops every fetch.",
        remediation="Leave knownHosts out for hosts Flux knows; for your own host, supply its real key lines.",
        references=(
            "facts/git_host_keys.toml",
            "learn.microsoft.com/azure/azure-arc/kubernetes/gitops-flux2-parameters",
        ),
    ),
]
