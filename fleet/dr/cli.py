"""`fleet dr`: derive, re-create, drill and export clusters for disaster recovery."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from components.spec.problems import SpecError
from fleet import progress, project
from fleet.azure_options import CloudOption, SubscriptionOption
from fleet.errors import BadInput, exit_code
from fleet.executors.base import Executor
from fleet.gitrepo import repo_root
from fleet.health.flux_gate import GateResult
from fleet.name_options import checked_environment, checked_name
from fleet.output import print_item, print_table, write_output
from fleet.project import StacksDirOption

from .derive import Derivation

dr_app = typer.Typer(
    no_args_is_help=True,
    help="Disaster recovery: derive, re-create, drill, export.",
    epilog="Example: `fleet dr plan -s prod-japaneast --region japanwest`, then"
    " `fleet dr recreate -s prod-japaneast --region japanwest`",
)


def _existing(stacks_dir: Path) -> dict[str, str]:
    from components.spec import available_stacks, load_stack

    names = {}
    for stack in available_stacks(stacks_dir):
        try:
            names[stack] = load_stack(stacks_dir, stack).spec.name
        except SpecError:
            continue  # a broken neighbour must not block a recovery
    return names


def derive_to_file(
    source: str,
    region: str,
    ref: str,
    name_suffix: str,
    stack_name: str | None,
    zones: str | None,
    force: bool,
    stacks_dir: Path,
) -> tuple[Derivation, str]:
    """Derive, validate and write the DR stack file; returns (derivation, source text)."""
    from components.spec.files import load_yaml
    from components.spec.loader import parse_stack_document, stack_path
    from fleet.git import checked_revision

    from .derive import derive, stack_text_at

    checked_revision(ref, "--ref")
    root = repo_root(stacks_dir)
    rel = (
        str(stacks_dir.resolve().relative_to(root.resolve()))
        if stacks_dir.resolve().is_relative_to(root.resolve())
        else "stacks"
    )
    text = stack_text_at(root, rel, source, ref)
    # The new stack records the commit it was derived from, not a name that moves (HEAD, a branch).
    from fleet.git import commit_of

    ref = commit_of(root, ref) or ref
    zone_list = None if zones is None else ([] if zones == "none" else [z.strip() for z in zones.split(",")])
    derivation = derive(
        text,
        source_stack=source,
        ref=ref,
        region=region,
        existing_stacks=_existing(stacks_dir),
        name_suffix=name_suffix,
        target_stack=stack_name,
        zones=zone_list,
    )
    target = stack_path(stacks_dir, derivation.target_stack)  # a derived name is checked like a given one
    new_text = derivation.text()
    parse_stack_document(load_yaml(new_text, str(target)), stack=derivation.target_stack, path=target)
    if target.exists() and not force:
        from components.spec.problems import Problem

        raise SpecError([Problem(str(target), "", "exists; refusing to overwrite (pass --force to replace it)")])
    target.write_text(new_text, encoding="utf-8")
    return derivation, text


@dr_app.command("plan", epilog="Example: `fleet dr plan -s prod-japaneast --region japanwest --ref HEAD`")
def plan_command(
    source: Annotated[
        str, typer.Option("--stack", "-s", help="The source stack, e.g. prod-japaneast.", callback=checked_name)
    ],
    region: Annotated[str, typer.Option("--region", help="The region to recover into.")],
    ref: Annotated[str, typer.Option("--ref", help="Git ref whose stack file is the source.")] = "HEAD",
    name_suffix: Annotated[
        str, typer.Option("--name-suffix", help="Added where a derived name would collide.", callback=checked_name)
    ] = "dr",
    stack_name: Annotated[
        str | None, typer.Option("--new-stack", help="The DR stack's name (default: derived).", callback=checked_name)
    ] = None,
    zones: Annotated[str | None, typer.Option("--zones", help="1,2,3 or none (default: by region).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing stack file.")] = False,
    stacks_dir: StacksDirOption = None,
) -> None:
    """Derive the DR stack from the source as committed at REF; write it; show the plan diff."""
    stacks_dir = project.stacks_dir(stacks_dir)
    from components.spec.loader import stack_path

    from .plan_diff import dr_plan_diff

    console = Console()
    with progress.step(f"deriving the DR stack of {source}@{ref} in {region}"):
        derivation, text = derive_to_file(source, region, ref, name_suffix, stack_name, zones, force, stacks_dir)
    d = derivation
    written = stack_path(stacks_dir, d.target_stack)
    console.print(f"wrote [bold]{escape(str(written))}[/] from {source}@{ref}")
    for change in d.changes:
        print_item(console, "[green]•[/]", escape(change))
    console.print("[yellow]must change outside this stack:[/]")
    for item in d.must_change:
        print_item(console, "[yellow]![/]", escape(item))
    with progress.step(f"planning {d.target_stack} and {source}@{ref} to compare them"):
        rows = dr_plan_diff(source, text, d.source_cluster, d.target_stack, d.text(), d.cluster_name)
    # A new stack: every resource is a create, as `pulumi preview` of a stack without state shows; the last column
    # says how each differs from its source counterpart (the renaming accounted for).
    table = Table(title=f"plan of {d.target_stack} against {source}@{ref}", title_justify="left")
    for column in ("op", "resource", "differs from the source in"):
        table.add_column(column, overflow="fold")
    for row in rows:
        if row.differs is None:
            differs = "(not in the source)"
        else:
            differs = ", ".join(p.path for p in row.differs) or "(same as the source)"
        r = row.resource
        table.add_row("[green]+ create[/]", escape(f"{r.type.rsplit(':', 1)[-1]} {r.name}"), escape(differs))
    print_table(console, table)
    console.print(f"Resources:\n    + {len(rows)} to create", soft_wrap=True)


def _render_timeline(timeline: object, console: Console) -> None:
    from .recreate import Timeline

    assert isinstance(timeline, Timeline)
    table = Table(title=f"recovery timeline of {timeline.stack}", title_justify="left")
    for column in ("phase", "start (s)", "end (s)", "seconds"):
        table.add_column(column, justify="right" if column != "phase" else "left")
    for phase, (start, end) in timeline.ordered():
        table.add_row(phase, f"{start:.1f}", f"{end:.1f}", f"{end - start:.1f}")
    table.add_row("[bold]total[/]", "", "", f"[bold]{timeline.total:.1f}[/]")
    print_table(console, table)
    style = "green" if timeline.ok else "red"
    console.print(f"[{style}]{escape(timeline.detail)}[/]")
    for item in timeline.failing:
        print_item(console, "[red]✗[/]", escape(item))


def _executor_and_gate(
    stacks_dir: Path, cloud: str, subscription: str | None, gate_timeout: float
) -> tuple[Executor, Callable[[str], GateResult]]:
    from fleet.azure import AzureContext
    from fleet.executors.automation import AutomationExecutor
    from fleet.health.factory import flux_gate
    from fleet.policy.config import config_path

    if not AutomationExecutor.available():
        raise BadInput("the Pulumi CLI is not on PATH: `fleet dr recreate` creates real resources and needs it")
    from components.spec import load_stack

    executor = AutomationExecutor(
        stacks_dir.parent, policy_config_for=lambda name: config_path(load_stack(stacks_dir, name).spec.environment)
    )
    gate = flux_gate(stacks_dir, AzureContext(cloud=cloud), subscription=subscription, timeout=gate_timeout)
    return executor, gate


@dr_app.command(
    "recreate", epilog="Example: `fleet dr recreate -s prod-japaneast --region japanwest --json timeline.json`"
)
def recreate_command(
    source: Annotated[str, typer.Option("--stack", "-s", help="The source stack.", callback=checked_name)],
    region: Annotated[str, typer.Option("--region", help="The region to recover into.")],
    ref: Annotated[str, typer.Option("--ref", help="Git ref whose stack file is the source.")] = "HEAD",
    name_suffix: Annotated[
        str, typer.Option("--name-suffix", help="Added where a derived name would collide.", callback=checked_name)
    ] = "dr",
    stack_name: Annotated[
        str | None, typer.Option("--new-stack", help="The DR stack's name (default: derived).", callback=checked_name)
    ] = None,
    zones: Annotated[str | None, typer.Option("--zones", help="1,2,3 or none (default: by region).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing DR stack file.")] = False,
    cloud: CloudOption = "public",
    subscription: SubscriptionOption = None,
    gate_timeout: Annotated[
        float, typer.Option("--gate-timeout", help="Seconds to wait for Flux to report Compliant.")
    ] = 3600.0,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the timeline as JSON.")] = None,
    stacks_dir: StacksDirOption = None,
) -> int:
    """Derive the DR stack, create it, wait for Flux to restore everything, print the recovery timeline."""
    stacks_dir = project.stacks_dir(stacks_dir)
    import json

    from .recreate import recreate

    executor, gate = _executor_and_gate(stacks_dir, cloud, subscription, gate_timeout)

    def derive() -> str:
        derivation, _ = derive_to_file(source, region, ref, name_suffix, stack_name, zones, force, stacks_dir)
        return derivation.target_stack

    with progress.step(f"recreating {source} in {region}: derive, pulumi up, wait for Flux"):
        timeline = recreate(derive, executor, gate)
    _render_timeline(timeline, Console())
    if json_path:
        write_output(json_path, json.dumps(timeline.to_json(), indent=2) + "\n")
    return exit_code(timeline.ok)


@dr_app.command("drill", epilog="Example: `fleet dr drill -s prod-japaneast --region koreacentral`")
def drill_command(
    source: Annotated[str, typer.Option("--stack", "-s", help="The source stack.", callback=checked_name)],
    region: Annotated[str, typer.Option("--region", help="The region to drill in.")],
    ref: Annotated[str, typer.Option("--ref", help="Git ref whose stack file is the source.")] = "HEAD",
    zones: Annotated[str | None, typer.Option("--zones", help="1,2,3 or none (default: by region).")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Leave the drill cluster running.")] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            show_default=False,
            help="JSON-lines report, one line per drill (default .fleet/dr-drills.jsonl).",
        ),
    ] = None,
    cloud: CloudOption = "public",
    subscription: SubscriptionOption = None,
    gate_timeout: Annotated[
        float, typer.Option("--gate-timeout", help="Seconds to wait for Flux to report Compliant.")
    ] = 3600.0,
    stacks_dir: StacksDirOption = None,
) -> int:
    """Recreate the stack in REGION as a temporary stack, verify, tear down, and record the timings."""
    stacks_dir = project.stacks_dir(stacks_dir)
    report = project.in_project(".fleet/dr-drills.jsonl", report)
    from datetime import UTC, datetime

    from components.spec.loader import stack_path

    from .drill import run_drill

    executor, gate = _executor_and_gate(stacks_dir, cloud, subscription, gate_timeout)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M")
    name = f"{source}-drill-{stamp}"

    def derive() -> str:
        derivation, _ = derive_to_file(source, region, ref, "drill", name, zones, False, stacks_dir)
        return derivation.target_stack

    with progress.step(f"drilling {source} in {region}: recreate, verify" + ("" if keep else ", tear down")):
        drill = run_drill(
            derive,
            executor,
            gate,
            report=report,
            remove_stack_file=lambda stack: stack_path(stacks_dir, stack).unlink(missing_ok=True),
            context={"source": source, "region": region, "ref": ref},
            keep=keep,
        )
    console = Console()
    _render_timeline(drill.timeline, console)
    console.print(
        f"teardown: {'ok' if drill.torn_down else '[red]failed[/]'} ({drill.teardown_seconds:.1f}s) "
        f"{escape(drill.teardown_detail)}; report: {escape(str(report))}"
    )
    return exit_code(drill.ok)


@dr_app.command(
    "export",
    epilog='Example: `fleet dr export "$(az aks show -g rg-legacy -n aks-legacy --query id -o tsv)" '
    "--new-stack legacy -e staging`",
)
def export_command(
    cluster_id: Annotated[str, typer.Argument(help="/subscriptions/.../managedClusters/<name>")],
    stack: Annotated[str, typer.Option("--new-stack", help="The new stack's name.", callback=checked_name)],
    environment: Annotated[
        str, typer.Option("--environment", "-e", help="dev, staging or prod.", callback=checked_environment)
    ] = "prod",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing stack file.")] = False,
    cloud: CloudOption = "public",
    stacks_dir: StacksDirOption = None,
) -> None:
    """Write a stack file for a live cluster (cluster, pools, Flux extension, flux configurations)."""
    stacks_dir = project.stacks_dir(stacks_dir)
    from fleet.azure import AzureContext
    from fleet.azure.errors import azure_errors

    from .export import read_cluster

    with azure_errors("fleet dr export"), progress.step("reading the cluster and its Flux resources from Azure"):
        live = read_cluster(AzureContext(cloud=cloud), cluster_id)
    write_export(live, stack, environment, force, stacks_dir, Console())


def write_export(live: object, stack: str, environment: str, force: bool, stacks_dir: Path, console: Console) -> Path:
    import io

    from ruamel.yaml import YAML

    from components.spec import load_stack
    from components.spec.loader import stack_path
    from components.spec.problems import Problem

    from .export import LiveCluster, spec_from_live

    assert isinstance(live, LiveCluster)
    target = stack_path(stacks_dir, stack)
    exported = spec_from_live(live, environment=environment)
    if target.exists() and not force:
        raise SpecError([Problem(str(target), "", "exists; refusing to overwrite (pass --force to replace it)")])
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump({"config": {"aksfleet:cluster": exported.spec}}, out)
    header = f"# Exported from the live cluster {live.cluster.get('id', '')} by `fleet dr export`.\n"
    target.write_text(header + out.getvalue(), encoding="utf-8")
    try:
        load_stack(stacks_dir, stack)
    except SpecError as error:
        console.print("[yellow]the exported stack does not pass validation yet:[/]")
        sys.stderr.writelines(f"{p}\n" for p in error.problems)
    console.print(f"wrote {escape(str(target))}")
    for item in exported.todo:
        print_item(console, "[yellow]![/]", escape(item))
    return target
