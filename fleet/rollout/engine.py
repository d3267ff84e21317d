"""Rings in order; stacks of a ring side by side (bounded); a failure threshold halts before the next ring.

Threads here only orchestrate: each stack's preview and update run in their own OS process (see the
executors), so stacks cannot share Pulumi state. The journal records every transition under the rollout's
id, so a rollout killed at any point resumes (`resume=True`) without re-running a stack it deployed from
today's spec and commit; a dry run records what it previewed and never counts as a deployment.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from fleet.fleetfile import FleetFile, Ring

from .journal import Event, Journal, JournalRecord
from .pipeline import StackOutcome
from .provenance import Provenance
from .resume import ResumePlan, check_options, plan_resume

RunStack = Callable[[str], StackOutcome]
Listener = Callable[[str, str, StackOutcome | None], None]  # (ring, stack, outcome or None when starting)


def new_rollout_id() -> str:
    return uuid.uuid4().hex[:12]  # journal.ROLLOUT_ID


@dataclass
class RolloutResult:
    rollout_id: str
    dry_run: bool = False
    outcomes: list[tuple[str, StackOutcome]] = field(default_factory=list)  # (ring, outcome)
    skipped: dict[str, str] = field(default_factory=dict)  # stack → why it was not run again (resume)
    redeployed: dict[str, str] = field(default_factory=dict)  # stack deployed before → why it ran again
    halted_at: str | None = None
    not_started: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line each: what was resumed, what the journal skipped

    @property
    def ok(self) -> bool:
        return self.halted_at is None and all(o.ok for _, o in self.outcomes)


def rollout(
    fleet: FleetFile,
    run_stack: RunStack,
    journal: Journal,
    *,
    dry_run: bool,
    provenance: Callable[[str], Provenance],
    resume: bool = False,
    resume_id: str | None = None,
    only: set[str] | None = None,
    listener: Listener | None = None,
) -> RolloutResult:
    """Run the fleet ring by ring. `dry_run` must say what `run_stack` does: it marks every journal line.

    `resume` (or a `resume_id`) continues one earlier rollout (see resume.py); `provenance` says what each
    stack is deployed from today, and is asked for every selected stack before anything starts.
    """
    selected = [s for ring in fleet.rings for s in ring.stacks if only is None or s in only]
    today = {stack: provenance(stack) for stack in selected}
    plan = ResumePlan(new_rollout_id())
    notes: list[str] = []
    check_options(dry_run=dry_run, resume=resume, resume_id=resume_id)
    if resume or resume_id is not None:
        read = journal.read()
        plan = plan_resume(read, today, resume_id=resume_id, journal=journal.path, new_id=plan.rollout_id)
        notes = [line for line in [read.note(journal.path)] if line] + plan.notes
    result = RolloutResult(plan.rollout_id, dry_run, skipped=plan.skip, redeployed=plan.redeploy, notes=notes)
    journal.record(JournalRecord(rollout_id=result.rollout_id, event="begin", dry_run=dry_run))
    for index, ring in enumerate(fleet.rings):
        todo = [s for s in ring.stacks if s in today and s not in plan.skip]
        failures = _run_ring(ring, todo, run_stack, journal, result, listener, today)
        if failures > ring.failure_threshold:
            result.halted_at = ring.name
            later = [s for r in fleet.rings[index + 1 :] for s in r.stacks]
            result.not_started += [s for s in later if s in today and s not in plan.skip]
            detail = f"{failures} failure(s) in ring {ring.name}"
            journal.record(
                JournalRecord(
                    rollout_id=result.rollout_id, event="halted", dry_run=dry_run, ring=ring.name, detail=detail
                )
            )
            break
    journal.record(JournalRecord(rollout_id=result.rollout_id, event="end", dry_run=dry_run, ok=result.ok))
    return result


def _run_ring(
    ring: Ring,
    stacks: list[str],
    run_stack: RunStack,
    journal: Journal,
    result: RolloutResult,
    listener: Listener | None,
    today: Mapping[str, Provenance],
) -> int:
    failures = 0
    lock = threading.Lock()
    queue = list(stacks)
    running: dict[Future[StackOutcome], str] = {}

    def record(stack: str, event: Event, outcome: StackOutcome | None = None) -> None:
        journal.record(
            JournalRecord(
                rollout_id=result.rollout_id,
                event=event,
                dry_run=result.dry_run,
                stack=stack,
                ring=ring.name,
                spec_digest=today[stack].spec_digest,
                commit=today[stack].commit,
                phase=outcome.phase if outcome else "",
                detail=outcome.detail if outcome else "",
            )
        )

    def work(stack: str) -> StackOutcome:
        record(stack, "started")
        if listener:
            listener(ring.name, stack, None)
        try:
            outcome = run_stack(stack)
        except Exception as err:  # an executor bug must fail this stack, not the whole rollout
            outcome = StackOutcome(stack, False, "error", f"{type(err).__name__}: {err}")
        # Only a deployment counts as `succeeded`: a passing preview (dry run) is `previewed`, never a reason to skip.
        deployed = outcome.ok and outcome.deployed and not result.dry_run
        record(stack, "succeeded" if deployed else "previewed" if outcome.ok else "failed", outcome)
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
