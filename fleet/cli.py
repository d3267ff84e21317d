"""The `fleet` command: operations over the stacks of this repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from components.program import PROJECT_DIR
from components.spec import SpecError

from .plan.render import render_plan
from .plan.runner import plan_stack

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Operate a fleet of AKS + Flux stacks.")
EXIT_CLEAN, EXIT_BLOCKED, EXIT_BAD_INPUT = 0, 1, 2

StacksDir = Annotated[
    Path, typer.Option("--stacks-dir", help="Folder holding Pulumi.<stack>.yaml files.", file_okay=False)
]


@app.callback()
def _root() -> None:
    """Operate a fleet of AKS + Flux stacks."""


@app.command()
def plan(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name (stacks/Pulumi.<stack>.yaml).")],
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write the plan as JSON to PATH, or - for stdout.")
    ] = None,
    stacks_dir: StacksDir = PROJECT_DIR / "stacks",
) -> None:
    """Show what `pulumi up -s STACK` would create, offline: no Azure account, no Pulumi CLI."""
    out = Console()
    try:
        result = plan_stack(stacks_dir, stack)
    except SpecError as error:
        # Plain writes: one problem is one line, never wrapped to the terminal width (CI logs, grep).
        sys.stderr.writelines(f"{problem}\n" for problem in error.problems)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if json_path == "-":
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        if json_path:
            Path(json_path).write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
        render_plan(result, out)
    raise typer.Exit(EXIT_BLOCKED if result.errors else EXIT_CLEAN)
