"""Preflight cost: the shipped gitops/ for every shipped stack, and a synthetic repository of N applications.

Prints wall time and the number of kustomize builds (each path of a source at a ref must be built once per
run). Prints figures only. Usage: .venv/bin/python benchmarks/preflight.py [--apps 200]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fleet.preflight import preflight_stack  # noqa: E402
from fleet.preflight.build import Builder  # noqa: E402
from tests.conftest import GIT, stack_document, write_stack  # noqa: E402

APP = """apiVersion: v1
kind: Namespace
metadata:
  name: app-{i:03d}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i:03d}
  namespace: app-{i:03d}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app-{i:03d}}}
  template:
    metadata:
      labels: {{app: app-{i:03d}}}
    spec:
      containers:
        - name: app
          image: ghcr.io/contoso/app-{i:03d}:1.0.{i}
          env:
            - name: CLUSTER
              value: ${{cluster_name}}
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i:03d}
  namespace: app-{i:03d}
spec:
  selector: {{app: app-{i:03d}}}
  ports:
    - port: 80
"""


def synthetic(root: Path, apps: int) -> Path:
    repo = root / "repo"
    shutil.copytree(ROOT / "gitops", repo)
    names = []
    for i in range(apps):
        folder = repo / "apps" / "base" / f"app-{i:03d}"
        folder.mkdir(parents=True)
        (folder / "app.yaml").write_text(APP.format(i=i))
        (folder / "kustomization.yaml").write_text("resources:\n  - app.yaml\n")
        names.append(f"  - ../base/app-{i:03d}")
    prod = repo / "apps" / "prod" / "kustomization.yaml"
    anchor = "  - ../base/podinfo\n"
    text = prod.read_text()
    if anchor not in text:
        raise SystemExit(f"benchmark: {prod} no longer lists {anchor.strip()!r}; update the benchmark")
    prod.write_text(text.replace(anchor, anchor + "\n".join(names) + "\n"))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "synthetic"], cwd=repo, check=True)
    subprocess.run([*GIT, "tag", "v1.0.0"], cwd=repo, check=True)
    document = stack_document("prod-japaneast")
    cluster = document["config"]["aksfleet:cluster"]
    cluster["flux"]["tenants"] = [
        {
            "name": f"team{t}",
            "namespace": f"team{t}",
            "source": {"git": {"url": "https://example.com/contoso/fleet", "ref": {"tag": "v1.0.0"}}},
            "kustomizations": {
                "apps": {
                    "path": "./apps/prod",
                    "postBuild": {"substitute": {"cluster_name": "aks-prod-jpe", "environment": "prod"}},
                }
            },
        }
        for t in range(3)
    ]
    git = cluster["flux"]["platform"]["source"]["git"]
    git.update(url="https://example.com/contoso/fleet", ref={"tag": "v1.0.0"})
    git.pop("auth")
    write_stack(root / "stacks", "synthetic", document)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=200)
    args = parser.parse_args()
    for stack in ("dev", "staging", "prod-japaneast", "prod-japanwest"):
        builder = Builder()
        start = time.perf_counter()
        report = preflight_stack(ROOT / "stacks", stack, builder=builder)
        print(
            f"shipped gitops/ for {stack:<15} {time.perf_counter() - start:5.2f} s, {builder.builds} builds, "
            f"{len(report.findings)} finding(s)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        repo = synthetic(Path(tmp), args.apps)
        builder = Builder()
        start = time.perf_counter()
        report = preflight_stack(Path(tmp) / "stacks", "synthetic", repo=str(repo), builder=builder)
        wall = time.perf_counter() - start
        objects = sum(len(b.objects) for b in builder.cache.values())
    paths = len(builder.cache)
    print(
        f"synthetic repo, {args.apps} applications ({objects} objects; the platform and 3 tenants share "
        f"./apps/prod): {wall:.2f} s, {builder.builds} builds for {paths} distinct paths — "
        f"{'no path built twice' if builder.builds == paths else 'SOME PATH BUILT TWICE'}; "
        f"{len([f for f in report.findings if f.enforcement == 'mandatory'])} mandatory finding(s)"
    )


if __name__ == "__main__":
    main()
