"""What Flux would fail on, found offline: per kustomization, in dependsOn order.

Each check mirrors a reconcile-time failure: a missing path, a kustomize error, an object the API server
rejects (schema of the cluster's Kubernetes version, required fields of Flux kinds), a reference that does
not resolve (HelmRelease source, namespace, CRD installed by an earlier kustomization), a plaintext Secret,
in production an unpinned image or chart, an object encrypted with SOPS (fluxConfigurations cannot decrypt: sops.py),
and post-build substitution as Flux's envsubst does it (varsub.py): an expression it cannot parse fails the build,
an undefined variable becomes an empty string (advisory). Nothing outside the
source is read: paths are confined to it (components/spec/confine.py). stack.py adds the findings about the source
itself: one that cannot be had (PREFLIGHT-009) and symlinks (PREFLIGHT-011).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from graphlib import CycleError
from pathlib import Path
from typing import Any

import kubernetes_validate

from components.spec.confine import Outside, confine
from components.spec.flux import FluxConfigurationSpec
from components.spec.graph import dependency_order
from components.spec.redact import is_secret_key
from components.spec.suppressions import today
from fleet.findings import PolicyFinding

from . import scopes, sops, suppress, varsub
from .build import Builder
from .references import remote_references
from .shape import get as _get
from .shape import listed as _list
from .shape import mapping as _mapping

# Namespaces that exist in every AKS cluster with the Flux extension.
BUILTIN_NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease", "flux-system", "gatekeeper-system"}
# Flux kinds (served by the extension's CRDs) and the fields the API server requires of them.
FLUX_REQUIRED: dict[str, list[str]] = {
    "GitRepository": ["spec.url", "spec.interval"],
    "HelmRepository": ["spec.url", "spec.interval"],
    "OCIRepository": ["spec.url", "spec.interval"],
    "Bucket": ["spec.bucketName", "spec.endpoint", "spec.interval"],
    "HelmRelease": ["spec.interval"],
    "Kustomization": ["spec.interval", "spec.sourceRef.kind", "spec.sourceRef.name", "spec.prune"],
    "HelmChart": ["spec.chart", "spec.sourceRef.kind", "spec.sourceRef.name", "spec.interval"],
}
FLUX_GROUPS = ("toolkit.fluxcd.io",)
# CRDs a chart installs, for custom resources applied by a later kustomization.
CHART_CRDS: dict[str, set[str]] = {
    "cert-manager": {"cert-manager.io", "acme.cert-manager.io"},
    "kube-prometheus-stack": {"monitoring.coreos.com"},
    "external-secrets": {"external-secrets.io"},
    "sealed-secrets": {"bitnami.com"},
    # "The default Helm install applies both Gateway API CRDs and Envoy Gateway CRDs"
    # (gateway.envoyproxy.io/docs/install/install-helm)
    "gateway-helm": {"gateway.networking.k8s.io", "gateway.envoyproxy.io"},
}
# Groups whose kinds AKS serves through CRDs it installs itself, without an add-on. The Azure Disk CSI driver's
# snapshot kinds: Learn "Create a volume with Azure Disk" applies a VolumeSnapshotClass with no CRD step
# (MicrosoftDocs/azure-aks-docs articles/aks/create-volume-azure-disk.md @ fb060abe6a8f, "volumesnapshotclass.snapshot.
# storage.k8s.io/csi-azuredisk-vsc created"). Gateway API (gateway.networking.k8s.io) is not among them: AKS "installs
# the Custom Resource Definitions (CRDs) for the Kubernetes Gateway API" only when the Managed Gateway API is enabled
# (`--enable-gateway-api`, articles/aks/managed-gateway-api.md @ fb060abe6a8f), which the stack model cannot enable,
# so its kinds need a CRD from a kustomization (or a chart, CHART_CRDS) like any other custom resource.
AKS_DEFAULT_GROUPS = {"snapshot.storage.k8s.io"}
# CRDs of the AKS add-on azure-keyvault-secrets-provider, "Azure Key Vault provider for Secrets Store CSI Driver"
# (learn.microsoft.com/azure/aks/csi-secrets-store-driver)
KEY_VAULT_SECRETS_PROVIDER_GROUPS = {"secrets-store.csi.x-k8s.io"}
_PINNED_CHART = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}


@dataclass
class Seen:
    """What earlier kustomizations (and the cluster) provide to later ones."""

    namespaces: set[str] = field(default_factory=lambda: set(BUILTIN_NAMESPACES))
    sources: set[tuple[str, str, str]] = field(default_factory=set)  # (kind, namespace, name)
    groups: set[str] = field(default_factory=lambda: set(FLUX_GROUPS))  # API groups with CRDs installed
    # Data keys of the ConfigMaps and Secrets applied, by (kind, namespace, name): what substituteFrom can read.
    config_objects: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    # API groups a chart of a kustomization without `wait` installs, by that kustomization: not there in time.
    unwaited: dict[str, str] = field(default_factory=dict)
    crd_scopes: dict[tuple[str, str], str] = field(default_factory=dict)  # (group, kind) -> spec.scope of a CRD

    def merge(self, other: Seen) -> None:
        self.namespaces |= other.namespaces
        self.sources |= other.sources
        self.groups |= other.groups
        for key, keys in other.config_objects.items():
            self.config_objects[key] = self.config_objects.get(key, set()) | keys
        self.crd_scopes.update(other.crd_scopes)
        for group, kustomization in other.unwaited.items():
            self.unwaited.setdefault(group, kustomization)


def _nothing() -> Seen:
    return Seen(namespaces=set(), groups=set())


def _group(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else ""


def _label(obj: dict[str, Any]) -> str:
    meta = _mapping(obj, "metadata")
    where = f"{meta.get('namespace')}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')}"


@dataclass
class Context:
    configuration: FluxConfigurationSpec
    environment: str
    kubernetes_version: str
    builder: Builder
    cluster_groups: set[str] = field(default_factory=set)  # API groups the cluster's add-ons install
    # Variables the stamp adds to kustomizations that declare postBuild (workload identity client ids).
    injected: set[str] = field(default_factory=set)
    # The extension's multiTenancy.enforce (spec.flux.extension.multi_tenancy_enforce, on by default).
    multi_tenancy: bool = True
    findings: list[PolicyFinding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, rule: str, kustomization: str, message: str, *, advisory: bool = False) -> None:
        self.findings.append(
            PolicyFinding(
                rule=rule,
                policy=rule.lower(),
                enforcement="advisory" if advisory else "mandatory",
                severity="medium" if advisory else "high",
                resource=f"{self.configuration.name}/{kustomization}",
                urn="",
                message=message,
            )
        )


def check_configuration(ctx: Context, root: Path, source: str) -> None:
    kustomizations = ctx.configuration.kustomizations
    order = dependency_order({n: k.depends_on for n, k in kustomizations.items()})
    # What each kustomization leaves in the cluster for its dependants. kustomize-controller starts one only when
    # every dependsOn entry is Ready at its revision (checkDependencies, internal/controller/
    # kustomization_controller.go @ v1.7.3); nothing orders kustomizations that do not depend on each other, so
    # what one sees is what its dependencies, transitively, provide: not what preflight happened to check first.
    provided: dict[str, Seen] = {}
    for name in order:
        kustomization = kustomizations[name]
        seen = Seen()
        seen.groups |= ctx.cluster_groups
        for dependency in _dependencies(name, kustomizations):
            seen.merge(provided[dependency])
        provided[name] = own = _nothing()
        relative = kustomization.path.removeprefix("./").strip("/")
        try:
            # The spec already refuses `..` (components/spec/checks.py); confining covers what the tree adds.
            directory = confine(root, root / relative)
        except Outside as err:
            ctx.add("PREFLIGHT-001", name, f"path {kustomization.path!r} {err.reason}")
            continue
        if not directory.is_dir():
            # The source as read (e.g. "gitops/ at main"): a folder only in the working tree is not in it.
            ctx.add(
                "PREFLIGHT-001",
                name,
                f"path {kustomization.path or '.'!r} does not exist in {source} (files not committed there are not"
                " seen)",
            )
            continue
        build = ctx.builder.build(directory, (source, relative), root)
        if build.error and (remotes := remote_references(root, directory)):
            # Flux fetches remote bases in the cluster; a machine that cannot reach them learns nothing about the
            # build, so the path is skipped (said, never silent), not failed.
            ctx.skipped.append(
                f"{name}: {kustomization.path or '.'} loads remote bases ({', '.join(remotes)}) that could not be"
                f" fetched from here: {build.error}"
            )
            continue
        if build.error:
            ctx.add(build.rule, name, f"kustomize build of {kustomization.path!r} fails: {build.error}")
            continue
        ctx.checked.append(f"{name}: {kustomization.path or '.'} ({len(build.objects)} objects)")
        defined: dict[str, str] = {}
        if kustomization.post_build:
            loaded = _substitute_from(ctx, name, kustomization.post_build.substitute_from, seen, build.objects)
            # None: the reconcile fails before substituting (PREFLIGHT-018); the objects are still judged.
            if loaded is not None:
                defined = {
                    **loaded,
                    **dict.fromkeys(ctx.injected, "(injected)"),
                    **kustomization.post_build.substitute,
                }
                _variable_names(ctx, name, defined, build.objects)
        # Flux applies a build in stages (fluxcd/pkg ssa/manager_apply.go ApplyAllStaged @ ssa/v0.61.0, the
        # version kustomize-controller v1.7.3's go.mod pins): CRDs, Namespaces and ClusterRoles first, waiting for
        # them, then kinds named `*Class`, then everything else in one server-side apply. So what its plain CRDs and
        # Namespaces create counts for the build itself; a chart's CRDs do not (same_build).
        available = copy.deepcopy(seen)
        _provide(build.objects, available, same_build=True)
        for obj in build.objects:
            before = len(ctx.findings)
            _check_object(ctx, name, obj, available, defined)
            _suppress(ctx, name, obj, before)
        _provide(build.objects, own, name=name, wait=kustomization.wait)
        _flux_dependency_cycles(ctx, name, build.objects)


def _suppress(ctx: Context, name: str, obj: dict[str, Any], first: int) -> None:
    """Apply the object's own suppression annotation (suppress.py) to the findings about it, from index `first`."""
    value = suppress.annotation_of(obj)
    if value is None:
        return
    label = _label(obj)
    entries, problems = suppress.parse(value, today=today())
    about = suppress.apply(ctx.findings[first:], entries, label=label, environment=ctx.environment, today=today())
    ctx.findings[first:] = about
    for problem in problems:
        ctx.add(suppress.INVALID, name, f"{label}: {problem}")


def _dependencies(name: str, kustomizations: dict[str, Any]) -> set[str]:
    """Every kustomization `name` depends on, directly or through others (the spec refuses cycles)."""
    found: set[str] = set()
    pending = list(kustomizations[name].depends_on)
    while pending:
        dependency = pending.pop()
        if dependency not in found and dependency in kustomizations:
            found.add(dependency)
            pending += kustomizations[dependency].depends_on
    return found


def _provide(
    objects: list[dict[str, Any]], seen: Seen, *, same_build: bool = False, name: str = "", wait: bool = True
) -> None:
    for obj in objects:
        kind, meta = obj.get("kind"), _mapping(obj, "metadata")
        if kind == "Namespace":
            seen.namespaces.add(str(meta.get("name")))
        elif kind == "CustomResourceDefinition":
            seen.groups.add(str(_get(obj, "spec.group")))
            seen.crd_scopes[(str(_get(obj, "spec.group")), str(_get(obj, "spec.names.kind")))] = str(
                _get(obj, "spec.scope")
            )
        elif kind in ("HelmRepository", "GitRepository", "OCIRepository", "Bucket"):
            seen.sources.add((str(kind), str(meta.get("namespace") or "flux-system"), str(meta.get("name"))))
        # Only plain CRDs are applied first ("validate, apply and wait for CRDs and Namespaces to register",
        # fluxcd/kustomize-controller internal/controller/kustomization_controller.go@v1.4.0); chart CRDs come later.
        # A dependency counts as Ready once applied unless it has `wait` (checkHealth returns early when
        # `len(obj.Spec.HealthChecks) == 0 && !obj.Spec.Wait`, kustomization_controller.go @ v1.7.3): without it the
        # dependant may run before helm-controller has installed the chart and its CRDs.
        elif kind == "HelmRelease" and not same_build:
            groups = CHART_CRDS.get(str(_get(obj, "spec.chart.spec.chart")), set())
            if wait:
                seen.groups |= groups
            else:
                seen.unwaited.update(dict.fromkeys(groups, name))
        elif kind in ("ConfigMap", "Secret") and meta.get("namespace"):
            seen.config_objects[(str(kind), str(meta["namespace"]), str(meta.get("name")))] = _data_keys(obj)


def _data_keys(obj: dict[str, Any]) -> set[str]:
    """The keys LoadVariables reads: a ConfigMap's `data` (not binaryData), a Secret's `data`, into which the API
    server merges `stringData` ("All keys and values are merged into the data field on write", Secret.stringData in
    the Kubernetes OpenAPI, kubernetes-validate's v1.36.0 schemas)."""
    keys = set(_mapping(obj, "data"))
    if obj.get("kind") == "Secret":
        keys |= set(_mapping(obj, "stringData"))
    return {str(k) for k in keys}


def _substitute_from(
    ctx: Context, name: str, references: list[Any], seen: Seen, objects: list[dict[str, Any]]
) -> dict[str, str] | None:
    """The variables substituteFrom loads (None when loading fails the reconcile), as kustomize-controller v1.7.3
    loads them: its build() runs SubstituteVariables (internal/controller/kustomization_controller.go :787)
    before apply() (:451), and LoadVariables (fluxcd/pkg kustomize/kustomize_varsub.go @ kustomize/v1.24.0)
    reads each named object from the cluster in the Kustomization's own namespace
    (`types.NamespacedName{Namespace: kustomization.GetNamespace()}`); a missing one is skipped when `optional`,
    and otherwise fails the reconcile ("substitute from 'ConfigMap/%s' error"). A fluxConfiguration's
    Kustomizations live in the configuration's namespace (Learn, "GitOps Flux v2" concepts: flux-applier "is
    deployed only in the cluster-config namespace", the configuration's). So only an object that a kustomization
    this one dependsOn applied is there in time; one of this very build is not yet."""
    found: dict[str, str] | None = {}
    home = ctx.configuration.namespace
    for ref in references:
        keys = seen.config_objects.get((ref.kind, home, ref.name))
        if keys is not None:
            if found is not None:
                found.update(dict.fromkeys(keys, f"({ref.kind}/{ref.name})"))
            continue
        if ref.optional:
            continue  # "if reference.Optional && apierrors.IsNotFound(err) { continue }"
        ours = any(
            o.get("kind") == ref.kind
            and _mapping(o, "metadata").get("name") == ref.name
            and _mapping(o, "metadata").get("namespace") == home
            for o in objects
        )
        why = (
            "is created by this same kustomization, but Flux reads substituteFrom before it applies the build"
            if ours
            else "is not applied by a kustomization this one dependsOn"
        )
        ctx.add(
            "PREFLIGHT-018",
            name,
            f'postBuild.substituteFrom {ref.kind} {home}/{ref.name} {why}, so the reconcile fails ("substitute'
            f" from '{ref.kind}/{ref.name}' error\"); move it to a kustomization this one dependsOn, or mark it"
            " optional: true",
        )
        found = None
    return found


# varSubstitution (kustomize_varsub.go @ kustomize/v1.24.0) refuses any variable name outside this Go regexp,
# `^[_[:alpha:]][_[:alpha:][:digit:]]*$`, before substituting: "'%s' var name is invalid". Go's regexp/syntax
# documents "ASCII character classes: [[:alpha:]] alphabetic (== [A-Za-z])", [[:digit:]] (== [0-9]).
_VAR_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")


def _variable_names(ctx: Context, name: str, defined: dict[str, str], objects: list[dict[str, Any]]) -> None:
    """The check runs for every object Flux substitutes (not labelled or annotated disabled), so one such object
    suffices to fail the kustomization."""
    bad = sorted(v for v in defined if not _VAR_NAME.match(v))
    if not bad or not any(not _substitution_disabled(o) for o in objects):
        return
    ctx.add(
        "PREFLIGHT-008",
        name,
        f"variable names {', '.join(repr(v) for v in bad)} (from {', '.join(sorted({defined[v] for v in bad}))})"
        ' are not valid for Flux\'s substitution, which fails the kustomization ("var name is invalid"); use'
        " letters, digits and _ only, not starting with a digit",
    )


def _substitution_disabled(obj: dict[str, Any]) -> bool:
    meta = _mapping(obj, "metadata")
    return any(_mapping(meta, where).get(varsub.DISABLE_KEY) == varsub.DISABLED for where in ("labels", "annotations"))


def _kind_served(ctx: Context, name: str, obj: dict[str, Any], label: str, seen: Seen) -> tuple[bool, bool]:
    """Whether the object's kind is of a group built into the API server, and whether the cluster serves it; a
    finding when it serves it neither built in nor through a CRD this kustomization or one it dependsOn applies
    ("no matches for kind")."""
    kind, api = str(obj.get("kind") or ""), str(obj.get("apiVersion") or "")
    group = _group(api)
    kinds = scopes.builtin_kinds(ctx.kubernetes_version)
    if kinds is None:  # a version kubernetes-validate has no schemas for: the API group's name is all there is
        gateway_api = group == "gateway.networking.k8s.io"
        builtin = group == "" or "." not in group or (group.endswith(".k8s.io") and not gateway_api)
    else:
        builtin = group in {g for g, _, _ in kinds}
    if builtin:
        if kinds is not None and kind and api and (group, api.rsplit("/", 1)[-1], kind) not in kinds:
            ctx.add(
                "PREFLIGHT-012",
                name,
                f"{label}: Kubernetes {ctx.kubernetes_version} serves no kind {kind} in {api} (its OpenAPI"
                ' definitions), so Flux fails with "no matches for kind"; use an apiVersion that version serves',
            )
            return True, False
        return True, True
    if group in AKS_DEFAULT_GROUPS or group in seen.groups or any(group.endswith(g) for g in seen.groups):
        return False, True
    unwaited = next((k for g, k in seen.unwaited.items() if group == g or group.endswith(g)), None)
    if unwaited:
        ctx.add(
            "PREFLIGHT-013",
            name,
            f"{label}: the CRDs of {group!r} come from a chart of kustomization {unwaited!r}, which has"
            " wait: false, so Flux counts it Ready before the chart is installed; set wait: true on it",
        )
    else:
        ctx.add(
            "PREFLIGHT-012",
            name,
            f"{label}: AKS does not serve {group!r} and no kustomization this one dependsOn (nor this one's own"
            ' plain CRDs) installs its CRDs, so Flux fails with "no matches for kind"',
        )
    return False, False


def _check_object(ctx: Context, name: str, obj: dict[str, Any], seen: Seen, defined: dict[str, str]) -> None:
    label = _label(obj)
    kind = str(obj.get("kind", ""))
    api = str(obj.get("apiVersion", ""))
    group = _group(api)
    namespace = _mapping(obj, "metadata").get("namespace")
    # Namespaces must exist (created by this or an earlier kustomization, or by the cluster).
    if namespace and namespace not in seen.namespaces:
        ctx.add(
            "PREFLIGHT-005",
            name,
            f"{label}: namespace {namespace!r} is not created by this kustomization or one it dependsOn",
        )
    builtin, served = _kind_served(ctx, name, obj, label, seen)
    # No targetNamespace in fluxConfigurations (scopes.py): a namespaced object must name its namespace.
    if not namespace and served and scopes.namespaced(group, kind, builtin, seen.crd_scopes):
        ctx.add(
            "PREFLIGHT-015",
            name,
            f"{label}: {kind} is namespaced but has no metadata.namespace, and a fluxConfiguration's kustomization"
            " has no targetNamespace to supply one; set metadata.namespace (or `namespace:` in kustomization.yaml)",
        )
    if kind in FLUX_REQUIRED and group.endswith("toolkit.fluxcd.io"):
        for field_path in FLUX_REQUIRED[kind]:
            if _get(obj, field_path) is None:
                ctx.add("PREFLIGHT-004", name, f"{label}: {field_path} is required")
    elif builtin:
        _schema(ctx, name, obj, label)
    if kind == "HelmRelease":
        _helm_release(ctx, name, obj, seen, label)
    if ctx.multi_tenancy and kind in ("Kustomization", "HelmRelease") and group.endswith("toolkit.fluxcd.io"):
        _multi_tenancy(ctx, name, obj, label)
    encrypted = sops.encrypted(obj)
    if encrypted:
        ctx.add("PREFLIGHT-006", name, f"{label}: {encrypted}")
    elif kind == "Secret" and api == "v1":
        ctx.add(
            "PREFLIGHT-006",
            name,
            f"{label}: a plaintext Secret in Git; use a SealedSecret or a Key Vault SecretProviderClass"
            " (fluxConfigurations cannot decrypt SOPS)",
        )
    if ctx.environment == "prod" and kind in _WORKLOADS:
        for image in _images(obj):
            if "@sha256:" not in image and (":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")):
                ctx.add("PREFLIGHT-007", name, f"{label}: image {image!r} is not pinned to a tag or digest")
    if defined:
        _substitution(ctx, name, obj, label, defined)


def _substitution(ctx: Context, name: str, obj: dict[str, Any], label: str, defined: dict[str, str]) -> None:
    """Post-build substitution as kustomize-controller v1.7.3 runs it (fluxcd/pkg kustomize v1.24.0
    kustomize/kustomize_varsub.go, SubstituteVariables): only when the Kustomization has postBuild and at least one
    variable (`len(vars) > 0`; the caller checks), never on an object labelled or annotated
    `kustomize.toolkit.fluxcd.io/substitute: disabled`, and without strict mode (the StrictPostBuildSubstitutions
    feature gate is "opt-in from v1.3", false, in internal/features/features.go@v1.7.3; opt-out from v1.9), so an
    undefined variable becomes an empty string. Whether the extension sets that gate is not documented."""
    if _substitution_disabled(obj):
        return
    undefined: dict[str, str] = {}
    for path, text in _strings(obj, ""):
        try:
            for ref in varsub.undefined(text, defined):
                undefined.setdefault(ref.variable, ref.expression)
        except varsub.ParseError as err:
            # The controller fails the whole build: "post build failed for '<object>': envsubst error: variable
            # substitution failed: <err>". The value is not quoted: it may be secret data.
            ctx.add(
                "PREFLIGHT-008",
                name,
                f"{label}: Flux's variable substitution cannot parse {path or '(a key)'} ({err.message}), so the"
                " kustomization fails; write a literal `${` as `$${`, or label the object"
                f" {varsub.DISABLE_KEY}: {varsub.DISABLED}",
            )
            return
    for var, expression in sorted(undefined.items()):
        ctx.add(
            "PREFLIGHT-008",
            name,
            f"{label}: {expression} is not defined by postBuild.substitute or substituteFrom; Flux substitutes an"
            f" empty string for {var}",
            advisory=True,
        )


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string of an object (keys too), with where it is: envsubst reads the object's whole YAML."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            yield path, str(key)
            yield from _strings(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def _multi_tenancy(ctx: Context, name: str, obj: dict[str, Any], label: str) -> None:
    """The extension enforces multi-tenancy by default: "the HelmRelease would be blocked" when it references a
    source in another namespace, and "the Flux helm-controller cannot apply the HelmRelease, because there is no
    flux-applier service account" outside the configuration's namespace (Learn, "GitOps Flux v2" concepts,
    Multi-tenancy: MicrosoftDocs/azure-docs articles/azure-arc/kubernetes/conceptual-gitops-flux2.md).
    kustomize-controller v1.7.3 refuses "can't access '<kind>/<ns>/<name>', cross-namespace references have been
    blocked" when NoCrossNamespaceRefs is set, and impersonates `WithServiceAccount(r.DefaultServiceAccount,
    obj.Spec.ServiceAccountName, obj.GetNamespace())`: the account is looked up in the object's own namespace
    (internal/controller/kustomization_controller.go @ v1.7.3). A named serviceAccountName is taken on trust: whether
    it exists there, with the rights it needs, is the cluster's to say."""
    namespace = _mapping(obj, "metadata").get("namespace")
    if not namespace:
        return
    kind = str(obj.get("kind"))
    if kind == "Kustomization":
        refs = [_get(obj, "spec.sourceRef")]
    else:
        refs = [_get(obj, "spec.chart.spec.sourceRef"), _get(obj, "spec.chartRef")]
    for ref in refs:
        if isinstance(ref, dict) and ref.get("namespace") and ref["namespace"] != namespace:
            ctx.add(
                "PREFLIGHT-016",
                name,
                f"{label}: its sourceRef {ref.get('kind')} {ref['namespace']}/{ref.get('name')} is in another"
                " namespace; with multi-tenancy enforced Flux blocks cross-namespace references",
            )
    home = ctx.configuration.namespace
    if namespace != home and not _get(obj, "spec.serviceAccountName"):
        ctx.add(
            "PREFLIGHT-017",
            name,
            f"{label}: outside the configuration's namespace {home!r} Flux impersonates the default account"
            f" flux-applier, which exists only in {home!r}; move it to {home!r} (with targetNamespace) or name a"
            " spec.serviceAccountName",
        )


def _helm_release(ctx: Context, name: str, obj: dict[str, Any], seen: Seen, label: str) -> None:
    ref = _mapping(obj, "spec.chart.spec.sourceRef")
    namespace = ref.get("namespace") or _mapping(obj, "metadata").get("namespace") or "flux-system"
    source = (str(ref.get("kind")), str(namespace), str(ref.get("name")))
    if ref and source not in seen.sources:
        ctx.add(
            "PREFLIGHT-014",
            name,
            f"{label}: source {source[0]} {source[1]}/{source[2]} is not defined by this or an earlier kustomization",
        )
    version = str(_get(obj, "spec.chart.spec.version") or "")
    if ctx.environment == "prod" and not _PINNED_CHART.match(version):
        ctx.add("PREFLIGHT-007", name, f"{label}: chart version {version or '(none)'!r} is not pinned")
    values = _get(obj, "spec.values.image") or {}
    if ctx.environment == "prod" and isinstance(values, dict) and values.get("repository") and not values.get("tag"):
        ctx.add("PREFLIGHT-007", name, f"{label}: values.image.tag is not pinned")


def _schema(ctx: Context, name: str, obj: dict[str, Any], label: str) -> None:
    key = (json.dumps(obj, sort_keys=True), ctx.kubernetes_version)
    if key not in ctx.builder.schema_verdicts:
        ctx.builder.schema_verdicts[key] = _schema_verdict(obj, ctx.kubernetes_version)
    verdict = ctx.builder.schema_verdicts[key]
    if verdict:
        ctx.add("PREFLIGHT-003", name, f"{label}: {verdict}")


def _schema_verdict(obj: dict[str, Any], version: str) -> str | None:
    # Every object names its apiVersion and kind ("Required fields", kubernetes.io/docs/concepts/overview/
    # working-with-objects); kubernetes-validate indexes them unchecked, so a manifest without them is judged here.
    missing = [k for k in ("apiVersion", "kind") if not isinstance(obj.get(k), str) or not obj.get(k)]
    if missing:
        return f"{' and '.join(missing)} missing or not a string; every Kubernetes object names both"
    try:
        # A `sops` block is a finding of its own (sops.py); the schema verdict is about the rest of the object.
        applied = {k: v for k, v in obj.items() if k != "sops"}
        kubernetes_validate.validate(applied, version, strict=True)
    except kubernetes_validate.ValidationError as err:
        where = ".".join(str(p) for p in err.path) or "(object)"
        return f"{where}: {_schema_message(obj, err)}"
    except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.utils.VersionNotSupportedError):
        return None  # kinds without a schema here (custom resources) are checked by their CRD in the cluster
    return None


# jsonschema validators whose messages quote property names only, never the instance's values.
_KEY_NAMING_VALIDATORS = {"additionalProperties", "required"}


def _schema_message(obj: dict[str, Any], err: kubernetes_validate.ValidationError) -> str:
    """jsonschema quotes the offending value ("'hunter2' is not of type ..."); in a Secret, or under a key that
    names a credential, that value is the secret, so the message says what was expected instead."""
    secret = obj.get("kind") == "Secret" or any(is_secret_key(step) for step in err.path)
    if not secret or err.validator in _KEY_NAMING_VALIDATORS:
        return str(err.message)
    if err.validator == "type":
        expected = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        return f"expected {' or '.join(map(str, expected))} (the value is not shown: it is secret data)"
    return f"does not satisfy the schema's {err.validator!r} rule (the value is not shown: it is secret data)"


def _images(obj: dict[str, Any]) -> Iterator[str]:
    kind = obj.get("kind")
    if kind == "Pod":
        pod = _mapping(obj, "spec")
    elif kind == "CronJob":
        pod = _mapping(obj, "spec.jobTemplate.spec.template.spec")
    else:
        pod = _mapping(obj, "spec.template.spec")
    for group in ("containers", "initContainers"):
        for container in pod.get(group) or []:
            if isinstance(container, dict) and container.get("image"):
                yield str(container["image"])


def _flux_dependency_cycles(ctx: Context, name: str, objects: list[dict[str, Any]]) -> None:
    """Flux Kustomization objects committed to the repository form their own dependsOn graph."""
    graph = {
        str(_mapping(o, "metadata").get("name")): [
            str(d.get("name")) for d in _list(o, "spec.dependsOn") if isinstance(d, dict)
        ]
        for o in objects
        if o.get("kind") == "Kustomization" and _group(str(o.get("apiVersion", ""))).endswith("toolkit.fluxcd.io")
    }
    try:
        dependency_order(graph)
    except CycleError as err:
        ctx.add(
            "PREFLIGHT-010", name, f"Flux Kustomizations depend on each other in a cycle: {' -> '.join(err.args[1])}"
        )
