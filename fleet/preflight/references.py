"""Kustomizations that reach outside the source: found before `kubectl kustomize` is asked to build them.

kustomize-controller builds on a file system confined to the source root (fluxcd/pkg kustomize/filesys/fs_secure.go:
"a secure file system which asserts any paths it handles to be inside root"), so a base outside it fails there.
`kubectl kustomize` has no such confinement: its default load restrictor keeps *files* in or below the
kustomization's folder ("security; file ... is not in or below", kustomize api/internal/loader/loadrestrictions.go
RestrictionRootOnly), but a *folder* named in `resources` (or `components`, ...) becomes a new loader root wherever
it is, refused only when absolute or an ancestor (kustomize api/internal/loader/fileloader.go, New). So preflight
walks the kustomizations a build will load and refuses any folder reference that leaves the source, before kustomize
reads it. The staged source has no symlinks (stage.py), so files stay confined by kustomize's own restrictor.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from components.spec.confine import Outside, confine
from components.spec.files import read_yaml
from components.spec.problems import SpecError

# "kustomization.yaml", "kustomization.yml", "Kustomization" (kustomize api/konfig/general.go,
# RecognizedKustomizationFileNames).
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Fields whose entries may name another kustomization folder: resources ("other kustomizations via relative paths,
# absolute paths, or URLs"), components, the deprecated bases (kustomize api/types/kustomization.go). Generators,
# transformers and validators are documented there as "a list of files"; they are checked too, conservatively (a
# file inside the source passes, and preflight did not confirm whether kustomize also loads folders from them).
FOLDER_FIELDS = ("resources", "bases", "components", "generators", "transformers", "validators")
# Remote bases, by the host prefixes kustomize's URL parser strips (kustomize api/internal/git/repospec.go
# parseHostSpec: "git::", "gh:", "ssh://", "https://", "http://", "git@", "github.com:", "github.com/"). They are
# fetched over the network, not read from this machine; a `git::` followed by anything but a network URL would
# clone a local path, and so does a `_git/` path (parseGitUrl), so those are not treated as remote.
_REMOTE = re.compile(r"^(?:git::)?(?:https?|ssh)://|^git@[^/:]+[:/]|^github\.com[:/]|^gh:", re.IGNORECASE)
_CLONES_LOCALLY = re.compile(r"^git::|^file:|_git/", re.IGNORECASE)


def kustomization_file(folder: Path) -> Path | None:
    return next((folder / n for n in KUSTOMIZATION_FILES if (folder / n).is_file()), None)


def outside_reference(root: Path, folder: Path) -> str | None:
    """The first reference of the kustomizations a build of `folder` loads that leaves `root`, as one line
    naming the kustomization file (relative to the root) and the entry; None when every local one stays inside."""
    return _walk(root, folder, [])


def remote_references(root: Path, folder: Path) -> list[str]:
    """The remote bases (URLs kustomize fetches) of the kustomizations a build of `folder` loads."""
    remotes: list[str] = []
    _walk(root, folder, remotes)
    return remotes


def _walk(root: Path, folder: Path, remotes: list[str]) -> str | None:
    pending, seen = [folder], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        file = kustomization_file(current)
        if file is None:
            continue  # a folder without a kustomization: kustomize refuses it; nothing is read through it
        shown = file.relative_to(root).as_posix()
        try:
            document: Any = read_yaml(file, shown)
        except SpecError as err:
            return "; ".join(str(p) for p in err.problems)
        if not isinstance(document, dict):
            continue  # kustomize refuses it before loading anything it names
        for key in FOLDER_FIELDS:
            entries = document.get(key)
            for i, entry in enumerate(entries if isinstance(entries, list) else []):
                if isinstance(entry, str) and _REMOTE.match(entry):
                    remotes.append(entry)
                    continue
                if not isinstance(entry, str) or not entry:
                    continue
                where = f"{shown}: {key}[{i}]"
                if _CLONES_LOCALLY.search(entry):
                    return (
                        f"{where}: {entry!r} makes kustomize clone a repository from this machine;"
                        " accepted: a path inside the source, or an https or ssh URL"
                    )
                try:
                    target = confine(root, current / entry)
                except Outside as err:
                    return f"{where}: {entry!r} {err.reason}; accepted: a path inside the source"
                if target.is_dir():
                    pending.append(target)
    return None
