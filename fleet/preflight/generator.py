"""Flux's kustomization generator, for a path that has no kustomization file.

fluxcd/pkg kustomize/kustomize_generator.go @ kustomize/v1.24.0 (kustomize-controller v1.7.3 go.mod),
`generateKustomization` and `scanManifests`:
- a folder holding any of kustomize's recognised names (`kustomization.yaml`, `kustomization.yml`, the extensionless
  `Kustomization`: kustomize api/konfig/general.go `RecognizedKustomizationFileNames` @ api/v0.20.1) is not generated;
- the folder is walked in name order; a sub-folder holding a kustomization file is added as a resource (kustomize
  then builds it, transformers and all) and not descended into; every other sub-folder is walked;
- only files whose extension is `.yaml` or `.yml` are taken; each must decode as Kubernetes YAML (kustomize's
  `ResourceFactory.SliceFromBytes`, api/resource/factory.go @ api/v0.20.1: every non-empty document a mapping with a
  `kind` and, unless the kind ends in `List`, a `metadata.name`; no empty list item), else the build fails with
  "failed to decode Kubernetes YAML from <file>";
- the resources are written as `./<path>`; with none, a `_placeholder` namespace keeps kustomize from refusing an
  empty kustomization.
The generator's own ignore patterns are not used by kustomize-controller (`NewGenerator`, not
`NewGeneratorWithIgnore`): what source-controller left out of the artifact is already absent (stage.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from components.spec.files import load_yaml_documents, read_text
from components.spec.problems import SpecError

from .references import KUSTOMIZATION_FILES, kustomization_file

GENERATED = KUSTOMIZATION_FILES[0]  # konfig.DefaultKustomizationFileName()


def generate(directory: Path, root: Path) -> Path | str:
    """Write the kustomization Flux would generate into `directory` (a staged copy) and return its path, or the
    reason the generator fails, naming the file (relative to `root`)."""
    resources: list[Path] = []
    for path in _scan(directory):
        if path.is_dir():
            resources.append(path)
            continue
        shown = path.relative_to(root).as_posix()
        problem = _not_kubernetes(path, shown)
        if problem:
            return f"failed to decode Kubernetes YAML from {shown}: {problem}"
        resources.append(path)
    document: dict[str, Any] = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
    if resources:
        document["resources"] = ["./" + p.relative_to(directory).as_posix() for p in resources]
    else:
        document["namespace"] = "_placeholder"
    target = directory / GENERATED
    try:
        target.write_text(json.dumps(document, indent=2) + "\n")
    except OSError as err:  # e.g. a folder named kustomization.yaml: Flux's fs.Create fails too
        return f"cannot generate a kustomization in {directory.relative_to(root).as_posix() or '.'}: {err.strerror}"
    return target


def _scan(base: Path) -> list[Path]:
    """filepath.Walk order (names sorted, depth first), with scanManifests' rules for folders and extensions."""
    found: list[Path] = []
    pending = [base]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
        subfolders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(path)
            elif entry.is_file(follow_symlinks=False) and _go_ext(entry.name) in (".yaml", ".yml"):
                found.append(path)
        # A folder is visited where Walk reaches it: before the names that sort after it. Sorting the whole list
        # by path parts afterwards gives the same order.
        for sub in subfolders:
            if kustomization_file(sub) is not None:
                found.append(sub)
            else:
                pending.append(sub)
    return sorted(found, key=lambda p: p.relative_to(base).parts)


def _not_kubernetes(path: Path, shown: str) -> str | None:
    try:
        documents = load_yaml_documents(read_text(path, shown), shown)
    except SpecError as err:
        return "; ".join(p.message for p in err.problems)
    for document in documents:
        if document is None or document == {} or document == []:
            continue  # IsNilOrEmpty: dropped
        if not isinstance(document, dict):
            return "a document is not a mapping (a Kubernetes object)"
        kind = document.get("kind")
        if not isinstance(kind, str) or not kind:
            return "missing kind in object"
        metadata = document.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if not kind.endswith("List") and (not isinstance(name, str) or not name):
            return "missing metadata.name in object"
        if _nil_in_list(document):
            return "empty item in a list"
    return None


def _nil_in_list(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_nil_in_list(v) for v in value.values())
    if isinstance(value, list):
        return any(item is None or _nil_in_list(item) for item in value)
    return False


def _go_ext(name: str) -> str:
    """Go's filepath.Ext: from the last dot on, so `.yaml` itself is a YAML file (os.path.splitext says no)."""
    return name[name.rindex(".") :] if "." in name else ""
