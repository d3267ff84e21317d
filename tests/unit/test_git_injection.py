"""Issue 13, class 1: no ref, URL or option value reaches git's command line as an option.

A table of injection attempts goes through every place a ref is read (`--base`, `--ref`, a stack file's
`ref.tag`/`ref.branch`) and every place a URL or repository is (a stack file's git URL, `--repo`): each is one line,
exit 2, and no file appears. A property test holds the ref grammar to `git check-ref-format --allow-onelevel` itself.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from components.spec.gitref import ref_problem, revision_problem
from fleet import cli, git
from fleet.errors import BadInput
from tests.conftest import STACKS_DIR, cluster_of, git_copy_of_project, stack_document, write_stack

RUN = CliRunner()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of this project (one commit), for the commands that read refs of it."""
    return git_copy_of_project(tmp_path_factory.mktemp("checkout"))


def _attempts(trap: Path) -> list[str]:
    """Values that would make git write `trap/...`, run a command, or read a revision range or reflog entry."""
    return [
        f"--output={trap}/pwned",
        f"-o{trap}/pwned",
        f"HEAD --output={trap}/pwned",
        f"--exec=touch {trap}/pwned",
        f"--upload-pack=touch {trap}/pwned",
        "main..HEAD",
        "HEAD@{1}",
        "main\x01",
        "main\n--output=pwned",
        "re fs",
        "tags/v1.lock",
        ".hidden",
        "HEAD:README.md",
    ]


def _trap(tmp_path: Path) -> Path:
    trap = tmp_path / "trap"
    trap.mkdir()
    return trap


def _one_line(stderr: str, starts: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(starts), lines[0]


COMMANDS = {
    "fleet plan --base": (["plan", "-s", "dev", "--no-policy", "--no-preflight", "--base"], "--base: "),
    "fleet dr plan --ref": (["dr", "plan", "-s", "prod-japaneast", "--region", "japanwest", "--ref"], "--ref: "),
    "fleet preflight --ref": (["preflight", "-s", "dev", "--ref"], "--ref: "),
    "fleet rollout --dry-run --base": (["rollout", "--dry-run", "--base"], "--base: "),
}


@pytest.mark.parametrize(("command", "option"), COMMANDS.values(), ids=COMMANDS.keys())
def test_ref_options_that_git_would_misread_are_refused(
    command: list[str], option: str, checkout: Path, tmp_path: Path
) -> None:
    trap = _trap(tmp_path)
    for value in _attempts(trap):
        result = RUN.invoke(cli.app, [*command, value, "--stacks-dir", str(checkout / "stacks")])
        assert result.exit_code == 2, (value, result.output)
        _one_line(result.stderr, option)
        assert list(trap.iterdir()) == [], value
    assert not (checkout / "pwned").exists()


def test_the_repo_option_is_a_folder_or_a_url(tmp_path: Path) -> None:
    trap = _trap(tmp_path)
    for value in [
        f"--upload-pack=touch {trap}/pwned",
        f"-u touch {trap}/pwned",
        "ext::sh -c touch% /tmp/x",
        "file:///etc",
    ]:
        result = RUN.invoke(cli.app, ["preflight", "-s", "dev", "--repo", value])
        assert result.exit_code == 2, (value, result.output)
        _one_line(result.stderr, "--repo: ")
        assert list(trap.iterdir()) == [], value


def _stacks_with(tmp_path: Path, mutate: Any) -> Path:
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS_DIR, stacks)
    document = copy.deepcopy(stack_document("dev"))
    mutate(cluster_of(document)["flux"]["platform"]["source"]["git"])
    write_stack(stacks, "dev", document)
    return stacks


@pytest.mark.parametrize("kind", ["tag", "branch"])
def test_a_stack_file_ref_git_would_misread_is_a_spec_problem(kind: str, tmp_path: Path) -> None:
    trap = _trap(tmp_path)
    for i, value in enumerate(_attempts(trap)):
        stacks = _stacks_with(tmp_path / str(i), lambda g, v=value: g.update(ref={kind: v}))
        # preflight is what hands the ref to git; plan must refuse it just the same, at load time
        for command in (["preflight", "-s", "dev"], ["plan", "-s", "dev", "--no-policy"]):
            result = RUN.invoke(cli.app, [*command, "--stacks-dir", str(stacks)])
            assert result.exit_code == 2, (value, result.output)
            _one_line(
                result.stderr, f"{stacks / 'Pulumi.dev.yaml'}: aksfleet:cluster.flux.platform.source.git.ref.{kind}: "
            )
            assert list(trap.iterdir()) == [], value


@pytest.mark.parametrize(
    "url",
    [
        "ssh://-oProxyCommand=touch%20pwned/contoso/gitops",
        "ssh://-oProxyCommand=x@github.com/contoso/gitops",
        "https://github.com/contoso/git ops",
    ],
)
def test_a_stack_file_url_ssh_would_misread_is_a_spec_problem(url: str, tmp_path: Path) -> None:
    stacks = _stacks_with(tmp_path, lambda g: g.update(url=url, auth={"kind": "none"}))
    result = RUN.invoke(cli.app, ["plan", "-s", "dev", "--no-policy", "--stacks-dir", str(stacks)])
    assert result.exit_code == 2, result.output
    where = f"{stacks / 'Pulumi.dev.yaml'}: aksfleet:cluster.flux.platform.source.git.url: "
    # One line per problem: a user other than ssh's `git` is also refused as a credential (class 5).
    assert all(line.startswith(where) for line in result.stderr.splitlines()), result.stderr
    assert "(ssh would read it as an option)" in result.stderr or "contains a space" in result.stderr


def test_the_git_layer_refuses_on_its_own(checkout: Path, tmp_path: Path) -> None:
    """Defence in depth: a caller that forgot to check still cannot put an option on git's command line."""
    trap = _trap(tmp_path)
    for value in _attempts(trap):
        with pytest.raises(BadInput):
            git.archive(checkout, value)
        with pytest.raises(BadInput):
            git.show(checkout, value, "README.md")
        with pytest.raises(BadInput):
            git.ls_remote(value, ["refs/heads/main"])
        with pytest.raises(BadInput):
            git.clone(value, tmp_path / "clone")
    assert list(trap.iterdir()) == []
    assert git.archive(checkout, "HEAD~0", ["stacks"]).returncode == 0, "a valid revision still works"


def _git_accepts(value: str) -> bool:
    out = subprocess.run(["git", "check-ref-format", "--allow-onelevel", value], capture_output=True)
    assert out.returncode in (0, 1), out.stderr  # 129 would be git reading the value as an option
    return out.returncode == 0


# Characters git's rules name, and the neighbours that make good edge cases.
_REF_CHARS = st.sampled_from([*"ab9/.-_@{}~^:?*[]\\ \t\x01\x1f\x7f", "é", "lock", "..", "@{", ".lock", "//"])
_REFS = st.lists(_REF_CHARS, max_size=8).map("".join) | st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@settings(max_examples=400, deadline=None)
@given(_REFS)
@example("@")
@example("a/.b")
@example("a.lock/b")
@example("HEAD")
@example("0123456789abcdef0123456789abcdef01234567")
def test_the_ref_grammar_is_gits_own(value: str) -> None:
    """ref_problem accepts exactly what `git check-ref-format --allow-onelevel` accepts, except names starting with
    '-': git allows those as ref names (and its own check-ref-format cannot be asked: it reads them as options), the
    toolkit deliberately refuses them."""
    if value.startswith("-"):
        assert ref_problem(value) is not None
        return
    assert (ref_problem(value) is None) == _git_accepts(value), value


@given(_REFS, st.lists(st.sampled_from(["~", "^", "~1", "^2", "~10"]), max_size=3).map("".join))
def test_a_revision_is_a_ref_with_ancestry(ref: str, ancestry: str) -> None:
    """`--base HEAD~1` works; a revision's base is held to the ref grammar, so no option or range gets through."""
    if ref_problem(ref) is None:
        assert revision_problem(ref + ancestry) is None
    if revision_problem(ref + ancestry) is None:
        assert not (ref + ancestry).startswith("-") and ".." not in ref + ancestry and "@{" not in ref + ancestry


def test_nul_is_refused() -> None:
    assert ref_problem("main\x00--output=x") is not None
