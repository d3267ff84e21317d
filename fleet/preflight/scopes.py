"""Which kinds are cluster-scoped, so that a namespaced object without `metadata.namespace` is found.

fluxConfigurations cannot give their Kustomizations a `targetNamespace`: the 2023-05-01 `KustomizationDefinition`
has name, path, dependsOn, timeoutInSeconds, syncIntervalInSeconds, retryIntervalInSeconds, prune, force, wait and
postBuild only (Azure/azure-rest-api-specs specification/kubernetesconfiguration/resource-manager/
Microsoft.KubernetesConfiguration/stable/2023-05-01/fluxconfiguration.json @ 03c187009983c333030e6ab59b021dce1f89edae,
as sops.py cites). So nothing fills in a namespace the manifests leave out.

Which kinds the API server serves at all comes from the Kubernetes OpenAPI definitions of the cluster's version, as
kubernetes-validate (pinned in pyproject.toml) ships them: every `x-kubernetes-group-version-kind` of its
`v<minor>.0-local/_definitions.json` (builtin_kinds). They carry no scope, so the cluster-scoped built-in kinds are
taken from the API server's own discovery documents: kubernetes/kubernetes api/discovery/api__v1.json @
4d817e791304350f797ea28d315a677873d20cba (`"namespaced": false`), api/discovery/aggregated_v2.json @
0209a4cb57a359609b96779f044bcdff8e8df70d (`"scope": "Cluster"`), and for kinds newer than those, the per-group
documents vendored in tests/conformance/kubernetes/discovery/ (PROVENANCE.md there). Every other kind of a built-in
group is namespaced in those documents. tests/preflight/test_scopes.py checks every entry against them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "ComponentStatus"),
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("apiregistration.k8s.io", "APIService"),
        ("authentication.k8s.io", "SelfSubjectReview"),
        ("authentication.k8s.io", "TokenReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("internal.apiserver.k8s.io", "StorageVersion"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "DeviceTaintRule"),
        ("resource.k8s.io", "ResourceClass"),  # served up to v1alpha3 only; a scope never changes, so it stays
        ("resource.k8s.io", "ResourcePoolStatusRequest"),
        ("resource.k8s.io", "ResourceSlice"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)
# Flux kinds known to be namespaced: kustomize-controller config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations
# .yaml @ v1.7.3 `scope: Namespaced`. The other Flux CRDs were not looked up, so they are not judged.
FLUX_NAMESPACED: frozenset[tuple[str, str]] = frozenset({("kustomize.toolkit.fluxcd.io", "Kustomization")})


def namespaced(group: str, kind: str, builtin: bool, crd_scopes: dict[tuple[str, str], str]) -> bool | None:
    """True or False when the scope is known (built-in kinds, CRDs the build or a dependency applies), else None."""
    if (group, kind) in crd_scopes:
        return crd_scopes[(group, kind)] == "Namespaced"
    if (group, kind) in FLUX_NAMESPACED:
        return True
    if builtin:
        return (group, kind) not in CLUSTER_SCOPED
    return None


def _minor(version: str) -> tuple[int, int] | None:
    found = re.match(r"^v?(\d+)\.(\d+)", version)
    return (int(found[1]), int(found[2])) if found else None


@cache
def builtin_kinds(version: str) -> frozenset[tuple[str, str, str]] | None:
    """(group, version, kind) of every kind the API server of Kubernetes `version` defines, from the newest
    kubernetes-validate schema set not newer than it (as kubernetes_validate.validate picks one); None when the
    version is newer than any it ships or cannot be read."""
    wanted = _minor(version)
    if wanted is None:
        return None
    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    shipped = sorted(
        (m, entry.name) for entry in root.iterdir() if entry.name.endswith("-local") and (m := _minor(entry.name))
    )
    if not shipped or wanted > shipped[-1][0]:
        return None
    folder = [name for minor, name in shipped if minor <= wanted][-1]
    definitions = json.loads(root.joinpath(folder, "_definitions.json").read_text())["$defs"]
    return frozenset(
        (str(gvk["group"]), str(gvk["version"]), str(gvk["kind"]))
        for definition in definitions.values()
        for gvk in definition.get("x-kubernetes-group-version-kind", [])
    )
