"""`fleet rollout`: the baseline to every stack of stacks/fleet.yaml, ring by ring."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleet import progress, project
from fleet.azure_options import CloudOption, SubscriptionOption
from fleet.errors import EXIT_CLEAN, BadInput, bad_option, exit_code
from fleet.name_options import checked_name
from fleet.output import print_table, write_output
from fleet.project import StacksDirOption

from .engine import RolloutResult, rollout
from .journal import Journal
from .pipeline import NO_CHANGES, StackOutcome, run_stack
from .provenance import provenance_of
from .resume import check_options


def rollout_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan, policy and guard every stack; change nothing.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the most recent unfinished (killed, halted or failed) real rollout in --journal; "
            "skip only the stacks it deployed from today's spec and commit. Nothing to resume: a new rollout.",
        ),
    ] = False,
    resume_id: Annotated[
        str | None,
        typer.Option(
            "--resume-id", help="Continue this rollout (the id in the summary title) instead; implies --resume."
        ),
    ] = None,
    journal_path: Annotated[
        Path | None,
        typer.Option(
            "--journal",
            show_default=False,
            help="The JSON-lines journal the rollout appends to (folder created; default .fleet/rollout.jsonl of"
            " the project).",
        ),
    ] = None,
    stack: Annotated[
        list[str] | None,
        typer.Option("--stack", "-s", help="Only these stacks (repeatable).", callback=checked_name),
    ] = None,
    base: Annotated[str | None, typer.Option("--base", help="Dry run: diff each plan against this git ref.")] = None,
    allow_replace: Annotated[bool, typer.Option("--allow-replace", help="Accept protected replaces.")] = False,
    emit: Annotated[str | None, typer.Option("--emit", help="Write a CI workflow instead: github-actions.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where --emit writes (default stdout).")] = None,
    cloud: CloudOption = "public",
    subscription: SubscriptionOption = None,
    gate_timeout: Annotated[float, typer.Option("--gate-timeout", help="Seconds to wait for Compliant.")] = 1800.0,
    stacks_dir: StacksDirOption = None,
) -> int:
    """Roll the baseline out ring by ring: plan → policy → guard → up → health gate, per stack.

    Exit 0 when every stack passed, 1 when a stack failed or a ring halted the rollout, 2 on bad input.
    """
    stacks_dir = project.stacks_dir(stacks_dir)
    journal_path = project.in_project(".fleet/rollout.jsonl", journal_path)
    from fleet.fleetfile import load_fleet

    fleet = load_fleet(stacks_dir)
    unknown = sorted(set(stack or []) - set(fleet.stacks))
    if unknown:
        raise BadInput(
            f"--stack: {', '.join(unknown)} not in {stacks_dir / 'fleet.yaml'}; known: {', '.join(fleet.stacks)}"
        )
    if emit is not None:
        _emit(emit, fleet, output)
        return EXIT_CLEAN
    check_options(dry_run=dry_run, resume=resume, resume_id=resume_id)
    journal = Journal(journal_path)  # an unwritable --journal stops here, before anything runs
    selected = [name for name in fleet.stacks if not stack or name in stack]
    provenance = provenance_of(stacks_dir)
    today = {name: provenance(name) for name in selected}  # a stack file that does not load stops here too
    runner = _runner(stacks_dir, dry_run, base, allow_replace, cloud, subscription, gate_timeout)
    console = Console()
    # One bar per ring over the stacks selected in it (a ring with none selected has no idle bar).
    totals = {f"ring {ring.name}": n for ring in fleet.rings if (n := sum(s in selected for s in ring.stacks))}
    with progress.bars(totals, console) as bar:

        def listener(ring: str, name: str, outcome: StackOutcome | None) -> None:
            if outcome is None:
                bar.note(f"[dim]{ring}[/] {name}: started")
                return
            bar.advance(f"ring {ring}")
            mark = "[green]✓[/]" if outcome.ok else f"[red]✗ {outcome.phase}[/]"
            bar.note(f"[dim]{ring}[/] {name}: {mark} {escape(outcome.detail)}")

        result = rollout(
            fleet,
            runner,
            journal,
            dry_run=dry_run,
            provenance=today.__getitem__,
            resume=resume,
            resume_id=resume_id,
            only=set(selected),
            listener=listener,
        )
    _summary(result, console)
    return exit_code(result.ok)


def _runner(
    stacks_dir: Path,
    dry_run: bool,
    base: str | None,
    allow_replace: bool,
    cloud: str,
    subscription: str | None,
    gate_timeout: float,
) -> Callable[[str], StackOutcome]:
    if dry_run:
        from fleet.executors.offline import OfflineExecutor

        offline = OfflineExecutor(stacks_dir, base=base, allow_replace=allow_replace)
        return lambda name: run_stack(name, offline, None, dry_run=True)
    from fleet.executors.automation import AutomationExecutor

    if not AutomationExecutor.available():
        raise BadInput("the Pulumi CLI is not on PATH: install it to update stacks, or use --dry-run")
    from components.spec import load_stack
    from fleet.azure import AzureContext
    from fleet.health.factory import flux_gate
    from fleet.policy.config import config_path

    executor = AutomationExecutor(
        stacks_dir.parent,
        policy_config_for=lambda name: config_path(load_stack(stacks_dir, name).spec.environment),
        allow_replace=allow_replace,
    )
    gate = flux_gate(stacks_dir, AzureContext(cloud=cloud), subscription=subscription, timeout=gate_timeout)
    return lambda name: run_stack(name, executor, gate, dry_run=False)


def _emit(kind: str, fleet: object, output: Path | None) -> None:
    from .github_actions import workflow

    if kind != "github-actions":
        raise bad_option("--emit", kind, "github-actions")
    text = workflow(fleet)  # type: ignore[arg-type]
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        write_output(output, text)
    else:
        sys.stdout.write(text)


def _summary(result: RolloutResult, console: Console) -> None:
    # Whole lines, never folded into a table cell, so CI logs and grep read them.
    for note in result.notes:
        console.print(escape(note), soft_wrap=True)
    for name, why in result.redeployed.items():
        console.print(escape(f"{name}: deployed again: {why}"), soft_wrap=True)
    title = f"rollout {result.rollout_id}" + (" (dry run: nothing deployed)" if result.dry_run else "")
    table = Table(title=title, title_justify="left")
    for column in ("ring", "stack", "result", "phase", "seconds", "detail"):
        table.add_column(column, overflow="fold")
    for ring, outcome in result.outcomes:
        seconds = f"{sum(outcome.durations.values()):.1f}"
        mark = "[green]ok[/]" if outcome.ok else "[red]failed[/]"
        table.add_row(ring, outcome.stack, mark, outcome.phase, seconds, escape(outcome.detail))
    for name, why in result.skipped.items():
        table.add_row("", name, "[dim]skipped[/]", "", "", escape(why))
    for name in result.not_started:
        table.add_row("", name, "[yellow]not started[/]", "", "", "")
    print_table(console, table)
    if result.halted_at:
        console.print(f"[red]halted:[/] ring {result.halted_at} went over its failure threshold")
    if result.dry_run:
        console.print(_dry_run_line(result), soft_wrap=True)


def _dry_run_line(result: RolloutResult) -> str:
    """The dry run's answer in words: whether anything would change, and where."""
    outcomes = [o for _, o in result.outcomes]
    changing = [o.stack for o in outcomes if o.ok and o.detail != NO_CHANGES]
    failed = [o.stack for o in outcomes if not o.ok]
    if not changing and not failed:
        return f"dry run: {NO_CHANGES} in {len(outcomes)} stack(s)"
    parts = [
        f"{len(changing)} of {len(outcomes)} stack(s) would change" + (f" ({', '.join(changing)})" if changing else "")
    ]
    if failed:
        parts.append(f"{len(failed)} failed ({', '.join(failed)})")
    return "dry run: " + "; ".join(parts)
