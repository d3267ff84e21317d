"""`kubectl kustomize` a path once per run, whatever asks for it (the benchmark counts builds)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.spec.files import load_yaml_documents
from components.spec.problems import SpecError


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
        self.kubectl = shutil.which("kubectl")

    def build(self, directory: Path, key: tuple[str, str]) -> Build:
        """`key` is (source at ref, path): the same path of the same source is built once per run."""
        if key not in self.cache:
            self.cache[key] = self._build(directory.resolve())
        return self.cache[key]

    def _build(self, directory: Path) -> Build:
        if self.kubectl is None:
            return Build(error="kubectl is not installed (it carries kustomize); install it to build manifests")
        self.builds += 1
        if not (directory / "kustomization.yaml").exists() and not (directory / "kustomization.yml").exists():
            # Flux generates a kustomization for plain manifest folders; do the same.
            return self._plain(directory)
        out = subprocess.run([self.kubectl, "kustomize", str(directory)], capture_output=True, text=True)
        if out.returncode != 0:
            return Build(error=(out.stderr.strip().splitlines() or ["kustomize failed"])[-1])
        return self._parse(out.stdout)

    def _plain(self, directory: Path) -> Build:
        docs = []
        for path in sorted(directory.rglob("*.y*ml")):
            docs.append(path.read_text(encoding="utf-8"))
        return self._parse("\n---\n".join(docs))

    @staticmethod
    def _parse(text: str) -> Build:
        try:
            objects = [d for d in load_yaml_documents(text, "the build") if isinstance(d, dict)]
        except SpecError as err:
            return Build(error="; ".join(p.message for p in err.problems))
        return Build(objects=objects)
