"""Render scaffolds. Pure functions of their inputs; writing (and refusing to overwrite) is the CLI's job."""

from __future__ import annotations

import io
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from ruamel.yaml import YAML

from components.spec import CLUSTER_KEY
from components.spec.files import load_yaml
from components.spec.names import name_problem
from fleet.errors import BadInput

_ENV = Environment(
    loader=PackageLoader("fleet.scaffold", "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)  # YAML, not HTML


def overlay(environment: str, *, chart_version: str = "6.7.1") -> str:
    # The name becomes a folder (gitops/apps/<env>) and a kustomization path: the one name grammar.
    problem = name_problem(environment)
    if problem:
        raise BadInput(f"environment name {problem}")
    pinned = environment.startswith("prod")
    return _ENV.get_template("overlay.yaml.j2").render(
        environment=environment, pinned=pinned, chart_version=chart_version, replicas=3 if pinned else 1
    )


def cluster_stack(
    source_text: str,
    *,
    source: str,
    stack: str,
    cluster_name: str,
    environment: str | None,
    overlay: str | None = None,
) -> str:
    document: Any = load_yaml(source_text, f"Pulumi.{source}.yaml")
    cluster = document["config"][CLUSTER_KEY]
    old_name = cluster["name"]
    cluster["name"] = cluster_name
    cluster.pop("resourceGroup", None)
    # A suppression accepts a finding for one resource of the source cluster, reviewed for it: a new cluster
    # starts without any (its own are reviewed when added).
    cluster.pop("suppressions", None)
    if environment:
        cluster["environment"] = environment
    env = cluster["environment"]
    for configuration in [cluster["flux"]["platform"], *cluster["flux"].get("tenants", [])]:
        for kustomization in configuration.get("kustomizations", {}).values():
            # The apps overlay: the one named, else the environment's when the environment changes.
            if (overlay or environment) and str(kustomization.get("path", "")).startswith("./apps/"):
                kustomization["path"] = f"./apps/{overlay or env}"
            substitute = (kustomization.get("postBuild") or {}).get("substitute") or {}
            for key, value in list(substitute.items()):
                if value == old_name:
                    substitute[key] = cluster_name
                elif key == "environment":
                    substitute[key] = env
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump(cluster, out)
    return _ENV.get_template("stack.yaml.j2").render(
        description=f"{env} cluster {cluster_name}, derived from the {source} stack.",
        stack=stack,
        source=source,
        cluster=out.getvalue().rstrip("\n"),
    )
