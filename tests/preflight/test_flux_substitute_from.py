"""postBuild.substituteFrom as kustomize-controller v1.7.3 loads it (fluxcd/pkg kustomize/kustomize_varsub.go
@ kustomize/v1.24.0, LoadVariables): the named ConfigMap or Secret is read from the cluster, in the Kustomization's
namespace, before the build is applied. Through `fleet preflight` on real Git repositories: upstream's own cases
(tests/conformance/flux/substitute-from), then what follows from LoadVariables for objects preflight can place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.preflight.stack import preflight_stack
from tests.conftest import PROJECT_DIR
from tests.preflight.test_flux_apply import _add, _kustomizations
from tests.preflight.test_preflight import make_repo, make_stack

CASES = json.loads((PROJECT_DIR / "tests/conformance/flux/substitute-from/cases.json").read_text())
HOME = "flux-system"  # the platform configuration's namespace, where its Kustomizations live


def _run(tmp_path: Path, manifests: str, objects: list[dict[str, Any]], post_build: dict[str, Any]) -> list[Any]:
    def change(repo: Path) -> None:
        _add(repo, "apps/prod", "case.yaml", manifests)
        if objects:
            _add(repo, "infrastructure/controllers", "vars.yaml", yaml.safe_dump_all(objects))

    def mutate(cluster: dict[str, Any]) -> None:
        # apps/prod reads the stack's own variables too: keep them, add the case's.
        apps = _kustomizations(cluster)["apps"]
        substitute = {**apps["postBuild"]["substitute"], **post_build.get("substitute", {})}
        apps["postBuild"] = {**post_build, "substitute": substitute}

    report = preflight_stack(make_stack(tmp_path, mutate), "x", repo=str(make_repo(tmp_path, change)))
    # A Secret in Git is PREFLIGHT-006 whatever Flux does with it: not part of Flux's outcome here.
    return [(f.rule, f.enforcement, f.message) for f in report.findings if f.rule != "PREFLIGHT-006"]


def _object(kind: str, name: str, namespace: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}, **fields}


def _named(manifests: str) -> str:
    """`%[1]s` is both name and namespace upstream; here the namespace is podinfo (it exists), the name a new one
    (podinfo's own ServiceAccount already has that name)."""
    return manifests.replace("name: %[1]s", "name: varsub-case").replace("%[1]s", "podinfo")


_RUNS = [(name, run) for name, case in CASES.items() for run in case["runs"]]


@pytest.mark.parametrize(("name", "run"), _RUNS, ids=[f"{n}-{r['cluster_objects_present']}" for n, r in _RUNS])
def test_upstream_substitute_from_cases_give_fluxs_outcome(tmp_path: Path, name: str, run: dict[str, Any]) -> None:
    case = CASES[name]
    names = {"ConfigMap": "vars", "Secret": "secret-vars"}
    objects = [
        _object(o["kind"], names[o["kind"]], HOME, {k: v for k, v in o.items() if k != "kind"})
        for o in case["cluster_objects"]
    ]
    post_build = {
        "substitute": case["substitute"],
        "substituteFrom": [{**ref, "name": names[ref["kind"]]} for ref in case["substituteFrom"]],
    }
    got = _run(
        tmp_path,
        _named(case["manifests"]),
        objects if run["cluster_objects_present"] else [],
        post_build,
    )
    assert run["outcome"] == "ReconciliationSucceeded"
    assert got == []


_CONFIG = _object("ConfigMap", "vars", HOME, {"data": {"zone": "az-1"}})
_USES_ZONE = (
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n  namespace: podinfo\n  labels:\n    zone: ${zone}\n"
)
_FROM = {"substituteFrom": [{"kind": "ConfigMap", "name": "vars"}]}


def test_an_object_of_the_same_kustomization_cannot_supply_variables(tmp_path: Path) -> None:
    def change(repo: Path) -> None:
        _add(repo, "apps/prod", "case.yaml", _USES_ZONE)
        _add(repo, "apps/prod", "vars.yaml", yaml.safe_dump(_CONFIG))

    def mutate(cluster: dict[str, Any]) -> None:
        _kustomizations(cluster)["apps"]["postBuild"]["substituteFrom"] = _FROM["substituteFrom"]

    report = preflight_stack(make_stack(tmp_path, mutate), "x", repo=str(make_repo(tmp_path, change)))
    assert [(f.rule, f.enforcement, f.message) for f in report.findings] == [
        (
            "PREFLIGHT-018",
            "mandatory",
            "postBuild.substituteFrom ConfigMap flux-system/vars is created by this same kustomization, but Flux"
            ' reads substituteFrom before it applies the build, so the reconcile fails ("substitute from'
            " 'ConfigMap/vars' error\"); move it to a kustomization this one dependsOn, or mark it optional: true",
        )
    ]


def test_a_missing_object_fails_unless_optional(tmp_path: Path) -> None:
    got = _run(tmp_path / "required", _USES_ZONE, [], _FROM)
    assert [(rule, enforcement) for rule, enforcement, _ in got] == [("PREFLIGHT-018", "mandatory")]
    assert "is not applied by a kustomization this one dependsOn" in got[0][2]
    optional = {
        "substitute": {"other": "x"},
        "substituteFrom": [{"kind": "ConfigMap", "name": "vars", "optional": True}],
    }
    got = _run(tmp_path / "optional", _USES_ZONE, [], optional)
    assert [(rule, enforcement) for rule, enforcement, _ in got] == [("PREFLIGHT-008", "advisory")]
    assert "${zone} is not defined" in got[0][2]


def test_only_the_kustomizations_namespace_is_read(tmp_path: Path) -> None:
    # LoadVariables: `types.NamespacedName{Namespace: kustomization.GetNamespace(), Name: reference.Name}`.
    elsewhere = _object("ConfigMap", "vars", "cert-manager", {"data": {"zone": "az-1"}})
    got = _run(tmp_path, _USES_ZONE, [elsewhere], _FROM)
    assert [(rule, enforcement) for rule, enforcement, _ in got] == [("PREFLIGHT-018", "mandatory")]


def test_a_dependency_supplies_variables_and_key_names_must_be_valid(tmp_path: Path) -> None:
    assert _run(tmp_path / "ok", _USES_ZONE, [_CONFIG], _FROM) == []
    dotted = _object("ConfigMap", "vars", HOME, {"data": {"zone": "az-1", "app.properties": "a=b"}})
    got = _run(tmp_path / "dotted", _USES_ZONE, [dotted], _FROM)
    assert [(rule, enforcement) for rule, enforcement, _ in got] == [("PREFLIGHT-008", "mandatory")]
    assert "'app.properties'" in got[0][2] and "var name is invalid" in got[0][2]
