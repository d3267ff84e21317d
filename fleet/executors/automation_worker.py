"""One Automation API operation for one stack, in this process only. Prints one JSON line.

Run by AutomationExecutor; needs the Pulumi CLI. The local file backend is the default when the user
has not logged in anywhere else.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from components.azure_types import TYPES
from fleet.executors.base import PHASES

# By the token's last part: a versioned token (azure-native:containerservice/v20250901:ManagedCluster) is one too.
PROTECTED = tuple(t.short_name for t in TYPES if t.protected)
DANGEROUS_OPS = {"replace", "delete", "create-replacement", "delete-replaced"}


def main(argv: list[str]) -> int:
    from pulumi import automation as auto

    parser = argparse.ArgumentParser()
    parser.add_argument("operation", choices=["preview", "up", "destroy"])
    parser.add_argument("stack")
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--policy-config", type=Path, required=True)
    parser.add_argument("--parallel", type=int, default=10)
    parser.add_argument("--allow-replace", action="store_true")
    args = parser.parse_args(argv)

    project = args.project_dir.resolve()
    env = {"PULUMI_BACKEND_URL": os.environ.get("PULUMI_BACKEND_URL", "file://~")}
    settings = auto.ProjectSettings(
        name="aksfleet",
        runtime=auto.ProjectRuntimeInfo(name="python", options={"virtualenv": str(project / ".venv")}),
        main=str(project),
        # `config` is the project setting for the stack config folder (stackConfigDir in Pulumi.yaml).
        config=str(project / "stacks"),
    )
    workspace = auto.LocalWorkspace(work_dir=str(args.work_dir), project_settings=settings, env_vars=env)
    stack = auto.Stack.create_or_select(args.stack, workspace)

    # Ctrl-C or a rollout timeout: cancel the update so the stack lock is released, then exit.
    def cancel(*_: object) -> None:
        stack.cancel()
        sys.exit(130)

    signal.signal(signal.SIGTERM, cancel)
    signal.signal(signal.SIGINT, cancel)

    report: dict[str, Any] = {"guard_violations": [], "policy_violations": [], "advisories": [], "errors": []}
    began = time.monotonic()
    phases: dict[str, list[float]] = {}

    def stamp(resource_type: str) -> None:
        phase = PHASES.get(resource_type)
        if phase:
            now = time.monotonic() - began
            span = phases.setdefault(phase, [now, now])
            span[0], span[1] = min(span[0], now), max(span[1], now)

    def on_event(event: Any) -> None:
        outputs = getattr(event, "res_outputs_event", None)
        if outputs is not None:
            stamp(outputs.metadata.type)
        pre = getattr(event, "resource_pre_event", None)
        if pre is not None:
            stamp(pre.metadata.type)
            meta = pre.metadata
            if meta.op.value in DANGEROUS_OPS and meta.type.rsplit(":", 1)[-1] in PROTECTED and not args.allow_replace:
                keys = ", ".join(meta.keys or []) or "unknown property"
                report["guard_violations"].append(
                    f"{meta.type} {meta.urn.rsplit('::', 1)[-1]}: {meta.op.value} ({keys})"
                )
        policy = getattr(event, "policy_event", None)
        if policy is not None:
            line = f"{policy.policy_name} {policy.resource_urn or ''}: {policy.message}"
            bucket = "policy_violations" if policy.enforcement_level == "mandatory" else "advisories"
            report[bucket].append(line)

    options: dict[str, Any] = {
        "policy_packs": [str(project / "policies")],
        "policy_pack_configs": [str(args.policy_config)],
        "on_event": on_event,
        "parallel": args.parallel,
    }
    try:
        if args.operation == "destroy":
            # A drill's temporary stack: protection lives in the state, so an update with protect off must
            # come first; then delete (the cluster's children go with it).
            stack.set_config("aksfleet:protect", auto.ConfigValue("false"))
            stack.up(parallel=args.parallel)
            destroyed = stack.destroy(on_event=on_event, parallel=args.parallel)
            report["changes"] = dict(destroyed.summary.resource_changes or {})
            report["phases"] = phases
            print(json.dumps(report))
            return 0
        preview = stack.preview(**options)
        report["changes"] = {str(k): v for k, v in (preview.change_summary or {}).items()}
        blocked = report["guard_violations"] or report["policy_violations"]
        if args.operation == "up" and not blocked:
            updated = stack.up(**options)
            report["changes"] = dict(updated.summary.resource_changes or {})
            report["outputs"] = {k: (None if v.secret else v.value) for k, v in updated.outputs.items()}
            report["phases"] = phases
        elif args.operation == "up":
            report["errors"].append("not updated: the preview was blocked")
    except auto.ConcurrentUpdateError:
        report["errors"].append("the stack is locked by another update; not breaking a live lock")
    except auto.CommandError as err:
        report["errors"].append(str(err).strip().splitlines()[-1] if str(err).strip() else "pulumi failed")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
