"""The typed cluster spec: pure (no Pulumi, no I/O beyond reading the stack file), shared by every consumer."""

from .cluster import ClusterSpec, NodePoolSpec, SystemPoolSpec
from .flux import FluxConfigurationSpec, FluxExtensionSpec, Kustomization, TenantConfigurationSpec
from .loader import (
    CLUSTER_KEY,
    NAMESPACE,
    PROTECT_KEY,
    StackConfig,
    available_stacks,
    load_stack,
    parse_cluster,
)
from .problems import Problem, SpecError
from .secrets import SecretRef

__all__ = [
    "CLUSTER_KEY",
    "NAMESPACE",
    "PROTECT_KEY",
    "ClusterSpec",
    "FluxConfigurationSpec",
    "FluxExtensionSpec",
    "Kustomization",
    "NodePoolSpec",
    "Problem",
    "SecretRef",
    "SpecError",
    "StackConfig",
    "SystemPoolSpec",
    "TenantConfigurationSpec",
    "available_stacks",
    "load_stack",
    "parse_cluster",
]
