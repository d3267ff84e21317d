"""The options every command that speaks to Azure takes, defined once: `--cloud` and `--subscription`.

Each is checked while the command line is parsed (one line naming the option, exit 2), before any credential is
asked for.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .errors import bad_option
from .name_options import checked_subscription


def checked_cloud(value: Any) -> Any:
    from fleet.azure import CLOUDS  # imported when the option is used, not when the CLI starts

    if value not in CLOUDS:
        raise bad_option("--cloud", value, ", ".join(CLOUDS))
    return value


CloudOption = Annotated[str, typer.Option("--cloud", help="public, china or usgov.", callback=checked_cloud)]

# For a stack's own commands: the stack file's azure-native:subscriptionId wins (fleet/health/factory.py).
SubscriptionOption = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        help="Used when the stack sets no azure-native:subscriptionId (else AZURE_SUBSCRIPTION_ID).",
        callback=checked_subscription,
    ),
]
