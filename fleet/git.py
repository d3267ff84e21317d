"""Every git command line the toolkit builds: user values are validated, and options end before them.

Refs and revisions pass components/spec/gitref.py (git's own ref-name rules, never a leading '-'); then
`--end-of-options` makes git read whatever follows as a revision or path, never as an option. Git learned it in
2.24 ("The command line parser learned '--end-of-options' notation ... to force the command to treat end-user input
as non-options", git/git Documentation/RelNotes/2.24.0.adoc). Repository paths are absolute and passed after `--`;
URLs must be https:// or ssh:// with a host that cannot be read as an ssh option.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from components.spec.gitref import ACCEPTED_REVISION, git_url_problem, revision_problem

from . import process, timeouts
from .errors import BadInput

# `GIT_TERMINAL_PROMPT=0`: git fails instead of asking for a user name or password on the terminal, which would
# hang a CI job until its timeout (git(1), GIT_TERMINAL_PROMPT, since git 2.3; https://git-scm.com/docs/git).
_NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0"}


def checked_revision(value: str, option: str) -> str:
    """`value` of a CLI option naming a commit of this checkout (`--base`, `--ref`), or BadInput naming it."""
    problem = revision_problem(value)
    if problem:
        raise BadInput(f"{option}: {value!r} {problem}; accepted: {ACCEPTED_REVISION}")
    return value


def checked_source(value: str, option: str) -> str:
    """A `--repo` value: an existing local folder (returned absolute) or an https:// / ssh:// URL."""
    if Path(value).exists():
        return str(Path(value).resolve())
    problem = git_url_problem(value)
    if problem:
        raise BadInput(
            f"{option}: {value!r} is not an existing folder, nor a URL git may fetch ({problem}); "
            "accepted: a local repository folder, or https://host/... or ssh://git@host/..."
        )
    return value


def _revision(value: str) -> str:
    """The git layer's own check: nothing unchecked reaches a command line even if a caller forgot."""
    problem = revision_problem(value)
    if problem:
        raise BadInput(f"git revision {value!r} {problem}; accepted: {ACCEPTED_REVISION}")
    return value


def _env(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **extra}


def toplevel(folder: Path) -> Path | None:
    """The top of the git work tree holding `folder`, or None outside one."""
    out = process.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=folder,
        timeout=timeouts.GIT_LOCAL_S,
        doing=f"finding the repository of {folder} (git rev-parse)",
    )
    return Path(out.stdout.strip()) if out.returncode == 0 else None


def head(folder: Path) -> str | None:
    """What `git rev-parse --verify HEAD` prints in `folder`; None outside a repository, without git, or when git
    does not answer within its limit (callers treat the commit as unknown)."""
    try:
        out = process.run(
            ["git", "rev-parse", "--verify", "HEAD"],
            cwd=folder,
            timeout=timeouts.GIT_LOCAL_S,
            doing=f"reading the commit checked out in {folder} (git rev-parse)",
        )
    except BadInput:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def commit_of(repo: Path, revision: str) -> str | None:
    """The full commit id `revision` names in `repo` (`git rev-parse --verify <rev>^{commit}`), or None."""
    out = process.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{_revision(revision)}^{{commit}}"],
        cwd=repo.resolve(),
        timeout=timeouts.GIT_LOCAL_S,
        doing=f"resolving {revision!r} (git rev-parse)",
    )
    return out.stdout.strip() if out.returncode == 0 else None


def archive(repo: Path, revision: str, paths: Sequence[str] = ()) -> subprocess.CompletedProcess[bytes]:
    """`git archive` of `revision` (optionally only `paths`, taken literally: no pathspec magic) as a tar stream."""
    return process.run_binary(
        [
            "git",
            "--literal-pathspecs",
            "archive",
            "--format=tar",
            "--end-of-options",
            _revision(revision),
            *paths,
        ],
        cwd=repo.resolve(),
        timeout=timeouts.GIT_LOCAL_S,
        doing=f"extracting {revision!r} (git archive)",
    )


def show(repo: Path, revision: str, path: str) -> subprocess.CompletedProcess[str]:
    """`git show <revision>:<path>`: a file as committed at a revision."""
    return process.run(
        ["git", "show", "--end-of-options", f"{_revision(revision)}:{path}"],
        cwd=repo.resolve(),
        timeout=timeouts.GIT_LOCAL_S,
        doing=f"reading {path} at {revision!r} (git show)",
    )


def clone(url: str, target: Path) -> subprocess.CompletedProcess[str]:
    """A blobless, checkout-less clone of an https:// or ssh:// URL into `target`."""
    problem = git_url_problem(url)
    if problem:
        raise BadInput(f"git URL {url!r} {problem}")
    return process.run(
        ["git", "clone", "-q", "--filter=blob:none", "--no-checkout", "--", url, str(target.resolve())],
        timeout=timeouts.GIT_CLONE_S,
        doing=f"cloning {url} (git clone)",
        env=_env(_NO_PROMPT),
    )


def ls_remote(url: str, refs: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """`git ls-remote` of full ref names (refs/heads/..., refs/tags/...) at an https:// or ssh:// URL."""
    problem = git_url_problem(url)
    if problem:
        raise BadInput(f"git URL {url!r} {problem}")
    for ref in refs:
        _revision(ref.removesuffix("^{}"))  # a peeled tag is asked for as refs/tags/<tag>^{}
    return process.run(
        ["git", "ls-remote", "--end-of-options", url, *refs],
        timeout=timeouts.GIT_LS_REMOTE_S,
        doing=f"asking {url} for {', '.join(refs)} (git ls-remote)",
        env=_env(_NO_PROMPT),
    )
