"""`fleet drift --stack X`: list every property where Azure differs from the plan."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleet import progress, project
from fleet.azure_options import CloudOption, SubscriptionOption
from fleet.errors import exit_code
from fleet.name_options import checked_name
from fleet.output import print_table, write_output
from fleet.project import StacksDirOption


def _azure_context(cloud: str) -> object:
    from fleet.azure import AzureContext

    return AzureContext(cloud=cloud)


def drift_command(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name.", callback=checked_name)],
    subscription: SubscriptionOption = None,
    cloud: CloudOption = "public",
    json_path: Annotated[str | None, typer.Option("--json", help="Write the drift as JSON to PATH, or -.")] = None,
    stacks_dir: StacksDirOption = None,
) -> int:
    """Compare the live cluster, extension and flux configurations with the stack's plan. Exit 1 on drift."""
    stacks_dir = project.stacks_dir(stacks_dir)
    from components.spec import load_stack
    from fleet.health.factory import subscription_of
    from fleet.plan.runner import plan_stack

    from .compare import compare, read_live

    loaded = load_stack(stacks_dir, stack)
    sub = subscription_of(loaded, subscription)
    with progress.step(f"planning {stack}"):
        plan = plan_stack(stacks_dir, stack, policy=False)
    from fleet.azure.errors import azure_errors

    with azure_errors("fleet drift"), progress.step(f"reading {stack}'s live resources from Azure"):
        drifts = compare(plan, read_live(_azure_context(cloud), sub, loaded))  # type: ignore[arg-type]
    if json_path:
        text = json.dumps(
            [{"resource": d.resource, "path": d.path, "planned": d.planned, "live": d.live} for d in drifts]
        )
        if json_path == "-":
            sys.stdout.write(text + "\n")
        else:
            write_output(json_path, text + "\n")
    if json_path != "-":
        table = Table(title=f"drift of {stack}: {len(drifts)} propert{'y' if len(drifts) == 1 else 'ies'}")
        for column in ("resource", "property", "planned", "live"):
            table.add_column(column, overflow="fold")
        for d in drifts:
            table.add_row(escape(d.resource), escape(d.path), escape(repr(d.planned)), escape(repr(d.live)))
        print_table(Console(), table)
    return exit_code(not drifts)
