"""The offline executor: the in-process plan, run in its own OS process per stack.

It previews (plan, policy over gRPC, guard against a base ref) but cannot update: there is no cloud
here. `fleet rollout --dry-run` uses it for every stack.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fleet import git, process, timeouts
from fleet.errors import BadInput

from .base import Preview, UpResult


class OfflineExecutor:
    name = "offline"

    def __init__(self, stacks_dir: Path, *, base: str | None = None, allow_replace: bool = False) -> None:
        self.stacks_dir = stacks_dir
        # Checked here, before any stack starts: the child would refuse it too, once per stack.
        self.base = None if base is None else git.checked_revision(base, "--base")
        self.allow_replace = allow_replace

    def preview(self, stack: str) -> Preview:
        command = [sys.executable, "-c", "from fleet.cli import app; app()", "plan", "-s", stack, "--json", "-"]
        command += ["--stacks-dir", str(self.stacks_dir)]
        if self.base:
            command += ["--base", self.base]
        if self.allow_replace:
            command.append("--allow-replace")
        try:
            # Our own child, in our process group (Ctrl-C reaches it); it dies with this process.
            result = process.run(
                command,
                timeout=timeouts.PLAN_CHILD_S,
                doing=f"previewing {stack}",
                tool="fleet plan",
                own_group=False,
            )
        except BadInput as err:  # this stack fails; the rollout's failure threshold decides the rest
            return Preview(errors=err.lines)
        if result.returncode == 2 or not result.stdout.strip():
            lines = result.stderr.strip().splitlines() or [f"fleet plan exited {result.returncode}"]
            return Preview(errors=lines)
        return preview_from_plan_json(json.loads(result.stdout))

    def up(self, stack: str) -> UpResult:
        return UpResult(ok=False, detail="the offline executor cannot update: use --dry-run, or install the Pulumi CLI")

    def destroy(self, stack: str) -> UpResult:
        return UpResult(ok=False, detail="the offline executor cannot destroy: install the Pulumi CLI")


def preview_from_plan_json(data: dict[str, Any]) -> Preview:
    changes: dict[str, int] = {}
    for change in data.get("changes", []):
        changes[change["op"]] = changes.get(change["op"], 0) + 1
    if data.get("base") is None:
        changes = {"create": sum(1 for r in data["resources"] if r["type"].startswith("azure-native:"))}
    findings = data.get("findings", [])
    return Preview(
        changes=changes,
        policy_violations=[
            f"{f['rule']} {f['resource']}: {f['message']}" for f in findings if f["enforcement"] == "mandatory"
        ],
        advisories=[
            f"{f['rule']} {f['resource']}: {f['message']}" for f in findings if f["enforcement"] != "mandatory"
        ],
        guard_violations=[f"{g['resource']}: {g['op']} ({', '.join(g['reasons'])})" for g in data.get("guard", [])],
        errors=[f"{e['resource']}: {e['property']}: {e['message']}" for e in data.get("errors", [])],
    )
