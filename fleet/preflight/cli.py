"""`fleet preflight --stack X`: every problem Flux would hit, found offline, at the ref the cluster pulls."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleet import progress, project
from fleet.errors import exit_code
from fleet.findings import how_to_fix
from fleet.name_options import checked_name
from fleet.output import print_table, write_output
from fleet.project import StacksDirOption


def preflight_command(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name.", callback=checked_name)],
    ref: Annotated[str | None, typer.Option("--ref", help="Check this ref instead of the stack's.")] = None,
    repo: Annotated[str | None, typer.Option("--repo", help="Local repository path or URL of the source.")] = None,
    json_path: Annotated[str | None, typer.Option("--json", help="Write findings as JSON to PATH, or -.")] = None,
    stacks_dir: StacksDirOption = None,
) -> int:
    """Check the stack's Git source the way Flux will apply it. Exit 0 clean, 1 blocked, 2 bad input."""
    stacks_dir = project.stacks_dir(stacks_dir)
    from . import preflight_stack

    with progress.step(f"preflight of {stack}: fetching the source, building every kustomization"):
        report = preflight_stack(stacks_dir, stack, repo=repo, ref=ref)
    if json_path:
        data = {
            "stack": stack,
            "checked": report.checked,
            "skipped": report.skipped,
            "findings": [f.to_json() for f in report.findings],
        }
        text = json.dumps(data, indent=2) + "\n"
        if json_path == "-":
            sys.stdout.write(text)
        else:
            write_output(json_path, text)
    if json_path != "-":
        render(report, Console())
    return exit_code(not report.blocked)


def render(report: object, console: Console) -> None:
    from fleet.finding_tables import finding_text, render_suppressed

    from . import PreflightReport

    assert isinstance(report, PreflightReport)
    for line in report.checked:
        console.print(f"[dim]checked[/] {escape(line)}")
    for line in report.skipped:
        console.print(f"[yellow]skipped[/] {escape(line)}")
    active = [f for f in report.findings if not f.suppressed]
    if active:
        table = Table(title=f"preflight of {report.stack}", title_justify="left")
        for column in ("rule", "enforcement", "kustomization", "finding"):
            table.add_column(column, overflow="fold")
        for f in active:
            style = "red" if f.enforcement == "mandatory" else "yellow"
            table.add_row(f.rule, f"[{style}]{f.enforcement}[/]", escape(f.resource), finding_text(f))
        print_table(console, table)
        for line in how_to_fix([f.rule for f in active]):
            console.print(f"[dim]to fix[/] {escape(line)}")
    render_suppressed(report.findings, console)
    mandatory = sum(f.enforcement == "mandatory" for f in active)
    suppressed = len(report.findings) - len(active)
    console.print(f"{len(active)} finding(s), {mandatory} mandatory, {suppressed} suppressed, {report.builds} build(s)")
