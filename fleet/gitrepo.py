"""The git repository a folder belongs to."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# Git names an object by 40 hex digits (SHA-1) or 64 (SHA-256): git's Documentation/technical/
# hash-function-transition.txt, "Object names" (https://git-scm.com/docs/hash-function-transition).
OBJECT_NAME = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
GIT_TIMEOUT = 30.0  # seconds; a local rev-parse answers at once, a wedged one must not hang a rollout


def repo_root(folder: Path) -> Path:
    """The top of the enclosing git work tree, or the folder's parent outside one."""
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True, text=True)
    return Path(top.stdout.strip()) if top.returncode == 0 else folder.resolve().parent


def head_commit(folder: Path) -> str | None:
    """The commit checked out in the repository around `folder`; None outside a repository, without git,
    or when git does not answer with one full object name.

    `rev-parse --verify` prints exactly one object name or fails (git-rev-parse(1), --verify:
    https://man.archlinux.org/man/git-rev-parse.1); `HEAD` is a fixed argument, never user text.
    """
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--verify", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and OBJECT_NAME.fullmatch(commit) else None
