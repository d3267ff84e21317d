"""The Automation API executor: `pulumi preview`/`pulumi up` for one stack, in its own OS process and its
own workspace directory.

Python inline programs share global state and LocalWorkspace writes the selected stack into a shared
file (pulumi/pulumi#6052, #8186), so parallel stacks in one process corrupt each other. Each operation
here runs `python -m fleet.executors.automation_worker` in a fresh process with a per-stack work dir.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fleet import process, timeouts
from fleet.errors import BadInput

from .base import Preview, UpResult


class AutomationExecutor:
    name = "automation"

    def __init__(
        self,
        project_dir: Path,
        *,
        policy_config_for: Callable[[str], Path],
        work_root: Path | None = None,
        allow_replace: bool = False,
        parallel: int = 10,
    ) -> None:
        self.project_dir = project_dir
        self.policy_config_for = policy_config_for
        self.work_root = work_root or project_dir / ".fleet" / "workspaces"
        self.allow_replace = allow_replace
        self.parallel = parallel

    @staticmethod
    def available() -> bool:
        return shutil.which("pulumi") is not None

    def _run(self, operation: str, stack: str) -> dict[str, Any]:
        work_dir = self.work_root / stack
        work_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "fleet.executors.automation_worker",
            operation,
            stack,
            "--project-dir",
            str(self.project_dir),
            "--work-dir",
            str(work_dir),
            "--policy-config",
            str(self.policy_config_for(stack)),
            "--parallel",
            str(self.parallel),
        ]
        if self.allow_replace:
            command.append("--allow-replace")
        # The worker cancels its update on SIGTERM/SIGINT, so an interrupted rollout leaves no stale lock: it stays
        # in our process group (a terminal Ctrl-C reaches it), gets SIGTERM if this process dies or the limit
        # passes, and is given the time to cancel before SIGKILL.
        try:
            result = process.run(
                command,
                timeout=timeouts.AUTOMATION_WORKER_S,
                doing=f"{operation} of {stack}",
                tool="the automation worker",
                own_group=False,
                death_signal=signal.SIGTERM,
                grace=timeouts.CANCEL_GRACE_S,
            )
        except BadInput as err:
            return {"errors": err.lines}
        try:
            return json.loads(result.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            tail = result.stderr.strip().splitlines()[-3:] or [f"worker exited {result.returncode}"]
            return {"errors": tail}

    def preview(self, stack: str) -> Preview:
        data = self._run("preview", stack)
        return Preview(
            changes=data.get("changes", {}),
            policy_violations=data.get("policy_violations", []),
            guard_violations=data.get("guard_violations", []),
            errors=data.get("errors", []),
            advisories=data.get("advisories", []),
        )

    def up(self, stack: str) -> UpResult:
        return self._result(self._run("up", stack))

    def destroy(self, stack: str) -> UpResult:
        return self._result(self._run("destroy", stack))

    @staticmethod
    def _result(data: dict[str, Any]) -> UpResult:
        errors = data.get("errors", [])
        phases = {name: (float(span[0]), float(span[1])) for name, span in data.get("phases", {}).items()}
        return UpResult(
            ok=not errors,
            summary=data.get("changes", {}),
            outputs=data.get("outputs", {}),
            detail="; ".join(errors),
            phases=phases,
        )
