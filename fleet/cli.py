"""The `fleet` command: operations over the stacks of this repository."""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fleet.output import STDOUT, one_stdout, print_table, write_output
from policies.baseline import CATALOGUE, ENVIRONMENTS

from . import (
    help_format,  # noqa: F401  (imported for its effect: flags shown without `<bool>`)
    progress,
    project,
)
from .errors import EXIT_BLOCKED, EXIT_CLEAN, BoundaryGroup, bad_option
from .name_options import checked_name
from .project import StacksDirOption

# add_completion: `fleet --install-completion` / `--show-completion` for bash, zsh, fish and PowerShell (typer's own).
# Every command's help ends with an example (epilog=, shown after the options): a command line that runs here, on
# the stacks of stacks/, offline where the command allows; tests/unit/test_help.py parses each one.
app = typer.Typer(
    cls=BoundaryGroup,
    no_args_is_help=True,
    add_completion=True,
    help="Operate a fleet of AKS + Flux stacks.",
    epilog="Example: `fleet plan -s dev`, then `fleet preflight -s dev`; each command's help ends with its own.",
)
policy_app = typer.Typer(
    no_args_is_help=True,
    help="The baseline rule catalogue and its exports.",
    epilog="Example: `fleet policy list -e prod`, then `fleet policy show AKS-005`",
)
app.add_typer(policy_app, name="policy")


def _register_subcommands() -> None:
    from .audit.cli import audit_command
    from .dr.cli import dr_app
    from .drift.cli import drift_command
    from .facts.cli import facts_command
    from .preflight.cli import preflight_command
    from .render.cli import render_app
    from .rollout.cli import rollout_command
    from .scaffold.cli import scaffold_app

    app.command("rollout", epilog="Example: `fleet rollout --dry-run -s dev -s staging`")(rollout_command)
    app.command(
        "audit",
        epilog="Example: `fleet audit --subscription 00000000-0000-0000-0000-000000000000 --html fleet.html`",
    )(audit_command)
    app.command("drift", epilog="Example: `fleet drift -s prod-japaneast --json drift.json`")(drift_command)
    app.command("facts", epilog="Example: `fleet facts`, then `fleet facts aks_versions`")(facts_command)
    app.add_typer(dr_app, name="dr")
    app.command("preflight", epilog="Example: `fleet preflight -s prod-japaneast --json preflight.json`")(
        preflight_command
    )
    app.add_typer(scaffold_app, name="scaffold")
    app.add_typer(render_app, name="render")


_register_subcommands()


class PlanFormat(StrEnum):
    tree = "tree"
    sarif = "sarif"


def check_environment(environment: str) -> None:
    if environment not in ENVIRONMENTS:
        raise bad_option("--environment", environment, ", ".join(ENVIRONMENTS))


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        sys.stdout.write(f"fleet {version('aks-flux-fleet')}\n")
        raise typer.Exit()  # an eager option's own exit: it ends the command before any runs


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="On an error, print its whole story too (e.g. Azure's credential chain).")
    ] = False,
) -> None:
    """Operate a fleet of AKS + Flux stacks."""
    if not verbose:
        # azure-identity logs each credential it tries as a WARNING, many lines long; without --verbose an error
        # is one line (the error boundary names the fix), so the chain is kept out of stderr.
        logging.getLogger("azure.identity").setLevel(logging.CRITICAL)


@app.command(epilog="Example: `fleet plan -s staging --base HEAD` (what the uncommitted edits change)")
def plan(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="Stack name (stacks/Pulumi.<stack>.yaml).", callback=checked_name)
    ],
    json_path: Annotated[
        str | None, typer.Option("--json", help="Write the plan as JSON to PATH, or - for stdout.")
    ] = None,
    output_format: Annotated[
        PlanFormat, typer.Option("--format", help="tree (terminal) or sarif (code scanning).")
    ] = PlanFormat.tree,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where SARIF goes (implies --format sarif; - for stdout).")
    ] = None,
    no_policy: Annotated[bool, typer.Option("--no-policy", help="Skip the policy pack.")] = False,
    no_preflight: Annotated[
        bool, typer.Option("--no-preflight", help="Skip the GitOps preflight of locally reachable sources.")
    ] = False,
    policy_config: Annotated[
        Path | None, typer.Option("--policy-config", help="Policy config (default policies/config/<env>.json).")
    ] = None,
    base: Annotated[
        str | None, typer.Option("--base", help="Compare with the plan at this git ref (e.g. origin/main).")
    ] = None,
    allow_replace: Annotated[
        bool, typer.Option("--allow-replace", help="Accept replacing/deleting clusters, extension, configurations.")
    ] = False,
    stacks_dir: StacksDirOption = None,
) -> int:
    """Show what `pulumi up -s STACK` would create and what the baseline says of it, offline.

    Exit 0 clean, 1 blocked (SDK-model error, mandatory policy finding, guarded replace/delete), 2 bad input.
    """
    stacks_dir = project.stacks_dir(stacks_dir)
    # Heavy imports (Pulumi, azure-native) happen inside, after the policy pack process has started.
    from components.spec.loader import stack_path

    from .plan.render import render_plan
    from .plan.runner import plan_stack
    from .plan.sarif import to_sarif

    if output is not None and output_format is PlanFormat.tree:
        output_format = PlanFormat.sarif  # --output is where SARIF goes: asking for it is asking for SARIF
    if output_format is PlanFormat.sarif:
        if output is None:
            one_stdout(json=json_path, format_sarif=STDOUT)
        else:
            one_stdout(json=json_path, output=output)
    with progress.step(_plan_step(stack, policy=not no_policy, preflight=not no_preflight, base=base)):
        result = plan_stack(
            stacks_dir,
            stack,
            policy=not no_policy,
            policy_config=policy_config,
            base=base,
            allow_replace=allow_replace,
            preflight=not no_preflight,
        )
    if json_path:
        text = json.dumps(result.to_json(), indent=2) + "\n"
        if json_path == "-":
            sys.stdout.write(text)
        else:
            write_output(json_path, text)
    if output_format is PlanFormat.sarif:
        path = stack_path(stacks_dir, stack)
        found = project.find_project_file(path.parent)
        root = found.parent if found else path.parent
        display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        sarif = json.dumps(to_sarif(result, path, display_path=display), indent=2) + "\n"
        if output:
            write_output(output, sarif)
        else:
            sys.stdout.write(sarif)
    elif json_path != "-":
        render_plan(result, Console())
    return EXIT_BLOCKED if result.blocked else EXIT_CLEAN


def _plan_step(stack: str, *, policy: bool, preflight: bool, base: str | None) -> str:
    """What the spinner names while the plan runs: the parts that run together (the program, the policy pack's
    process and the preflight thread start at once in plan_stack), then the comparison with --base."""
    parts = ["program"] + (["policy pack"] if policy else []) + (["preflight"] if preflight else [])
    parts += [f"plan at {base}"] if base is not None else []
    return f"planning {stack}: {', '.join(parts)}"


@policy_app.command("list", epilog="Example: `fleet policy list -e staging`")
def policy_list(
    environment: Annotated[str, typer.Option("--environment", "-e", help="dev, staging or prod.")] = "prod",
) -> None:
    """Print the rule catalogue with each rule's enforcement in ENVIRONMENT."""
    check_environment(environment)
    table = Table(title=f"{len(CATALOGUE)} baseline rules ({environment})")
    for column in ("rule", "title", "severity", "enforcement", "remediation"):
        table.add_column(column)
    for rule in CATALOGUE:
        table.add_row(rule.id, rule.title, rule.severity, rule.enforcement_for(environment), rule.remediation)
    print_table(Console(), table)


def _show_other(rule_id: str, *, json_out: bool) -> None:
    """An id the tool emits that is not a baseline rule (PREFLIGHT-*, SDK-MODEL, FLUX-V1): fleet/findings.py
    describes each, so every finding any output names can be looked up here."""
    from .findings import OTHERS

    other = OTHERS.get(rule_id)
    if other is None:
        raise bad_option("RULE", rule_id, "a rule id of `fleet policy list`, or one of " + ", ".join(sorted(OTHERS)))
    if json_out:
        fields = {"rule": other.id, "title": other.title, "severity": other.severity, "remediation": other.remediation}
        sys.stdout.write(json.dumps(fields, indent=2) + "\n")
        return
    console = Console()
    console.print(f"[bold]{other.id}[/] {escape(other.title)} ({other.severity})")
    console.print(f"[dim]remediation:[/] {escape(other.remediation)}")
    console.print("[dim]enforcement:[/] not a baseline rule: reported by the command that finds it")


@policy_app.command("show", epilog="Example: `fleet policy show AKS-005 --json`")
def policy_show(
    rule_id: Annotated[str, typer.Argument(metavar="RULE", help="A rule id, e.g. AKS-005 (any case).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Print one rule in full: what, why, sources, remediation, enforcement per environment, Azure Policy mapping."""
    from .policy.azure_policy import azure_policy_mapping

    rule = next((r for r in CATALOGUE if r.id == rule_id.upper()), None)
    if rule is None:
        _show_other(rule_id.upper(), json_out=json_out)
        return
    enforcement = {env: rule.enforcement_for(env) for env in ENVIRONMENTS}
    fields: dict[str, object] = {
        "rule": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "property": rule.property_path,
        "why": rule.rationale,
        "remediation": rule.remediation,
        "enforcement": enforcement,
        "settings": dict(rule.config_schema),
        "azurePolicy": azure_policy_mapping(rule),
        "references": list(rule.references),
    }
    if json_out:
        sys.stdout.write(json.dumps(fields, indent=2) + "\n")
        return
    console = Console()
    console.print(f"[bold]{rule.id}[/] {escape(rule.title)} ({rule.severity})")
    for label, key in (("property", "property"), ("why", "why"), ("remediation", "remediation")):
        console.print(f"[dim]{label}:[/] {escape(str(fields[key]))}")
    console.print("[dim]enforcement:[/] " + ", ".join(f"{env} {level}" for env, level in enforcement.items()))
    for name, schema in rule.config_schema.items():
        console.print(f"[dim]setting:[/] {name} ({schema.get('type')}, default {schema.get('default')!r})")
    console.print(f"[dim]Azure Policy:[/] {escape(str(fields['azurePolicy']))}")
    for reference in rule.references:
        console.print(f"[dim]source:[/] {escape(reference)}")


@policy_app.command("config", epilog="Example: `fleet policy config -e staging -o policy-staging.json`")
def policy_config_command(
    environment: Annotated[str, typer.Option("--environment", "-e", help="dev, staging or prod.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")] = None,
) -> None:
    """Write the default policy-pack config for ENVIRONMENT (for `pulumi up --policy-pack-config`)."""
    from .policy.config import default_config

    check_environment(environment)
    text = json.dumps(default_config(environment), indent=2) + "\n"
    if output:
        write_output(output, text)
    else:
        sys.stdout.write(text)


@policy_app.command(
    "export-azure", epilog="Example: `fleet policy export-azure -o initiative -e prod --management-group mg-platform`"
)
def policy_export_azure(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for initiative.json and definitions/.")],
    environment: Annotated[
        str, typer.Option("--environment", "-e", help="Default effects: dev, staging, prod.")
    ] = "prod",
    management_group: Annotated[
        str, typer.Option("--management-group", help="Where the definitions are created (their ids).")
    ] = "{managementGroupId}",
) -> None:
    """Write the baseline as an Azure Policy initiative for clusters this repository does not manage."""
    from .policy.azure_policy import write_initiative

    check_environment(environment)
    with progress.step("writing the Azure Policy initiative"):
        written = write_initiative(output, environment, management_group=management_group)
    Console().print(f"wrote {len(written)} files to {output} (initiative.json + {len(written) - 1} definitions)")
