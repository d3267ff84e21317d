"""Rings in order; stacks of a ring side by side (bounded); a failure threshold halts before the next ring.

Threads here only orchestrate: each stack's preview and update run in their own OS process (see the
executors), so stacks cannot share Pulumi state. The journal records every transition, so a rollout
killed at any point resumes without re-running a finished stack.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from fleet.fleetfile import FleetFile, Ring

from .journal import Journal, JournalEntry
from .pipeline import StackOutcome

RunStack = Callable[[str], StackOutcome]
Listener = Callable[[str, str, StackOutcome | None], None]  # (ring, stack, outcome or None when starting)


@dataclass
class RolloutResult:
    run_id: str
    outcomes: list[tuple[str, StackOutcome]] = field(default_factory=list)  # (ring, outcome)
    skipped: list[str] = field(default_factory=list)  # finished in an earlier run
    halted_at: str | None = None
    not_started: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.halted_at is None and all(o.ok for _, o in self.outcomes)


def rollout(
    fleet: FleetFile,
    run_stack: RunStack,
    journal: Journal,
    *,
    resume: bool = False,
    only: set[str] | None = None,
    listener: Listener | None = None,
) -> RolloutResult:
    result = RolloutResult(run_id=uuid.uuid4().hex[:12])
    done = journal.succeeded() if resume else set()
    for index, ring in enumerate(fleet.rings):
        stacks = [s for s in ring.stacks if only is None or s in only]
        result.skipped += [s for s in stacks if s in done]
        todo = [s for s in stacks if s not in done]
        failures = _run_ring(ring, todo, run_stack, journal, result, listener)
        if failures > ring.failure_threshold:
            result.halted_at = ring.name
            later = [s for r in fleet.rings[index + 1 :] for s in r.stacks if only is None or s in only]
            result.not_started += [s for s in later if s not in done]
            journal.record(
                JournalEntry(
                    result.run_id, "", ring.name, "halted", detail=f"{failures} failure(s) in ring {ring.name}"
                )
            )
            break
    return result


def _run_ring(
    ring: Ring,
    stacks: list[str],
    run_stack: RunStack,
    journal: Journal,
    result: RolloutResult,
    listener: Listener | None,
) -> int:
    failures = 0
    lock = threading.Lock()
    queue = list(stacks)
    running: dict[Future[StackOutcome], str] = {}

    def work(stack: str) -> StackOutcome:
        journal.record(JournalEntry(result.run_id, stack, ring.name, "started"))
        if listener:
            listener(ring.name, stack, None)
        try:
            outcome = run_stack(stack)
        except Exception as err:  # an executor bug must fail this stack, not the whole rollout
            outcome = StackOutcome(stack, False, "error", f"{type(err).__name__}: {err}")
        journal.record(
            JournalEntry(
                result.run_id,
                stack,
                ring.name,
                "succeeded" if outcome.ok else "failed",
                phase=outcome.phase,
                detail=outcome.detail,
            )
        )
        if listener:
            listener(ring.name, stack, outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=ring.max_parallel, thread_name_prefix=f"ring-{ring.name}") as pool:
        while queue or running:
            # Start no new stack once the ring is over its failure threshold; let running ones finish.
            while queue and len(running) < ring.max_parallel and failures <= ring.failure_threshold:
                stack = queue.pop(0)
                running[pool.submit(work, stack)] = stack
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.pop(future)
                outcome = future.result()
                with lock:
                    result.outcomes.append((ring.name, outcome))
                    failures += 0 if outcome.ok else 1
    result.not_started += queue
    return failures
