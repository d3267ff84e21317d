"""The cluster's built-in API as preflight models it (fleet/preflight/scopes.py), against the Kubernetes API server's
own discovery documents (tests/conformance/kubernetes/discovery, PROVENANCE.md there) and the Kubernetes OpenAPI
definitions of the stacks' version (kubernetes-validate)."""

from __future__ import annotations

import json

import pytest

from components.spec import load_stack
from fleet.preflight import scopes
from tests.conftest import PROJECT_DIR

DISCOVERY = json.loads((PROJECT_DIR / "tests/conformance/kubernetes/discovery/resources.json").read_text())
ROWS = [(document, *row) for document, rows in DISCOVERY.items() for row in rows]
# What the OpenAPI definitions name that no one applies: collections and API machinery, not resources.
_NOT_RESOURCES = {"DeleteOptions", "WatchEvent", "Status", "APIGroup", "APIGroupList", "APIResourceList", "APIVersions"}


def _stack_versions() -> set[str]:
    stacks = sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (PROJECT_DIR / "stacks").glob("Pulumi.*.yaml")
    )
    return {load_stack(PROJECT_DIR / "stacks", s).spec.kubernetes.version_policy.version for s in stacks}


@pytest.mark.parametrize(("document", "group", "version", "kind", "scope"), ROWS)
def test_every_discovered_kind_has_the_scope_the_table_gives(
    document: str, group: str, version: str, kind: str, scope: str
) -> None:
    assert scopes.namespaced(group, kind, True, {}) == (scope == "Namespaced"), f"{group}/{version} {kind} ({document})"


def test_every_cluster_scoped_entry_is_discovered_cluster_scoped() -> None:
    # A scope is the same in every version that serves the kind, so the table may keep kinds a version dropped
    # (which kinds a cluster serves is builtin_kinds' answer, below).
    discovered = {(group, kind): scope for _, group, _, kind, scope in ROWS}
    assert {entry: discovered.get(entry) for entry in scopes.CLUSTER_SCOPED} == dict.fromkeys(
        scopes.CLUSTER_SCOPED, "Cluster"
    )


def test_every_kind_the_stacks_version_serves_has_a_discovered_scope() -> None:
    discovered = {(group, kind) for _, group, _, kind, _ in ROWS}
    for version in _stack_versions():
        kinds = scopes.builtin_kinds(version) or frozenset()
        unknown = sorted(
            (g, v, k)
            for g, v, k in kinds
            if (g, k) not in discovered and not k.endswith("List") and k not in _NOT_RESOURCES
        )
        assert unknown == [], f"vendor the discovery document of these (Kubernetes {version})"


def test_the_served_kinds_are_the_openapi_definitions_of_the_version() -> None:
    kinds = scopes.builtin_kinds("1.36.5") or frozenset()
    assert ("apps", "v1", "Deployment") in kinds and ("resource.k8s.io", "v1", "DeviceClass") in kinds
    # Removed from the API server long before 1.36 (PodSecurityPolicy, policy/v1beta1), and never built in.
    assert ("policy", "v1beta1", "PodSecurityPolicy") not in kinds
    assert not any(g == "gateway.networking.k8s.io" for g, _, _ in kinds)
    assert scopes.builtin_kinds("1.99") is None and scopes.builtin_kinds("latest") is None
