"""`fleet scaffold env NAME` and `fleet scaffold cluster STACK --from STACK`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

PROJECT_DIR = Path(__file__).resolve().parents[2]
scaffold_app = typer.Typer(no_args_is_help=True, help="Add an environment overlay or a cluster stack.")


def _write(path: Path, text: str, force: bool) -> None:
    if path.exists() and not force:
        sys.stderr.write(f"{path}: exists; refusing to overwrite (pass --force to replace it)\n")
        raise typer.Exit(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    Console().print(f"wrote {path}")


@scaffold_app.command("env")
def scaffold_env(
    name: Annotated[str, typer.Argument(help="Environment name, e.g. qa.")],
    force: Annotated[bool, typer.Option("--force")] = False,
    gitops_dir: Annotated[Path, typer.Option("--gitops-dir", file_okay=False)] = PROJECT_DIR / "gitops",
) -> None:
    """Add gitops/apps/NAME (an overlay of apps/base)."""
    from .render import overlay

    try:
        text = overlay(name)
    except ValueError as error:
        sys.stderr.write(f"{error}\n")
        raise typer.Exit(2) from None
    _write(gitops_dir / "apps" / name / "kustomization.yaml", text, force)


@scaffold_app.command("cluster")
def scaffold_cluster(
    stack: Annotated[str, typer.Argument(help="The new stack's name.")],
    source: Annotated[str, typer.Option("--from", help="The stack to derive from.")],
    name: Annotated[str | None, typer.Option("--name", help="Cluster name (default aks-<stack>).")] = None,
    environment: Annotated[str | None, typer.Option("--environment", "-e")] = None,
    force: Annotated[bool, typer.Option("--force")] = False,
    stacks_dir: Annotated[Path, typer.Option("--stacks-dir", file_okay=False)] = PROJECT_DIR / "stacks",
) -> None:
    """Write stacks/Pulumi.STACK.yaml derived from another stack, validated before it is written."""
    from ruamel.yaml import YAML

    from components.spec import SpecError
    from components.spec.loader import parse_stack_document, stack_path

    from .render import cluster_stack

    source_path = stack_path(stacks_dir, source)
    if not source_path.is_file():
        sys.stderr.write(f"{source_path}: no such stack file\n")
        raise typer.Exit(2)
    text = cluster_stack(
        source_path.read_text(encoding="utf-8"),
        source=source,
        stack=stack,
        cluster_name=name or f"aks-{stack}",
        environment=environment,
    )
    target = stack_path(stacks_dir, stack)
    try:
        parse_stack_document(YAML(typ="safe", pure=True).load(text), stack=stack, path=target)
    except SpecError as error:
        sys.stderr.writelines(f"{p}\n" for p in error.problems)
        raise typer.Exit(2) from None
    _write(target, text, force)
