"""Build the rollout's health gate for a stack from its spec: which configuration, which commit."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from components.spec import StackConfig, load_stack
from components.spec.flux import RepositoryRef
from fleet.azure import AzureContext
from fleet.errors import BadInput

from .flux_gate import GateResult, GateTarget, wait_for_compliance
from .git_ref import resolve_commit

Resolver = Callable[[str, RepositoryRef], str | None]


def subscription_of(loaded: StackConfig, default: str | None = None) -> str:
    """The stack's `azure-native:subscriptionId` config, else --subscription, else AZURE_SUBSCRIPTION_ID."""
    value = loaded.raw_config.get("azure-native:subscriptionId") or default or os.environ.get("AZURE_SUBSCRIPTION_ID")
    if not value:
        raise BadInput(f"{loaded.stack}: no subscription (set azure-native:subscriptionId or --subscription)")
    return str(value)


def target_for(loaded: StackConfig, resolver: Resolver = resolve_commit) -> GateTarget:
    spec = loaded.spec
    platform = spec.flux.platform
    git = platform.source.git
    return GateTarget(
        resource_group=spec.resource_group_name,
        cluster=spec.name,
        configuration=platform.name,
        expected_commit=resolver(git.url, git.ref) if git else None,
        kustomizations=tuple(platform.kustomizations),
    )


def flux_gate(
    stacks_dir: Path,
    azure: AzureContext,
    *,
    subscription: str | None = None,
    timeout: float = 1800.0,
    initial_interval: float = 5.0,
    max_interval: float = 60.0,
    resolver: Resolver = resolve_commit,
) -> Callable[[str], GateResult]:
    def gate(stack: str) -> GateResult:
        loaded = load_stack(stacks_dir, stack)
        reader = azure.kubernetes_configuration(subscription_of(loaded, subscription)).flux_configurations
        return wait_for_compliance(
            reader,
            target_for(loaded, resolver),
            timeout=timeout,
            initial_interval=initial_interval,
            max_interval=max_interval,
        )

    return gate
