"""The git repository a folder belongs to."""

from __future__ import annotations

import re
from pathlib import Path

from . import git

# Git names an object by 40 hex digits (SHA-1) or 64 (SHA-256): git's Documentation/technical/
# hash-function-transition.txt, "Object names" (https://git-scm.com/docs/hash-function-transition).
OBJECT_NAME = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def repo_root(folder: Path) -> Path:
    """The top of the enclosing git work tree, or the folder's parent outside one."""
    return git.toplevel(folder) or folder.resolve().parent


def head_commit(folder: Path) -> str | None:
    """The commit checked out in the repository around `folder`; None outside a repository, without git,
    or when git does not answer with one full object name.

    `rev-parse --verify` prints exactly one object name or fails (git-rev-parse(1), --verify:
    https://man.archlinux.org/man/git-rev-parse.1); `HEAD` is a fixed argument, never user text.
    """
    commit = git.head(folder)
    return commit if commit is not None and OBJECT_NAME.fullmatch(commit) else None
