"""Which rollout `--resume` continues, and which of its stacks it may skip.

Resume reads ONE rollout's records, never another's: the one named by `--resume-id`, or else the most recent
real (not dry-run) rollout that did not finish (killed, halted, or ended with a failed stack). A stack is
skipped only when that rollout deployed it (`succeeded`, not a dry run) from the spec digest and source commit
it has today; anything else runs, and a stack deployed from another spec or commit says why it runs again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fleet.errors import BadInput, bad_option

from .journal import ROLLOUT_ID, STACK_EVENTS, JournalRead, JournalRecord
from .provenance import Provenance


@dataclass
class ResumePlan:
    rollout_id: str
    skip: dict[str, str] = field(default_factory=dict)  # stack → why it is not run again
    redeploy: dict[str, str] = field(default_factory=dict)  # stack deployed before → why it runs again
    notes: list[str] = field(default_factory=list)


def check_options(*, dry_run: bool, resume: bool, resume_id: str | None) -> None:
    """Refuse a resume that cannot mean anything, before anything starts."""
    if resume_id is not None and not re.fullmatch(ROLLOUT_ID, resume_id):
        raise bad_option("--resume-id", resume_id, "a rollout id: 12 lower-case hex digits, as in the summary title")
    if dry_run and (resume or resume_id is not None):
        raise BadInput("--resume: a dry run deploys nothing, so it neither resumes nor is resumed; drop one")


def rollouts_in_order(records: list[JournalRecord]) -> dict[str, list[JournalRecord]]:
    """Each rollout's records, rollouts ordered by their latest line (the most recent last)."""
    by_id: dict[str, list[JournalRecord]] = {}
    for record in records:
        by_id.setdefault(record.rollout_id, []).append(record)
    latest = {record.rollout_id: index for index, record in enumerate(records)}
    return {rollout_id: by_id[rollout_id] for rollout_id in sorted(by_id, key=latest.__getitem__)}


def is_dry_run(records: list[JournalRecord]) -> bool:
    return any(r.dry_run for r in records)  # one dry line taints the rollout: its records prove no deployment


def is_finished(records: list[JournalRecord]) -> bool:
    ends = [r for r in records if r.event == "end"]
    return bool(ends) and ends[-1].ok is True


def choose(read: JournalRead, resume_id: str | None, journal: Path) -> tuple[str, list[JournalRecord]] | None:
    """The rollout to resume and its records; None when there is nothing to resume."""
    rollouts = rollouts_in_order(read.records)
    if resume_id is not None:
        if resume_id not in rollouts:
            known = ", ".join(list(rollouts)[-5:]) or "none"
            raise BadInput(f"--resume-id: {resume_id!r} is not a rollout in {journal}; most recent: {known}")
        if is_dry_run(rollouts[resume_id]):
            raise BadInput(f"--resume-id: {resume_id} was a dry run; it deployed nothing, so nothing can be resumed")
        return resume_id, rollouts[resume_id]
    for rollout_id in reversed(rollouts):
        records = rollouts[rollout_id]
        if not is_dry_run(records) and not is_finished(records):
            return rollout_id, records
    return None


def plan_resume(
    read: JournalRead, today: Mapping[str, Provenance], *, resume_id: str | None, journal: Path, new_id: str
) -> ResumePlan:
    """What a resumed rollout skips; a new rollout (id `new_id`, nothing skipped) when there is nothing to resume."""
    chosen = choose(read, resume_id, journal)
    if chosen is None:
        return ResumePlan(new_id, notes=[f"{journal}: no unfinished rollout to resume; starting rollout {new_id}"])
    rollout_id, records = chosen
    plan = ResumePlan(rollout_id, notes=[f"resuming rollout {rollout_id} from {journal}"])
    last: dict[str, JournalRecord] = {}
    for record in records:
        if record.event in STACK_EVENTS and record.stack:
            last[record.stack] = record
    for stack, now in today.items():
        before = last.get(stack)
        if before is None or before.event != "succeeded" or before.dry_run:
            continue  # never deployed by this rollout: it simply runs
        why = _changed(before, now)
        if why:
            plan.redeploy[stack] = why
        else:
            when = before.at.isoformat(timespec="seconds") if before.at else "an unrecorded time"
            plan.skip[stack] = f"deployed by rollout {rollout_id} at {when}"
    return plan


def _changed(before: JournalRecord, now: Provenance) -> str | None:
    """Why an earlier deployment does not stand for today's, or None when it does."""
    if before.spec_digest is None:
        return "the journal does not record which spec was deployed"
    if before.spec_digest != now.spec_digest:
        return "its spec changed since it was deployed"
    if now.commit is None:
        return "today's source commit is unknown (not a git checkout?), so the deployment cannot be matched"
    if before.commit is None:
        return "the journal does not record which commit it was deployed from"
    if before.commit != now.commit:
        return f"the source commit changed since it was deployed ({before.commit[:12]} → {now.commit[:12]})"
    return None
