"""`fleet scaffold env NAME` and `fleet scaffold cluster --new-stack NEW --stack SOURCE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fleet import project
from fleet.errors import BadInput
from fleet.name_options import checked_cluster_name, checked_environment, checked_name
from fleet.project import StacksDirOption

scaffold_app = typer.Typer(
    no_args_is_help=True,
    help="Add an environment overlay or a cluster stack.",
    epilog="Example: `fleet scaffold env qa`, then"
    " `fleet scaffold cluster --new-stack qa -s dev -e staging --overlay qa`",
)


def _write(path: Path, text: str, force: bool) -> None:
    if path.exists() and not force:
        raise BadInput(f"{path}: exists; refusing to overwrite (pass --force to replace it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    Console().print(f"wrote {path}")


@scaffold_app.command(
    "env",
    epilog="Example: `fleet scaffold env qa`, then"
    " `fleet scaffold cluster --new-stack qa -s dev -e staging --overlay qa`",
)
def scaffold_env(
    name: Annotated[str, typer.Argument(help="Environment name, e.g. qa.", callback=checked_name)],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing gitops/apps/NAME/kustomization.yaml.")
    ] = False,
    gitops_dir: Annotated[
        Path | None,
        typer.Option("--gitops-dir", file_okay=False, show_default=False, help="Default: gitops/ of the project."),
    ] = None,
) -> None:
    """Add gitops/apps/NAME (an overlay of apps/base)."""
    gitops_dir = project.in_project("gitops", gitops_dir)
    from components.spec.names import confined

    from .render import overlay

    text = overlay(name)
    _write(confined(gitops_dir / "apps", name, "kustomization.yaml"), text, force)


@scaffold_app.command(
    "cluster",
    epilog="Example: `fleet scaffold cluster --new-stack qa -s dev -e staging --overlay qa --name aks-qa-jpe` (after"
    " `fleet scaffold env qa`)",
)
def scaffold_cluster(
    stack: Annotated[str, typer.Option("--new-stack", help="The new stack's name.", callback=checked_name)],
    source: Annotated[str, typer.Option("--stack", "-s", help="The stack to derive from.", callback=checked_name)],
    name: Annotated[
        str | None,
        typer.Option("--name", help="Cluster name (default aks-<stack>).", callback=checked_cluster_name),
    ] = None,
    environment: Annotated[
        str | None,
        typer.Option(
            "--environment",
            "-e",
            help="dev, staging or prod: which enforcement the baseline applies (default: the source stack's).",
            callback=checked_environment,
        ),
    ] = None,
    overlay: Annotated[
        str | None,
        typer.Option(
            "--overlay",
            help="The apps overlay its kustomizations apply (gitops/apps/OVERLAY, e.g. one `fleet scaffold env`"
            " added; default: the environment's).",
            callback=checked_name,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing stack file.")] = False,
    stacks_dir: StacksDirOption = None,
) -> None:
    """Write stacks/Pulumi.NEW.yaml derived from another stack, validated before it is written."""
    stacks_dir = project.stacks_dir(stacks_dir)
    from components.spec.files import load_yaml, read_text
    from components.spec.loader import load_stack, parse_stack_document, stack_path

    from .render import cluster_stack

    source_path = load_stack(stacks_dir, source).path  # --from must itself be a valid stack
    text = cluster_stack(
        read_text(source_path),
        source=source,
        stack=stack,
        cluster_name=name or f"aks-{stack}",
        environment=environment,
        overlay=overlay,
    )
    target = stack_path(stacks_dir, stack)
    parse_stack_document(load_yaml(text, str(target)), stack=stack, path=target)
    _write(target, text, force)
    # The spec is valid; whether the baseline of its environment passes is the plan's to say (a dev stack copied
    # to staging keeps, say, the Free tier that staging's baseline refuses).
    Console().print(f"next: `fleet plan -s {stack}` judges it against its environment's baseline")
