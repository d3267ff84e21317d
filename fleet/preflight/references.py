"""Kustomizations that reach outside the source: found before `kubectl kustomize` is asked to build them.

kustomize-controller builds with kustomize's LoadRestrictionsNone on a file system confined to the source root
(fluxcd/pkg kustomize/kustomize_generator.go @ kustomize/v1.24.0, SecureBuild and Build: "load files from outside the
kustomization dir path (but not outside root)"; kustomize/filesys/fs_secure.go: "asserts any paths it handles to be
inside root"). So a file or folder anywhere in the source loads, and one outside it (`../../../etc/x`, `/etc/x`)
fails. Preflight runs `kubectl kustomize --load-restrictor LoadRestrictionsNone` (build.py), which has no such file
system: it would read any path it is given. So every path the kustomizations of a build name is checked here first,
and a build naming one outside the source is refused, naming it, before kustomize reads anything. The staged source
has no symlinks (stage.py), so a path inside it stays inside.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
# Every other field naming a file to load, at kustomize api v0.20.1 (the kustomize kustomize-controller v1.7.3
# pins): api/types/kustomization.go (crds, configurations, patchesStrategicMerge, openapi.path), patch.go
# (patches[].path, patchesJson6902[].path), replacementfield.go (replacements[].path), kvpairsources.go
# (configMapGenerator/secretGenerator files ("[key=]path"), envs, env), helmchartargs.go (helm's chartHome,
# configHome, valuesFile, additionalValuesFiles: Flux's build disables helm, checked anyway).
FILE_LISTS = ("crds", "configurations", "patchesStrategicMerge")
FILE_ITEMS = {"patches": ("path",), "patchesJson6902": ("path",), "replacements": ("path",)}
GENERATORS = ("configMapGenerator", "secretGenerator")
HELM_ITEMS = {"helmCharts": ("valuesFile",), "helmChartInflationGenerator": ("chartHome", "values")}
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
                if not isinstance(entry, str) or not entry or "\n" in entry:
                    continue  # generators/transformers/validators may hold inline YAML instead of a path
                where = f"{shown}: {key}[{i}]"
                if _CLONES_LOCALLY.search(entry):
                    return (
                        f"{where}: {entry!r} makes kustomize clone a repository from this machine;"
                        " accepted: a path inside the source, or an https or ssh URL"
                    )
                try:
                    target = _inside(root, current, entry)
                except Outside as err:
                    return f"{where}: {entry!r} {err.reason}; accepted: a path inside the source"
                if target.is_dir():
                    pending.append(target)
        for where, entry in _file_paths(document, shown):
            try:
                _inside(root, current, entry)
            except Outside as err:
                return (
                    f"{where}: {entry!r} {err.reason}; Flux reads only inside the source (it was not read);"
                    " accepted: a path inside the source"
                )
    return None


def _inside(root: Path, current: Path, entry: str) -> Path:
    """The path `entry` names from the kustomization folder `current`, when inside `root`; an absolute path never
    is (Flux's root is a temporary folder of its own)."""
    if entry.startswith("/"):
        raise Outside("is an absolute path, outside the source")
    return confine(root, current / entry)


def _file_paths(document: dict[str, Any], shown: str) -> Iterator[tuple[str, str]]:
    """(where, path) for every file a kustomization names outside FOLDER_FIELDS. An entry holding a newline is
    inline content (a patch), not a path."""

    def path(where: str, value: Any) -> Iterator[tuple[str, str]]:
        if isinstance(value, str) and value and "\n" not in value:
            yield where, value

    def items(key: str) -> Iterator[tuple[int, dict[str, Any]]]:
        value = document.get(key)
        for i, item in enumerate(value if isinstance(value, list) else []):
            if isinstance(item, dict):
                yield i, item

    for key in FILE_LISTS:
        value = document.get(key)
        for i, entry in enumerate(value if isinstance(value, list) else []):
            yield from path(f"{shown}: {key}[{i}]", entry)
    openapi = document.get("openapi")
    if isinstance(openapi, dict):
        yield from path(f"{shown}: openapi.path", openapi.get("path"))
    for key, fields in {**FILE_ITEMS, **HELM_ITEMS}.items():
        for i, item in items(key):
            for name in fields:
                yield from path(f"{shown}: {key}[{i}].{name}", item.get(name))
    for i, item in items("helmCharts"):
        extra = item.get("additionalValuesFiles")
        for j, entry in enumerate(extra if isinstance(extra, list) else []):
            yield from path(f"{shown}: helmCharts[{i}].additionalValuesFiles[{j}]", entry)
    helm = document.get("helmGlobals")
    if isinstance(helm, dict):
        for name in ("chartHome", "configHome"):
            yield from path(f"{shown}: helmGlobals.{name}", helm.get(name))
    for key in GENERATORS:
        for i, item in items(key):
            files = item.get("files")
            for j, entry in enumerate(files if isinstance(files, list) else []):
                # "[key=]path" (kvpairsources.go FileSources); the key never holds "=".
                if isinstance(entry, str):
                    yield from path(f"{shown}: {key}[{i}].files[{j}]", entry.split("=", 1)[-1])
            envs = item.get("envs")
            for j, entry in enumerate(envs if isinstance(envs, list) else []):
                yield from path(f"{shown}: {key}[{i}].envs[{j}]", entry)
            yield from path(f"{shown}: {key}[{i}].env", item.get("env"))
