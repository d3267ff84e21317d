"""Confinement: resolve a path the way the operating system will, and say whether it stays inside a root.

Committed files name paths (`localSources` folders in fleet.yaml, kustomization paths in stack files, bases in
kustomization.yaml, symlinks in the GitOps repository). Checking such a path as text is not enough: a symlink or a
`..` can take a harmless-looking path anywhere. Every place that reads a path it did not choose asks `confine` first,
and reads only what it returns.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

# One part of a relative folder: a file name that no command reads as an option (no leading `-`) and no git pathspec
# magic (`:`), neither `.` nor `..`.
_PART = re.compile(r"^(?!\.\.?$)[A-Za-z0-9._][A-Za-z0-9._-]*$")
ACCEPTED_FOLDER = "a folder of this repository, relative to its root, e.g. 'gitops' or 'deploy/gitops'"


class Outside(Exception):
    """The path leaves the root, or never resolves (a symlink loop); `reason` says which, in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


LEAVES = "leaves the source"
LOOPS = "never resolves (a symlink loop)"


def confine(root: Path, path: Path) -> Path:
    """`path` with every symlink and `..` resolved, when that stays inside `root`; else raises Outside.

    Resolving follows links but reads nothing: only link texts and directory entries are looked at, never the
    content of a file. The answer holds while nobody changes the tree concurrently (the same limit Flux states for
    its own check: fluxcd/pkg tar/symlinks.go, ResolveSymlinksRoot).
    """
    base = Path(os.path.realpath(root))
    # realpath never raises: on a loop it stops and returns a path that still contains a link (stat says ELOOP).
    real = Path(os.path.realpath(path if path.is_absolute() else root / path))
    if not real.is_relative_to(base):
        raise Outside(LEAVES)
    try:
        os.stat(real)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise Outside(LOOPS) from None
        # Missing is not outside: the caller decides what a missing path means.
    return real


def relative_folder_problem(text: str) -> str | None:
    """Why `text` is not a clean relative folder name (one line, saying what is accepted), or None when it is."""
    if not text:
        return f"an empty folder; accepted: {ACCEPTED_FOLDER}"
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", text):
        return f"{text!r} is an absolute path; accepted: {ACCEPTED_FOLDER}"
    parts = text.rstrip("/").split("/")
    if ".." in parts:
        return f"{text!r} climbs out with '..'; accepted: {ACCEPTED_FOLDER}"
    if text.startswith("-"):
        return f"{text!r} starts with '-' (a command would read it as an option); accepted: {ACCEPTED_FOLDER}"
    bad = next((p for p in parts if not _PART.match(p)), None)
    if bad is not None:
        return f"{text!r} has the part {bad!r} (not only letters, digits, '.', '_', '-'); accepted: {ACCEPTED_FOLDER}"
    return None
