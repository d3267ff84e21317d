"""A DR drill: recreate into a temporary stack, verify Flux restored it, tear it down, keep the timings.

Run it on a schedule: the report is one JSON line per drill, so recovery time becomes a measured trend
rather than a guess.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleet.executors.base import Executor
from fleet.health.flux_gate import GateResult

from .recreate import Timeline, recreate


@dataclass
class DrillResult:
    timeline: Timeline
    torn_down: bool
    teardown_seconds: float
    teardown_detail: str

    @property
    def ok(self) -> bool:
        return self.timeline.ok and self.torn_down


def run_drill(
    derive: Callable[[], str],
    executor: Executor,
    gate: Callable[[str], GateResult],
    *,
    report: Path,
    remove_stack_file: Callable[[str], None],
    context: dict[str, Any],
    keep: bool = False,
) -> DrillResult:
    timeline = recreate(derive, executor, gate)
    torn_down, detail, seconds = True, "kept (--keep)", 0.0
    if not keep and timeline.stack:
        start = time.monotonic()
        result = executor.destroy(timeline.stack)
        seconds = time.monotonic() - start
        torn_down, detail = result.ok, result.detail or "destroyed"
        if result.ok:
            remove_stack_file(timeline.stack)
    drill = DrillResult(timeline, torn_down, seconds, detail)
    entry = {
        "at": datetime.now(UTC).isoformat(),
        **context,
        "ok": drill.ok,
        "timeline": timeline.to_json(),
        "teardown": {"ok": torn_down, "seconds": round(seconds, 3), "detail": detail},
    }
    report.parent.mkdir(parents=True, exist_ok=True)
    with report.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    return drill
