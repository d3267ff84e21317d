"""`fleet audit`: the live fleet against the baseline, through Resource Graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fleet import progress
from fleet.azure_options import CloudOption
from fleet.errors import exit_code
from fleet.name_options import checked_subscription
from fleet.output import STDOUT, one_stdout, write_output


def _azure_context(cloud: str) -> object:
    from fleet.azure import AzureContext

    return AzureContext(cloud=cloud)


def audit_command(
    subscription: Annotated[
        list[str],
        typer.Option("--subscription", help="Subscription id (repeatable).", callback=checked_subscription),
    ],
    cloud: CloudOption = "public",
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON.")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report.")] = None,
) -> int:
    """Audit every AKS cluster of the subscriptions, most at risk first. Exit 1 when a mandatory rule fails."""
    from fleet.policy.config import config_path, load_config
    from policies.baseline import ENVIRONMENTS

    from .evaluate import audit
    from .graph import read_fleet
    from .normalize import group_fleet
    from .report import render_table, to_html, to_json

    one_stdout(json=json_path, html=html_path)
    configs = {env: load_config(config_path(env)) for env in ENVIRONMENTS}
    from fleet.azure.errors import azure_errors

    azure = _azure_context(cloud)
    with (
        azure_errors("fleet audit"),
        progress.step(f"reading {len(subscription)} subscription(s) through Resource Graph"),
    ):
        rows = read_fleet(azure.resource_graph(), subscription)  # type: ignore[attr-defined]
    with progress.step("judging every cluster against the baseline"):
        report = audit(group_fleet(rows), configs)
    if STDOUT not in (str(json_path), str(html_path)):  # stdout holds the document asked for, nothing else
        render_table(report, Console())
    if json_path:
        write_output(json_path, json.dumps(to_json(report), indent=2) + "\n")
    if html_path:
        write_output(html_path, to_html(report))
    return exit_code(not report.blocked)
