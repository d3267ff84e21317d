"""One stack through the rollout: preview (plan + policy + guard) → up → health gate.

Each phase is timed; the first that fails stops the stack and names itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from components.spec.redact import redact_text
from fleet.executors.base import Executor
from fleet.health.flux_gate import GateResult

Gate = Callable[[str], GateResult]
NO_CHANGES = "no changes"


@dataclass
class StackOutcome:
    stack: str
    ok: bool
    phase: str  # the last phase reached: preview, policy, guard, up, gate, done
    detail: str = ""
    durations: dict[str, float] = field(default_factory=dict)
    advisories: list[str] = field(default_factory=list)
    deployed: bool = False  # `up` ran and the gate passed: only this makes the journal record `succeeded`

    def __post_init__(self) -> None:
        # Details quote Pulumi, git and Azure output: redacted once here, they reach the console and the journal clean.
        self.detail = redact_text(self.detail)
        self.advisories = [redact_text(a) for a in self.advisories]


def run_stack(stack: str, executor: Executor, gate: Gate | None, *, dry_run: bool) -> StackOutcome:
    durations: dict[str, float] = {}

    def timed(phase: str, start: float) -> None:
        durations[phase] = round(time.monotonic() - start, 3)

    start = time.monotonic()
    preview = executor.preview(stack)
    timed("preview", start)
    if preview.errors:
        return StackOutcome(stack, False, "preview", "; ".join(preview.errors), durations)
    if preview.policy_violations:
        detail = f"{len(preview.policy_violations)} mandatory finding(s): " + "; ".join(preview.policy_violations[:3])
        return StackOutcome(stack, False, "policy", detail, durations, preview.advisories)
    if preview.guard_violations:
        return StackOutcome(stack, False, "guard", "; ".join(preview.guard_violations), durations, preview.advisories)
    # "same" (the CLI's unchanged count) is not a change: a stack with only unchanged resources has nothing to do.
    changed = {op: n for op, n in sorted(preview.changes.items()) if n and op != "same"}
    changes = ", ".join(f"{op} {n}" for op, n in changed.items()) or NO_CHANGES
    if dry_run:
        detail = f"would {changes}" if changed else NO_CHANGES
        return StackOutcome(stack, True, "done", detail, durations, preview.advisories)

    start = time.monotonic()
    result = executor.up(stack)
    timed("up", start)
    if not result.ok:
        return StackOutcome(stack, False, "up", result.detail, durations, preview.advisories)
    if gate is not None:
        start = time.monotonic()
        health = gate(stack)
        timed("gate", start)
        if not health.passed:
            failing = "; ".join(str(s) for s in health.failing[:5])
            detail = health.reason + (f" — failing: {failing}" if failing else "")
            return StackOutcome(stack, False, "gate", detail, durations, preview.advisories)
    return StackOutcome(stack, True, "done", changes, durations, preview.advisories, deployed=True)
