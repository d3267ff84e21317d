"""`fleet plan` as a function: load and validate a stack, run the program offline, validate the result,
and judge it with the policy pack over its gRPC protocol."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from components.spec import StackConfig
from components.spec.redact import redact_data
from fleet.findings import PolicyFinding
from fleet.policy.pack_process import start_pack, stop_pack

from .model import Plan


def plan_stack(
    stacks_dir: Path,
    stack: str,
    *,
    policy: bool = True,
    policy_config: Path | None = None,
    base: str | None = None,
    allow_replace: bool = False,
    preflight: bool = False,
) -> Plan:
    """Raises components.spec.SpecError on bad input (stack file, policy config, base ref), before anything runs.

    With `base`, the plan is compared with the plan at that git ref: every change is listed, and replacing
    or deleting a protected resource blocks unless `allow_replace`.
    """
    from components.spec import load_stack
    from fleet.git import checked_revision
    from fleet.policy.config import config_path, load_config

    if base is not None:
        checked_revision(base, "--base")
    loaded = load_stack(stacks_dir, stack)
    environment = loaded.spec.environment
    config = load_config(policy_config or config_path(environment)) if policy else {}
    # The pack boots in its own process, and preflight (kubectl builds) runs on a thread, while this one
    # imports Pulumi and runs the program.
    process = start_pack() if policy else None
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preflight")
    preflight_report = background.submit(_preflight, stacks_dir, stack) if preflight else None
    try:
        plan = _plan(stacks_dir, loaded)
        plan.environment = environment
        if process is not None:
            from fleet.policy.analyzer import connect

            from .engine import PROJECT

            client, channel = connect(process)
            try:
                client.configure(config)
                client.configure_stack(stack, PROJECT, {"environment": environment})
                plan.findings.extend(client.analyze(plan.resources))
            finally:
                channel.close()
        if preflight_report is not None:
            # Where the Git source is reachable locally, the plan also proves it will reconcile.
            plan.findings.extend(preflight_report.result().findings)
    finally:
        if process is not None:
            stop_pack(process)
        background.shutdown(wait=False)
    plan.skipped = [name for name, ran in (("policy", policy), ("preflight", preflight)) if not ran]
    plan.findings = _suppressed(loaded, plan)
    if base is not None:
        from fleet.gitrepo import repo_root

        from .at_ref import plan_at_ref
        from .diff import diff_plans, guard

        plan.base = base
        plan.changes = diff_plans(plan_at_ref(repo_root(stacks_dir), base, stack), plan)
        plan.guard_violations = [] if allow_replace else guard(plan.changes)
    # Every output of a plan (tree, JSON, SARIF, drift, the diff at a base ref) is drawn from this object, so it
    # is redacted here once: findings and SDK errors may quote values, the preflight may quote git and kustomize.
    return redact_data(plan)


def _suppressed(loaded: StackConfig, plan: Plan) -> list[PolicyFinding]:
    """The findings with the stack file's suppressions applied (reported as suppressed, never dropped)."""
    from components.spec.loader import display_path
    from components.spec.suppressions import today
    from fleet.suppressions import apply_suppressions

    spec = loaded.spec
    return apply_suppressions(
        plan.findings,
        spec.suppressions,
        resources=[r.name for r in plan.resources],
        file=display_path(loaded.path),
        today=today(),
    )


def _preflight(stacks_dir: Path, stack: str) -> Any:
    from fleet.preflight import preflight_stack
    from fleet.process import ProgramMissing

    try:
        return preflight_stack(stacks_dir, stack)
    except ProgramMissing as missing:  # kubectl: the plan itself does not need it
        raise ProgramMissing(f"{missing}; or skip the GitOps preflight with --no-preflight") from None


def _plan(stacks_dir: Path, loaded: StackConfig) -> Plan:
    from components import program

    from .engine import run_program
    from .sdk_validation import validate_resources

    plan = run_program(loaded, lambda: program.main(stacks_dir))
    plan.errors.extend(validate_resources(plan.resources))
    return plan
