"""`fleet dr`: derive, re-create, drill and export clusters for disaster recovery."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from components.spec.problems import SpecError

from .derive import Derivation

PROJECT_DIR = Path(__file__).resolve().parents[2]
dr_app = typer.Typer(no_args_is_help=True, help="Disaster recovery: derive, re-create, drill, export.")
StacksDir = Annotated[Path, typer.Option("--stacks-dir", file_okay=False)]


def _fail(error: SpecError) -> typer.Exit:
    sys.stderr.writelines(f"{p}\n" for p in error.problems)
    return typer.Exit(2)


def _repo_root(path: Path) -> Path:
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True)
    return Path(top.stdout.strip()) if top.returncode == 0 else path.parent


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
    from ruamel.yaml import YAML

    from components.spec.loader import parse_stack_document

    from .derive import derive, stack_text_at

    root = _repo_root(stacks_dir)
    rel = (
        str(stacks_dir.resolve().relative_to(root.resolve()))
        if stacks_dir.resolve().is_relative_to(root.resolve())
        else "stacks"
    )
    text = stack_text_at(root, rel, source, ref)
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
    target = stacks_dir / f"Pulumi.{derivation.target_stack}.yaml"
    new_text = derivation.text()
    parse_stack_document(YAML(typ="safe", pure=True).load(new_text), stack=derivation.target_stack, path=target)
    if target.exists() and not force:
        from components.spec.problems import Problem

        raise SpecError([Problem(str(target), "", "exists; refusing to overwrite (pass --force to replace it)")])
    target.write_text(new_text, encoding="utf-8")
    return derivation, text


@dr_app.command("plan")
def plan_command(
    source: Annotated[str, typer.Argument(help="The source stack, e.g. prod-japaneast.")],
    region: Annotated[str, typer.Option("--region", help="The region to recover into.")],
    ref: Annotated[str, typer.Option("--ref", help="Git ref whose stack file is the source.")] = "HEAD",
    name_suffix: Annotated[str, typer.Option("--name-suffix", help="Added where a derived name would collide.")] = "dr",
    stack_name: Annotated[str | None, typer.Option("--stack-name", help="The DR stack's name.")] = None,
    zones: Annotated[str | None, typer.Option("--zones", help="1,2,3 or none (default: by region).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing stack file.")] = False,
    stacks_dir: StacksDir = PROJECT_DIR / "stacks",
) -> None:
    """Derive the DR stack from the source as committed at REF; write it; show the plan diff."""
    from .plan_diff import dr_plan_diff

    console = Console()
    try:
        derivation, text = derive_to_file(source, region, ref, name_suffix, stack_name, zones, force, stacks_dir)
    except SpecError as error:
        raise _fail(error) from None
    d = derivation
    console.print(f"wrote [bold]{escape(str(stacks_dir / f'Pulumi.{d.target_stack}.yaml'))}[/] from {source}@{ref}")
    for change in d.changes:
        console.print(f"  [green]•[/] {escape(change)}")
    console.print("[yellow]must change outside this stack:[/]")
    for item in d.must_change:
        console.print(f"  [yellow]![/] {escape(item)}")
    changes = dr_plan_diff(source, text, d.source_cluster, d.target_stack, d.text(), d.cluster_name)
    table = Table(title=f"plan of {d.target_stack} against {source}@{ref}", title_justify="left")
    for column in ("op", "resource", "properties"):
        table.add_column(column, overflow="fold")
    for c in changes:
        table.add_row(
            c.op, escape(f"{c.type.rsplit(':', 1)[-1]} {c.name}"), escape(", ".join(p.path for p in c.properties))
        )
    console.print(table)
