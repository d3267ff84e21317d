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
from components.spec.files import load_yaml_documents, read_text, read_yaml
from components.spec.problems import SpecError

# "kustomization.yaml", "kustomization.yml", "Kustomization" (kustomize api/konfig/general.go,
# RecognizedKustomizationFileNames).
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Fields whose entries may name another kustomization folder: resources ("other kustomizations via relative paths,
# absolute paths, or URLs"), components, the deprecated bases (kustomize api/types/kustomization.go); generators,
# transformers and validators take, per entry, inline YAML or else a file or a folder (kustomize
# api/internal/target/kusttarget.go configureExternalGenerators/configureExternalTransformers, "handle inline
# generators" then `accumulateResources`; the configurations load their files through the kustomization's own
# loader, `LoadGenerators(kt.ldr, ...)`).
FOLDER_FIELDS = ("resources", "bases", "components", "generators", "transformers", "validators")
# Their entries are plugin configurations: inline YAML, a file of them, or a folder whose build gives them.
PLUGIN_FIELDS = ("generators", "transformers", "validators")
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
    naming the kustomization file (relative to the root) and the entry; None when every local one stays inside.
    Folders used as generators/transformers/validators are not covered here: their configurations are what their
    build gives, so the builder checks those with `plugin_folders` and `config_escape`."""
    return _walk(root, folder, [], [])


def remote_references(root: Path, folder: Path) -> list[str]:
    """The remote bases (URLs kustomize fetches) of the kustomizations a build of `folder` loads."""
    remotes: list[str] = []
    _walk(root, folder, remotes, [])
    return remotes


def plugin_folders(root: Path, folder: Path) -> list[tuple[Path, Path]]:
    """(folder, kustomization folder) for each folder named under generators/transformers/validators by the
    kustomizations a build of `folder` loads: kustomize builds it and takes the objects as plugin configurations,
    whose files the naming kustomization's loader reads (kustomize api/krusty/kusttarget.go
    configureExternalGenerators / configureExternalTransformers, `accumulateResources` of the non-inline entries)."""
    folders: list[tuple[Path, Path]] = []
    _walk(root, folder, [], folders)
    return folders


def _walk(root: Path, folder: Path, remotes: list[str], plugin_dirs: list[tuple[Path, Path]]) -> str | None:
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
                if not isinstance(entry, str) or not entry:
                    continue
                where = f"{shown}: {key}[{i}]"
                if key in PLUGIN_FIELDS:
                    # An entry that parses as objects is an inline plugin configuration (kusttarget.go: "handle
                    # inline generators", NewResMapFromBytes before treating the entry as a path).
                    inline = inline_configs(entry, where)
                    if inline is not None:
                        if problem := config_escape(root, current, inline, f"{where} (inline)"):
                            return problem
                        continue
                if _REMOTE.match(entry):
                    remotes.append(entry)
                    continue
                try:
                    target = _inside(root, current, entry)
                except Outside as err:
                    return f"{where}: {entry!r} {err.reason}; accepted: a path inside the source"
                # A folder of the source is what the entry names, even with `_git/` in its name; otherwise these
                # spellings make kustomize clone (parseGitUrl), from this machine.
                if not target.exists() and _CLONES_LOCALLY.search(entry):
                    return (
                        f"{where}: {entry!r} makes kustomize clone a repository from this machine;"
                        " accepted: a path inside the source, or an https or ssh URL"
                    )
                if target.is_dir():
                    pending.append(target)
                    if key in PLUGIN_FIELDS:
                        plugin_dirs.append((target, current))
                elif key in PLUGIN_FIELDS and target.is_file():
                    configs = _file_configs(target, root)
                    if isinstance(configs, str):
                        return configs
                    if problem := config_escape(root, current, configs, where):
                        return problem
        for where, entry in _file_paths(document, shown):
            try:
                _inside(root, current, entry)
            except Outside as err:
                return (
                    f"{where}: {entry!r} {err.reason}; Flux reads only inside the source (it was not read);"
                    " accepted: a path inside the source"
                )
    return None


def inline_configs(entry: str, where: str) -> list[dict[str, Any]] | None:
    """The objects an entry holds when it is inline YAML, None when it is a path (a scalar, or not YAML)."""
    try:
        documents = load_yaml_documents(entry, where)
    except SpecError:
        return None
    if not documents or not all(isinstance(d, dict) for d in documents):
        return None
    return [d for d in documents if isinstance(d, dict)]


def _file_configs(path: Path, root: Path) -> list[dict[str, Any]] | str:
    shown = path.relative_to(root).as_posix()
    try:
        documents = load_yaml_documents(read_text(path, shown), shown)
    except SpecError as err:
        return "; ".join(str(p) for p in err.problems)
    return [d for d in documents if isinstance(d, dict)]


def config_escape(root: Path, loader_folder: Path, configs: list[dict[str, Any]], where: str) -> str | None:
    """The first file a builtin plugin configuration names outside `root`, as one line; `loader_folder` is the
    folder of the kustomization that uses the configuration (its loader resolves the paths)."""
    for config in configs:
        name = config.get("metadata", {}).get("name") if isinstance(config.get("metadata"), dict) else None
        label = f"{where} {config.get('kind')} {name}"
        for field_name, entry in _plugin_file_paths(config):
            try:
                _inside(root, loader_folder, entry)
            except Outside as err:
                return (
                    f"{label}: {field_name} {entry!r} {err.reason}; Flux reads only inside the source (it was not"
                    " read); accepted: a path inside the source"
                )
    return None


def _plugin_file_paths(config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, path) for each file a builtin plugin's configuration makes the loader read, by kind (kustomize
    api/internal/builtins @ api/v0.20.1): ConfigMapGenerator and SecretGenerator (types.KvPairSources `files`
    "[key=]path", `envs`, `env`), PatchTransformer and PatchJson6902Transformer `path`,
    PatchStrategicMergeTransformer `paths` (each tried as content first, then as a file), ReplacementTransformer
    `replacements[].path`, HelmChartInflationGenerator (`chartHome`, `configHome`, `valuesFile`,
    `additionalValuesFiles`). Other builtins read no file; a kind that is not builtin is an external plugin, which
    kubectl kustomize refuses without --enable-alpha-plugins."""

    def one(field_name: str, value: Any) -> Iterator[tuple[str, str]]:
        if isinstance(value, str) and value and "\n" not in value:
            yield field_name, value

    def many(field_name: str, value: Any) -> Iterator[tuple[str, str]]:
        for i, entry in enumerate(value if isinstance(value, list) else []):
            yield from one(f"{field_name}[{i}]", entry)

    kind = config.get("kind")
    if kind in ("ConfigMapGenerator", "SecretGenerator"):
        files = config.get("files")
        for i, entry in enumerate(files if isinstance(files, list) else []):
            if isinstance(entry, str):
                yield from one(f"files[{i}]", entry.split("=", 1)[-1])
        yield from many("envs", config.get("envs"))
        yield from one("env", config.get("env"))
    elif kind in ("PatchTransformer", "PatchJson6902Transformer"):
        yield from one("path", config.get("path"))
    elif kind == "PatchStrategicMergeTransformer":
        yield from many("paths", config.get("paths"))
    elif kind == "ReplacementTransformer":
        replacements = config.get("replacements")
        for i, item in enumerate(replacements if isinstance(replacements, list) else []):
            if isinstance(item, dict):
                yield from one(f"replacements[{i}].path", item.get("path"))
    elif kind == "HelmChartInflationGenerator":
        for name in ("chartHome", "configHome", "valuesFile"):
            yield from one(name, config.get(name))
        yield from many("additionalValuesFiles", config.get("additionalValuesFiles"))


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
