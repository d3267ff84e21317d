"""Issue 13, class 7: preflight reads nothing outside the source, whatever the GitOps repository or fleet.yaml say.

Every case runs the real CLI against a real Git repository, in both ways preflight gets a source: a ref extracted
with `git archive` (--repo), and the working tree of a `localSources` folder. A canary sits outside the source: a
folder with a kustomization and a plaintext Secret whose name is a unique token. Had anything built it, the token
would be in the output (a PREFLIGHT-006 finding names the Secret); had Python opened it, the audit hook below would
have seen the path. A symlink out of the source is a finding, never a crash, never a read.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fleet import cli
from fleet.preflight.build import Builder
from tests.conftest import PROJECT_DIR
from tests.preflight.test_preflight import make_repo, make_stack

RUN = CliRunner()
URL = "https://example.com/contoso/fleet"
ACCEPTED = "accepted: a folder of this repository, relative to its root, e.g. 'gitops' or 'deploy/gitops'"

# Paths Python touched while a case ran (open, directory listings, copies, and what subprocesses were given).
_TOUCHED: list[str] = []
_EVENTS = {"open", "os.scandir", "os.listdir", "shutil.copyfile", "shutil.copytree", "subprocess.Popen"}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in _EVENTS:
        return
    values = list(args[1]) if event == "subprocess.Popen" and args[1] else list(args[:2])
    _TOUCHED.extend(os.fsdecode(v) for v in values if isinstance(v, str | bytes | os.PathLike))


sys.addaudithook(_audit)


def _canary(tmp_path: Path) -> tuple[Path, str]:
    token = f"canary{uuid.uuid4().hex[:12]}"
    folder = tmp_path / "outside"
    folder.mkdir()
    secret = (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {token}\n  namespace: podinfo\n"
        f"stringData:\n  token: {token}\n"
    )
    (folder / "secret.yaml").write_text(secret)
    (folder / "kustomization.yaml").write_text("resources:\n  - secret.yaml\n")
    return folder, token


def _add_resource(gitops: Path, entry: str) -> None:
    path = gitops / "apps" / "prod" / "kustomization.yaml"
    path.write_text(path.read_text().replace("resources:\n", f"resources:\n  - {entry}\n", 1))


def _link(gitops: Path, name: str, target: str | Path) -> None:
    (gitops / "apps" / "prod" / name).symlink_to(target)


def _passwd(gitops: Path, canary: Path) -> None:
    _link(gitops, "passwd.yaml", "/etc/passwd")
    _add_resource(gitops, "passwd.yaml")


def _file_to_canary(gitops: Path, canary: Path) -> None:
    _link(gitops, "token.yaml", canary / "secret.yaml")
    _add_resource(gitops, "token.yaml")


def _folder_to_canary(gitops: Path, canary: Path) -> None:
    _link(gitops, "outside", canary)
    _add_resource(gitops, "outside")


def _climb_out(gitops: Path, canary: Path) -> None:
    _link(gitops, "up", "../../..")


def _loops(gitops: Path, canary: Path) -> None:
    _link(gitops, "loop-a", "loop-b")
    _link(gitops, "loop-b", "loop-a")
    _link(gitops, "again", "..")


def _base_outside(gitops: Path, canary: Path) -> None:
    # No symlink at all: kubectl kustomize would load a folder named by `..` wherever it is.
    _add_resource(gitops, os.path.relpath(canary, gitops / "apps" / "prod"))


def _link_inside(gitops: Path, canary: Path) -> None:
    (gitops / "shared").mkdir()
    (gitops / "apps" / "prod" / "podinfo-identity.yaml").rename(gitops / "shared" / "identity.yaml")
    _link(gitops, "podinfo-identity.yaml", "../../shared/identity.yaml")


BUILD_FAILS = ("PREFLIGHT-002", "kustomize build of './apps/prod' fails: ")

# case: (change the GitOps folder, the mandatory findings (rule, message or message start) given folder and canary).
# Flux's artifact holds no symlink (fluxcd/pkg artifact/storage/archive.go Archive @ artifact/v0.5.0): every link is
# left out, whatever it points to; a build that needs one fails, and each link is one advisory PREFLIGHT-011.
CASES: dict[str, tuple[Callable[[Path, Path], None], Callable[[Path, Path], list[tuple[str, str]]]]] = {
    "a file symlink to /etc/passwd in a manifest folder": (_passwd, lambda g, c: [BUILD_FAILS]),
    "a file symlink to a file outside the repository": (_file_to_canary, lambda g, c: [BUILD_FAILS]),
    "a symlinked folder pointing outside the repository": (_folder_to_canary, lambda g, c: [BUILD_FAILS]),
    "a relative symlink climbing out of the source": (_climb_out, lambda g, c: []),
    "symlink loops": (_loops, lambda g, c: []),
    "a kustomization naming a folder outside the source": (
        _base_outside,
        lambda g, c: [
            (
                "PREFLIGHT-020",
                "kustomize build of './apps/prod' fails: apps/prod/kustomization.yaml: resources[0]: "
                f"{os.path.relpath(c, g / 'apps' / 'prod')!r} leaves the source; accepted: a path inside the source",
            )
        ],
    ),
    "a symlink inside the source (left out, as Flux does: the build fails)": (
        _link_inside,
        lambda g, c: [BUILD_FAILS],
    ),
}
LINKS = {
    "a file symlink to /etc/passwd in a manifest folder": ["apps/prod/passwd.yaml"],
    "a file symlink to a file outside the repository": ["apps/prod/token.yaml"],
    "a symlinked folder pointing outside the repository": ["apps/prod/outside"],
    "a relative symlink climbing out of the source": ["apps/prod/up"],
    "symlink loops": ["apps/prod/again", "apps/prod/loop-a", "apps/prod/loop-b"],
    "a kustomization naming a folder outside the source": [],
    "a symlink inside the source (left out, as Flux does: the build fails)": ["apps/prod/podinfo-identity.yaml"],
}


def _run(tmp_path: Path, mode: str, change: Callable[[Path, Path], None], canary: Path) -> tuple[Any, Path]:
    """Preflight of stack x, its source at a tag (`archive`) or in the working tree of a mapped folder."""
    if mode == "archive":
        repo = make_repo(tmp_path, lambda g: change(g, canary))
        stacks = make_stack(tmp_path)
        args = ["--repo", str(repo)]
        gitops = repo
    else:
        root = tmp_path / "repo"
        gitops = root / "gitops"
        shutil.copytree(PROJECT_DIR / "gitops", gitops)
        change(gitops, canary)
        stacks = make_stack(root)
        (stacks / "fleet.yaml").write_text(f"rings:\n  - name: r\n    stacks: [x]\nlocalSources:\n  {URL}: gitops\n")
        args = []
    _TOUCHED.clear()
    result = RUN.invoke(cli.app, ["preflight", "-s", "x", *args, "--stacks-dir", str(stacks), "--json", "-"])
    return result, gitops


def _assert_untouched(result: Any, canary: Path, token: str) -> None:
    assert token not in result.stdout + result.stderr, "the canary was built"
    assert "root:x:0:0" not in result.stdout + result.stderr, "/etc/passwd was read"
    forbidden = (os.path.realpath(canary), "/etc/passwd")
    touched = [p for p in _TOUCHED if os.path.realpath(p).startswith(forbidden)]
    assert touched == [], "preflight opened or listed a path outside the source"


@pytest.mark.parametrize("mode", ["archive", "working tree"])
@pytest.mark.parametrize("case", list(CASES))
def test_nothing_outside_the_source_is_read(tmp_path: Path, case: str, mode: str) -> None:
    change, expected = CASES[case]
    canary, token = _canary(tmp_path)
    result, gitops = _run(tmp_path, mode, change, canary)
    assert result.exit_code in (0, 1), (result.output, result.exception)
    assert isinstance(result.exception, SystemExit | None), result.exception
    report = json.loads(result.stdout)
    got = sorted((f["rule"], f["message"]) for f in report["findings"] if f["enforcement"] == "mandatory")
    want = sorted(expected(gitops, canary))
    assert len(got) == len(want), got
    for (rule, message), (want_rule, start) in zip(got, want, strict=True):
        assert rule == want_rule and message.startswith(start), (message, start)
    assert result.exit_code == (1 if want else 0)
    advisories = [f["message"] for f in report["findings"] if f["rule"] == "PREFLIGHT-011"]
    assert [m.split(" ")[1] for m in advisories] == LINKS[case]
    assert all(
        m.endswith("leaves every symlink out of the artifact: the cluster will not see it, nor what it points to")
        for m in advisories
    )
    _assert_untouched(result, canary, token)


def test_a_symlink_inside_the_source_is_left_out_as_flux_leaves_it_out(tmp_path: Path) -> None:
    """Today's preflight followed it and passed; Flux's artifact has no such file, so the build fails."""
    canary, _ = _canary(tmp_path)
    result, _ = _run(tmp_path, "archive", _link_inside, canary)
    report = json.loads(result.stdout)
    findings = sorted((f["rule"], f["enforcement"], f["message"]) for f in report["findings"])
    assert [(rule, level) for rule, level, _ in findings] == [
        ("PREFLIGHT-002", "mandatory"),
        ("PREFLIGHT-011", "advisory"),
    ]
    assert "apps/prod/podinfo-identity.yaml" in findings[0][2] and "fleet-stage-" not in findings[0][2]
    assert findings[1][2].startswith(
        "symlink apps/prod/podinfo-identity.yaml -> ../../shared/identity.yaml is left out"
    )
    assert result.exit_code == 1


LOCAL_SOURCES: dict[str, tuple[str, str]] = {
    # case: (the folder fleet.yaml maps the URL to, the problem on the one exit-2 line)
    "an absolute path": ("/etc", f"'/etc' is an absolute path; {ACCEPTED}"),
    "a path climbing out": ("../outside", f"'../outside' climbs out with '..'; {ACCEPTED}"),
    "an option": ("-rf", f"'-rf' starts with '-' (a command would read it as an option); {ACCEPTED}"),
    "a symlink out of the repository": ("escape", f"'escape' leaves the repository through a symlink; {ACCEPTED}"),
    "git pathspec magic": (
        ":(top)gitops",
        f"':(top)gitops' has the part ':(top)gitops' (not only letters, digits, '.', '_', '-'); {ACCEPTED}",
    ),
}


@pytest.mark.parametrize("command", [["preflight", "-s", "x"], ["rollout", "--dry-run"]])
@pytest.mark.parametrize("case", list(LOCAL_SOURCES))
def test_local_sources_outside_the_repository_are_exit_2(tmp_path: Path, case: str, command: list[str]) -> None:
    """Every reader of fleet.yaml refuses them, not only preflight."""
    folder, problem = LOCAL_SOURCES[case]
    canary, token = _canary(tmp_path)
    root = tmp_path / "repo"
    shutil.copytree(PROJECT_DIR / "gitops", root / "gitops")
    (root / "escape").symlink_to(canary)
    stacks = make_stack(root)
    fleet = stacks / "fleet.yaml"
    fleet.write_text(f"rings:\n  - name: r\n    stacks: [x]\nlocalSources:\n  {URL}: {json.dumps(folder)}\n")
    _TOUCHED.clear()
    result = RUN.invoke(cli.app, [*command, "--stacks-dir", str(stacks)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stderr.splitlines() == [f"{fleet}: localSources.{URL}: {problem}"]
    _assert_untouched(result, canary, token)


def test_a_missing_local_source_folder_is_a_finding(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    stacks = make_stack(root)
    (stacks / "fleet.yaml").write_text(f"rings:\n  - name: r\n    stacks: [x]\nlocalSources:\n  {URL}: nope\n")
    result = RUN.invoke(cli.app, ["preflight", "-s", "x", "--stacks-dir", str(stacks), "--json", "-"])
    findings = [(f["rule"], f["enforcement"], f["message"]) for f in json.loads(result.stdout)["findings"]]
    assert ("PREFLIGHT-009", "mandatory", "the source folder 'nope' does not exist") in findings
    assert not any(rule == "PREFLIGHT-001" for rule, _, _ in findings), "no kustomization is looked for"
    assert result.exit_code == 1


def _plain_build(root: Path) -> Any:
    builder = Builder()
    builder.kubectl = "kubectl"  # whether installed or not: the plain-folder generator never runs it
    return builder.build(root / "plain", ("source", "plain"), root)


def test_the_plain_folder_generator_takes_no_link(tmp_path: Path) -> None:
    """Defence in depth: handed a folder that was not staged, the generator neither walks nor reads through a link
    (Flux's artifact holds none)."""
    canary, token = _canary(tmp_path)
    root = tmp_path / "source"
    (root / "plain" / "sub").mkdir(parents=True)
    (root / "plain" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    (root / "plain" / "sub" / "outside").symlink_to(canary)  # a folder link: not walked into
    (root / "plain" / "token.yaml").symlink_to(canary / "secret.yaml")  # a file link: not taken, never read
    _TOUCHED.clear()
    build = _plain_build(root)
    assert (build.error, [o["metadata"]["name"] for o in build.objects]) == ("", ["a"])
    assert [p for p in _TOUCHED if os.path.realpath(p).startswith(os.path.realpath(canary))] == []
    assert not (root / "plain" / "kustomization.yaml").exists(), "the generated kustomization is removed"
    assert token not in json.dumps(build.objects)
