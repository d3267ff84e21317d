"""Which kinds are cluster-scoped, so that a namespaced object without `metadata.namespace` is found.

fluxConfigurations cannot give their Kustomizations a `targetNamespace`: the 2023-05-01 `KustomizationDefinition`
has name, path, dependsOn, timeoutInSeconds, syncIntervalInSeconds, retryIntervalInSeconds, prune, force, wait and
postBuild only (Azure/azure-rest-api-specs specification/kubernetesconfiguration/resource-manager/
Microsoft.KubernetesConfiguration/stable/2023-05-01/fluxconfiguration.json @ 03c187009983c333030e6ab59b021dce1f89edae,
as sops.py cites). So nothing fills in a namespace the manifests leave out.

The Kubernetes JSON schemas preflight validates against (kubernetes-validate) carry no scope, so the cluster-scoped
built-in kinds are taken from the API server's own discovery documents: kubernetes/kubernetes api/discovery/
api__v1.json @ 4d817e791304350f797ea28d315a677873d20cba (`"namespaced": false`) and api/discovery/aggregated_v2.json
@ 0209a4cb57a359609b96779f044bcdff8e8df70d (`"scope": "Cluster"`), every resource that is not a subresource. Every
other kind of a built-in group is namespaced in those documents. Not vendored: the documents themselves (57 kB);
the table below is transcribed from them.
"""

from __future__ import annotations

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
        ("resource.k8s.io", "ResourceClass"),
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
