"""Flux's post-build substitution and SOPS rules, proven with envsubst's own test cases
(tests/conformance/flux/envsubst/PROVENANCE.md) run through preflight on a real temporary Git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fleet.preflight import preflight_stack, varsub
from tests.conftest import GIT, PROJECT_DIR
from tests.preflight.test_preflight import findings, make_stack

CASES = json.loads((PROJECT_DIR / "tests/conformance/flux/envsubst/cases.json").read_text())
# A variable no case reads: Flux substitutes only when postBuild defines at least one (`len(vars) > 0`,
# kustomize_varsub.go), while upstream's cases with no params still run envsubst.
FILLER = {"preflight_filler": "x"}


def _tree(node: dict[str, Any]) -> list[Any]:
    """Upstream's tree as a flat list of top-level nodes (its ListNode nests to the right)."""
    if "list" in node:
        return [n for part in node["list"] for n in _tree(part)]
    return [_node(node)]


def _node(node: dict[str, Any]) -> Any:
    if "text" in node:
        return ("text", node["text"])
    return ("func", node["param"], node["name"], [_node(a) for a in node["args"]])


def _ours(node: varsub.Node) -> Any:
    if isinstance(node, varsub.Text):
        return ("text", node.value)
    return ("func", node.param, node.name, [_ours(a) for a in node.args])


@pytest.mark.parametrize("case", CASES["TestParse"], ids=lambda c: c["text"])
def test_the_parser_builds_envsubsts_trees(case: dict[str, Any]) -> None:
    assert [_ours(n) for n in varsub.parse(case["text"])] == _tree(case["tree"])


def _expand_cases() -> list[tuple[str, dict[str, Any], str]]:
    """(id, case, Flux's outcome with the shipped, non-strict controller): a case upstream fails only in strict mode
    ("variable not set") is an empty string there, an advisory; every other case expands cleanly."""
    out = []
    for table in ("TestExpand", "TestExpandStrict", "TestExpandStrict_v1.7.0_added"):
        for n, case in enumerate(CASES[table]):
            outcome = "advisory" if case.get("error") == "variable not set (strict mode)" else "clean"
            out.append((f"{table}-{n}", case, outcome))
    return out


EXPAND = _expand_cases()


def _repo_with_cases(root: Path, texts: list[str]) -> Path:
    repo = root / "source"
    for n, text in enumerate(texts):
        folder = repo / "cases" / f"c{n}"
        folder.mkdir(parents=True)
        (folder / "configmap.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: case\n  namespace: default\n"
            f"data:\n  value: {json.dumps(text)}\n"
        )
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "cases"], cwd=repo, check=True)
    subprocess.run([*GIT, "tag", "v1.0.0"], cwd=repo, check=True)
    return repo


def test_envsubst_cases_give_fluxs_outcome_through_preflight(tmp_path: Path) -> None:
    repo = _repo_with_cases(tmp_path, [case["input"] for _, case, _ in EXPAND])

    def cases(cluster: dict[str, Any]) -> None:
        cluster["flux"]["platform"]["kustomizations"] = {
            f"c{n}": {"path": f"./cases/c{n}", "postBuild": {"substitute": {**FILLER, **case["params"]}}}
            for n, (_, case, _) in enumerate(EXPAND)
        }

    report = preflight_stack(make_stack(tmp_path, cases), "x", repo=str(repo))
    got: dict[str, str] = {}
    for finding in report.findings:
        n = int(finding.resource.rsplit("/c", 1)[1])
        got[EXPAND[n][0]] = "mandatory" if finding.enforcement == "mandatory" else "advisory"
    want = {name: outcome for name, _, outcome in EXPAND if outcome != "clean"}
    assert got == want
    assert len(report.checked) == 1 + len(EXPAND)


def _configmap(repo: Path, value: str, *, metadata: str = "") -> None:
    (repo / "apps" / "prod" / "case.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: case\n  namespace: podinfo\n{metadata}"
        f"data:\n  value: {json.dumps(value)}\n"
    )
    path = repo / "apps" / "prod" / "kustomization.yaml"
    path.write_text(path.read_text().replace("  - ../base/podinfo\n", "  - ../base/podinfo\n  - case.yaml\n"))


def _all(tmp_path: Path, value: str, metadata: str = "", mutate: Any = None) -> list[tuple[str, str, str]]:
    from tests.preflight.test_preflight import make_repo

    repo = make_repo(tmp_path, lambda r: _configmap(r, value, metadata=metadata))
    report = preflight_stack(make_stack(tmp_path, mutate), "x", repo=str(repo))
    return [(f.rule, f.enforcement, f.message) for f in report.findings]


def test_an_undefined_variable_is_an_advisory_empty_string(tmp_path: Path) -> None:
    assert _all(tmp_path, "${team^^}") == [
        (
            "PREFLIGHT-008",
            "advisory",
            "ConfigMap podinfo/case: ${team^^} is not defined by postBuild.substitute or substituteFrom;"
            " Flux substitutes an empty string for team",
        )
    ]


@pytest.mark.parametrize("value", ["${team:=a}", "${team:-a}", "${team=a}", "$${team}", "${team:=${environment}}"])
def test_defaults_and_escapes_need_no_definition(tmp_path: Path, value: str) -> None:
    assert _all(tmp_path, value) == []


@pytest.mark.parametrize("where", ["labels", "annotations"])
def test_an_object_with_substitution_disabled_is_skipped(tmp_path: Path, where: str) -> None:
    metadata = f"  {where}:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n"
    assert _all(tmp_path, "${team} ${v-x}", metadata) == []


def test_without_post_build_nothing_is_substituted(tmp_path: Path) -> None:
    def no_post_build(cluster: dict[str, Any]) -> None:
        cluster["flux"]["platform"]["kustomizations"]["apps"].pop("postBuild")

    found = _all(tmp_path, "${team} ${v-x}", mutate=no_post_build)
    # podinfo's own ${environment} is then left as it is too: no finding at all.
    assert found == []


@pytest.mark.parametrize(
    ("value", "error"),
    [("${v-x}", "missing closing brace"), ("${}", "unable to parse variable name"), ("${v:}", "unable to parse")],
)
def test_an_expression_envsubst_cannot_parse_fails_the_kustomization(tmp_path: Path, value: str, error: str) -> None:
    ((rule, enforcement, message),) = _all(tmp_path, value)
    assert (rule, enforcement) == ("PREFLIGHT-008", "mandatory")
    assert message.startswith(f"ConfigMap podinfo/case: Flux's variable substitution cannot parse data.value ({error}")


SOPS_SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: podinfo\ntype: Opaque\n"
    "stringData:\n  token: ENC[AES256_GCM,data:Tr7o=,iv:1=,tag:2=,type:str]\n"
    "sops:\n  lastmodified: '2024-01-01T00:00:00Z'\n  mac: ENC[AES256_GCM,data:p673=,iv:3=,tag:4=,type:str]\n"
    "  version: 3.9.0\n"
)


@pytest.mark.parametrize(
    ("manifest", "why"),
    [
        (SOPS_SECRET, 'Flux fails the kustomization ("is SOPS encrypted, configuring decryption is required'),
        (
            SOPS_SECRET.replace("kind: Secret", "kind: ConfigMap")
            .replace("type: Opaque\n", "")
            .replace("stringData", "data"),
            "Flux would apply it still encrypted",
        ),
    ],
    ids=["secret", "configmap"],
)
def test_a_sops_encrypted_object_is_a_mandatory_finding(tmp_path: Path, manifest: str, why: str) -> None:
    def add(repo: Path) -> None:
        (repo / "apps" / "prod" / "token.yaml").write_text(manifest)
        path = repo / "apps" / "prod" / "kustomization.yaml"
        path.write_text(path.read_text().replace("  - ../base/podinfo\n", "  - ../base/podinfo\n  - token.yaml\n"))

    ((rule, resource, message),) = findings(tmp_path, add)
    assert (rule, resource) == ("PREFLIGHT-006", "platform/apps")
    kind = "Secret" if "kind: Secret" in manifest else "ConfigMap"
    assert message.startswith(f"{kind} podinfo/token: encrypted with SOPS, and fluxConfigurations cannot configure")
    assert why in message
