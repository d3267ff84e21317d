"""Re-create a cluster from Git and measure the recovery: derive → up → first full reconciliation.

The timeline has the phases an operator reasons about during an outage: spec derivation, resource
group, cluster, extension, flux configuration, first full reconciliation (the platform configuration and
every kustomization Compliant at the expected commit), and the total. Phase spans come from the
executor's resource events, so parallel work shows as overlapping spans, not as a sum.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fleet.executors.base import Executor
from fleet.health.flux_gate import GateResult

PHASE_ORDER = (
    "spec derivation",
    "resource group",
    "identity",
    "monitoring",
    "cluster",
    "extension",
    "flux configuration",
    "first full reconciliation",
)


@dataclass
class Timeline:
    stack: str
    ok: bool
    # phase -> (start, end), seconds since the recovery began
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    total: float = 0.0
    detail: str = ""
    failing: list[str] = field(default_factory=list)

    def duration(self, phase: str) -> float:
        start, end = self.phases[phase]
        return end - start

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "ok": self.ok,
            "total": round(self.total, 3),
            "phases": {
                p: {"start": round(s, 3), "end": round(e, 3), "seconds": round(e - s, 3)}
                for p, (s, e) in self.ordered()
            },
            "detail": self.detail,
            "failing": self.failing,
        }

    def ordered(self) -> list[tuple[str, tuple[float, float]]]:
        return sorted(self.phases.items(), key=lambda kv: PHASE_ORDER.index(kv[0]) if kv[0] in PHASE_ORDER else 99)


def recreate(
    derive: Callable[[], str],
    executor: Executor,
    gate: Callable[[str], GateResult],
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Timeline:
    """`derive` writes the DR stack file and returns the stack's name."""
    began = clock()
    timeline = Timeline("", ok=False)

    def span(phase: str, start: float) -> None:
        timeline.phases[phase] = (start - began, clock() - began)

    start = clock()
    stack = timeline.stack = derive()
    span("spec derivation", start)

    start = clock()
    result = executor.up(stack)
    offset = start - began
    for phase, (s, e) in result.phases.items():
        timeline.phases[phase] = (offset + s, offset + e)
    if not result.ok:
        timeline.total = clock() - began
        timeline.detail = f"update failed: {result.detail}"
        return timeline

    start = clock()
    health = gate(stack)
    span("first full reconciliation", start)
    timeline.total = clock() - began
    timeline.ok = health.passed
    timeline.failing = [str(s) for s in health.failing]
    timeline.detail = "recovered: Flux reports Compliant" if health.passed else health.reason
    return timeline
