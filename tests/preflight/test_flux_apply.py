"""How Flux applies a kustomization, and what it sees of the others, through `fleet preflight` on real Git
repositories: staged apply (fluxcd/pkg ssa ApplyAllStaged @ ssa/v0.61.0), dependsOn and `wait`
(kustomize-controller internal/controller/kustomization_controller.go @ v1.7.3), and the extension's multi-tenancy
(Learn, "GitOps Flux v2" concepts, Multi-tenancy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.preflight.test_preflight import findings

_CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""
_WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: podinfo\nspec: {}\n"


def _add(repo: Path, folder: str, name: str, text: str) -> None:
    (repo / folder / name).write_text(text)
    path = repo / folder / "kustomization.yaml"
    path.write_text(path.read_text().replace("resources:\n", f"resources:\n  - {name}\n", 1))


def _kustomizations(cluster: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = cluster["flux"]["platform"]["kustomizations"]
    return result


def test_a_plain_crd_is_applied_before_the_custom_resources_of_the_same_build(tmp_path: Path) -> None:
    # ApplyAllStaged applies CRDs, Namespaces and ClusterRoles first and waits for them: Flux's outcome is clean.
    def both(repo: Path) -> None:
        _add(repo, "apps/prod", "crd.yaml", _CRD)
        _add(repo, "apps/prod", "widget.yaml", _WIDGET)

    assert findings(tmp_path, both) == []


def test_what_a_kustomization_sees_follows_depends_on_not_the_check_order(tmp_path: Path) -> None:
    # apps no longer dependsOn anything, so it is checked first; its CRD is no use to infra-configs, which does not
    # depend on it: Flux may apply infra-configs first ("no matches for kind").
    def crd_in_apps(repo: Path) -> None:
        _add(repo, "apps/prod", "crd.yaml", _CRD)
        _add(repo, "infrastructure/configs", "widget.yaml", _WIDGET.replace("podinfo", "cert-manager"))

    def independent(cluster: dict[str, Any]) -> None:
        _kustomizations(cluster)["apps"]["dependsOn"] = []

    assert findings(tmp_path, crd_in_apps, independent) == [
        (
            "PREFLIGHT-012",
            "platform/infra-configs",
            "Widget cert-manager/w: AKS does not serve 'example.com' and no kustomization this one dependsOn (nor"
            ' this one\'s own plain CRDs) installs its CRDs, so Flux fails with "no matches for kind"',
        )
    ]

    # A dependency, here transitive (apps -> infra-configs -> infra-controllers), is there first.
    def crd_in_controllers(repo: Path) -> None:
        _add(repo, "infrastructure/controllers", "crd.yaml", _CRD)
        _add(repo, "apps/prod", "widget.yaml", _WIDGET)

    assert findings(tmp_path / "transitive", crd_in_controllers) == []


def test_chart_crds_reach_a_dependant_only_through_wait(tmp_path: Path) -> None:
    # Without wait, kustomize-controller marks infra-controllers Ready once applied; infra-configs may then run
    # before helm-controller has installed the charts that bring the Gateway API and cert-manager CRDs.
    def no_wait(cluster: dict[str, Any]) -> None:
        _kustomizations(cluster)["infra-controllers"]["wait"] = False

    got = findings(tmp_path, mutate=no_wait)
    assert sorted((rule, resource, message.split(":")[0]) for rule, resource, message in got) == [
        ("PREFLIGHT-013", "platform/infra-configs", "ClusterIssuer letsencrypt"),
        ("PREFLIGHT-013", "platform/infra-configs", "Gateway envoy-gateway-system/envoy"),
        ("PREFLIGHT-013", "platform/infra-configs", "GatewayClass envoy"),
    ]
    assert all("kustomization 'infra-controllers', which has wait: false" in message for _, _, message in got)


def _release_in_podinfo(repo: Path, *, service_account: bool, source_namespace: str) -> None:
    path = repo / "apps" / "base" / "podinfo" / "release.yaml"
    text = path.read_text().replace("  namespace: flux-system\nspec:\n", "  namespace: podinfo\nspec:\n", 1)
    text = text.replace("        namespace: flux-system\n", f"        namespace: {source_namespace}\n")
    if service_account:
        text = text.replace("  interval: 10m\n", "  interval: 10m\n  serviceAccountName: podinfo-deployer\n", 1)
    path.write_text(text)
    if source_namespace == "podinfo":
        repository = repo / "apps" / "base" / "podinfo" / "repository.yaml"
        repository.write_text(repository.read_text().replace("namespace: flux-system", "namespace: podinfo"))


def test_multi_tenancy_blocks_cross_namespace_source_refs_and_the_default_account(tmp_path: Path) -> None:
    got = findings(
        tmp_path, lambda repo: _release_in_podinfo(repo, service_account=False, source_namespace="flux-system")
    )
    assert got == [
        (
            "PREFLIGHT-016",
            "platform/apps",
            "HelmRelease podinfo/podinfo: its sourceRef HelmRepository flux-system/podinfo is in another namespace;"
            " with multi-tenancy enforced Flux blocks cross-namespace references",
        ),
        (
            "PREFLIGHT-017",
            "platform/apps",
            "HelmRelease podinfo/podinfo: outside the configuration's namespace 'flux-system' Flux impersonates the"
            " default account flux-applier, which exists only in 'flux-system'; move it to 'flux-system' (with"
            " targetNamespace) or name a spec.serviceAccountName",
        ),
    ]


def test_a_release_in_its_own_namespace_with_a_service_account_and_a_local_source_passes(tmp_path: Path) -> None:
    assert (
        findings(tmp_path, lambda repo: _release_in_podinfo(repo, service_account=True, source_namespace="podinfo"))
        == []
    )


def test_multi_tenancy_rules_do_not_apply_when_the_extension_does_not_enforce_them(tmp_path: Path) -> None:
    def off(cluster: dict[str, Any]) -> None:
        cluster["flux"].setdefault("extension", {})["multiTenancyEnforce"] = False

    assert (
        findings(
            tmp_path, lambda repo: _release_in_podinfo(repo, service_account=False, source_namespace="flux-system"), off
        )
        == []
    )


def test_a_flux_kustomization_outside_the_configuration_namespace_needs_a_service_account(tmp_path: Path) -> None:
    tenant = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: team\n  namespace: podinfo\n"
        "spec:\n  interval: 10m\n  prune: true\n  path: ./x\n"
        "  sourceRef:\n    kind: GitRepository\n    name: platform\n    namespace: flux-system\n"
    )
    got = findings(tmp_path, lambda repo: _add(repo, "apps/prod", "team.yaml", tenant))
    assert [(rule, message.split(":")[0], "cross-namespace" in message) for rule, _, message in got] == [
        ("PREFLIGHT-016", "Kustomization podinfo/team", True),
        ("PREFLIGHT-017", "Kustomization podinfo/team", False),
    ]


def test_a_namespaced_object_without_a_namespace_fails(tmp_path: Path) -> None:
    # fluxConfigurations have no targetNamespace: nothing gives the ConfigMap a namespace.
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
    assert findings(tmp_path, lambda repo: _add(repo, "apps/prod", "settings.yaml", config)) == [
        (
            "PREFLIGHT-015",
            "platform/apps",
            "ConfigMap settings: ConfigMap is namespaced but has no metadata.namespace, and a fluxConfiguration's"
            " kustomization has no targetNamespace to supply one; set metadata.namespace (or `namespace:` in"
            " kustomization.yaml)",
        )
    ]


def test_cluster_scoped_built_ins_need_no_namespace(tmp_path: Path) -> None:
    objects = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n---\n"
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\nprovisioner: disk.csi.azure.com\n"
        "---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\n"
    )
    assert findings(tmp_path, lambda repo: _add(repo, "apps/prod", "cluster.yaml", objects)) == []


def test_a_custom_resource_takes_its_scope_from_its_crd(tmp_path: Path) -> None:
    bare = _WIDGET.replace("  namespace: podinfo\n", "")

    def namespaced(repo: Path) -> None:
        _add(repo, "apps/prod", "crd.yaml", _CRD)
        _add(repo, "apps/prod", "widget.yaml", bare)

    assert [message.split(":")[0] for _, _, message in findings(tmp_path, namespaced)] == ["Widget w"]

    def cluster(repo: Path) -> None:
        _add(repo, "apps/prod", "crd.yaml", _CRD.replace("scope: Namespaced", "scope: Cluster"))
        _add(repo, "apps/prod", "widget.yaml", bare)

    assert findings(tmp_path / "cluster", cluster) == []


def test_the_cluster_serves_only_its_versions_built_in_kinds_and_the_crds_it_is_given(tmp_path: Path) -> None:
    # Built in: the Kubernetes OpenAPI definitions of the stack's version (1.36). PodSecurityPolicy is gone from it;
    # AdminNetworkPolicy's group ends in .k8s.io but is a CRD the cluster does not have; the Azure Disk CSI
    # driver's VolumeSnapshotClass is served by AKS itself (checks.AKS_DEFAULT_GROUPS).
    objects = (
        "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: old\nspec: {}\n---\n"
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n  name: anp\n"
        "spec: {}\n---\n"
        "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotClass\nmetadata:\n  name: csi-azuredisk-vsc\n"
        "driver: disk.csi.azure.com\ndeletionPolicy: Delete\n"
    )
    got = findings(tmp_path, lambda repo: _add(repo, "apps/prod", "api.yaml", objects))
    assert [(rule, message.split(":")[0]) for rule, _, message in got] == [
        ("PREFLIGHT-012", "PodSecurityPolicy old"),
        ("PREFLIGHT-012", "AdminNetworkPolicy anp"),
    ]
    assert "Kubernetes 1.36.5 serves no kind PodSecurityPolicy in policy/v1beta1" in got[0][2]
    assert "AKS does not serve 'policy.networking.k8s.io'" in got[1][2]


def test_newer_cluster_scoped_built_ins_need_no_namespace(tmp_path: Path) -> None:
    # Cluster-scoped per the API server's discovery documents (tests/conformance/kubernetes/discovery).
    objects = (
        "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata:\n  name: gpu\nspec: {}\n---\n"
        "apiVersion: admissionregistration.k8s.io/v1beta1\nkind: MutatingAdmissionPolicyBinding\n"
        "metadata:\n  name: m\nspec:\n  policyName: p\n"
    )
    assert findings(tmp_path, lambda repo: _add(repo, "apps/prod", "cluster.yaml", objects)) == []


def test_a_namespace_no_dependency_creates_is_its_own_finding(tmp_path: Path) -> None:
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: nowhere\ndata:\n  a: b\n"
    assert findings(tmp_path, lambda repo: _add(repo, "apps/prod", "settings.yaml", config)) == [
        (
            "PREFLIGHT-005",
            "platform/apps",
            "ConfigMap nowhere/settings: namespace 'nowhere' is not created by this kustomization or one it dependsOn",
        )
    ]
