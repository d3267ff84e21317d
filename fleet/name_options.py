"""CLI options and arguments that carry a stack, ring or environment name.

Each is checked against the one name grammar (components/spec/names.py) while the command line is parsed, so a
bad name is one line naming the option (exit 2, through the error boundary) and never reaches a path, a command
line or an emitted workflow. Attach with `callback=checked_name` (`checked_cluster_name` for an AKS cluster name).
"""

from __future__ import annotations

from typing import Any

import typer

from components.spec.names import name_problem, shown

from .errors import BadInput


def checked_name(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    values = value if isinstance(value, list | tuple) else [value]
    for item in values:
        if item is None:
            continue
        problem = name_problem(item)
        if problem:
            raise BadInput(f"{_label(param)}: {problem}")
    return value


def checked_cluster_name(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """An AKS cluster name given on the command line, judged by Azure's rule (facts/azure_naming.toml)."""
    from policies.baseline.facts.azure_naming import judge

    problem = None if value is None else judge("managedCluster", value)
    if problem:
        raise BadInput(f"{_label(param)}: {shown(value)} {problem}")
    return value


def _label(param: typer.CallbackParam) -> str:
    """`--stack` for an option, `STACK` for an argument: what the user typed or read in --help."""
    long_option = next((o for o in param.opts if o.startswith("--")), None)
    return long_option or (param.name or "VALUE").upper()


def checked_subscription(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """A subscription id: "The value must be an UUID" (azure-rest-api-specs common-types resource-management v5
    types.json, SubscriptionIdParameter, `format: uuid`), checked before any credential is asked for."""
    import uuid

    values = value if isinstance(value, list | tuple) else [value]
    for item in values:
        if item is None:
            continue
        try:
            uuid.UUID(str(item))
        except ValueError:
            raise BadInput(
                f"{_label(param)}: {shown(item)} is not a subscription id; accepted: a UUID"
                " (`az account show --query id`)"
            ) from None
    return value


def checked_environment(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """An environment the baseline knows (dev, staging, prod: its enforcement per rule is decided for those)."""
    from policies.baseline import ENVIRONMENTS

    if value is not None and value not in ENVIRONMENTS:
        raise BadInput(f"{_label(param)}: {shown(value)} is not accepted; accepted: {', '.join(ENVIRONMENTS)}")
    return value
