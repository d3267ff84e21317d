"""The Pulumi program: load the spec of the current stack, declare the stamp, export its outputs.

`__main__.py` calls `main()` under `pulumi up`; the offline plan calls the very same function in-process
under Pulumi's mock monitor. Nothing here knows which of the two is running.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pulumi
from pydantic import BaseModel

from .gitops_cluster import GitOpsCluster, GitOpsClusterArgs
from .spec import NAMESPACE, SecretRef, SpecError, load_stack
from .spec.secrets import secret_paths

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main(stacks_dir: Path | None = None) -> GitOpsCluster:
    stack = pulumi.get_stack()
    try:
        loaded = load_stack(stacks_dir or PROJECT_DIR / "stacks", stack)
    except SpecError as err:
        # One line per problem, no traceback; Pulumi reports the program as failed.
        for problem in err.problems:
            pulumi.log.error(str(problem))
        sys.exit(2)
    spec = loaded.spec
    protect = pulumi.Config().get_bool("protect")
    stamp = GitOpsCluster(
        spec.name,
        GitOpsClusterArgs(
            spec=spec, secrets=resolve_secrets(spec), protect=loaded.protect if protect is None else protect
        ),
    )
    for key, value in stamp.outputs.items():
        pulumi.export(key, value)
    return stamp


def resolve_secrets(spec: BaseModel) -> dict[SecretRef, pulumi.Output[str]]:
    """Each SecretRef's plaintext, read by key path from the decrypted cluster config, kept secret."""
    refs = dict(secret_paths(spec))
    if not refs:
        return {}
    decrypted = pulumi.Config(NAMESPACE).require_secret_object("cluster")
    return {ref: _secret_at(decrypted, path) for ref, path in refs.items()}


def _secret_at(decrypted: pulumi.Output[Any], path: tuple[Any, ...]) -> pulumi.Output[str]:
    return decrypted.apply(lambda data: str(_get_path(data, path)))


def _get_path(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data
