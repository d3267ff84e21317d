"""`fleet render bicep --stack X`: the parameter file for bicep-templates/main.bicep."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from fleet import progress, project
from fleet.errors import BadInput
from fleet.name_options import checked_name
from fleet.output import write_output
from fleet.project import StacksDirOption

render_app = typer.Typer(
    no_args_is_help=True,
    help="Render a stack into other deployment formats.",
    epilog="Example: `fleet render bicep -s prod-japaneast -o prod-japaneast.parameters.json`",
)


def _checked_key_vault_id(value: str | None) -> str | None:
    import re

    from components.spec.cluster import KEY_VAULT_ID_PATTERN

    if value is not None and not re.fullmatch(KEY_VAULT_ID_PATTERN, value):
        raise BadInput(
            f"--key-vault-id: {value!r} is not a Key Vault resource id; accepted:"
            " /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>"
        )
    return value


@render_app.command("bicep", epilog="Example: `fleet render bicep -s prod-japaneast -o prod-japaneast.parameters.json`")
def render_bicep(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name.", callback=checked_name)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")] = None,
    key_vault_id: Annotated[
        str | None,
        typer.Option(
            "--key-vault-id",
            help="Reference secrets from this Key Vault (its resource id; secrets by name).",
            callback=_checked_key_vault_id,
        ),
    ] = None,
    stacks_dir: StacksDirOption = None,
) -> None:
    """Write the ARM parameters JSON of main.bicep for STACK (secrets never inlined). Exit 2 on bad input."""
    stacks_dir = project.stacks_dir(stacks_dir)
    from .bicep import render_bicep_params, secrets_needed

    with progress.step(f"rendering {stack} for bicep"):
        text = render_bicep_params(stacks_dir, stack, key_vault_id=key_vault_id)
    if key_vault_id is None and (missing := secrets_needed(stacks_dir, stack)):
        # Secrets are never inlined: without a vault to reference them from, the deployment must be given them.
        sys.stderr.write(
            f"note: {', '.join(missing)} not in the parameters; pass --key-vault-id to reference them from Key"
            " Vault, or give them to `az deployment group create` yourself\n"
        )
    if output:
        write_output(output, text)
    else:
        sys.stdout.write(text)
