"""The rule model and the safe property accessors every rule uses.

A rule is a pure function over one resource in the canonical shape (Pulumi azure-native inputs:
camelCase, `properties` flattened), or over all resources of a stack. Rules never crash on a property
of an unexpected type: the accessors raise PropertyTypeError, which `evaluate` turns into a finding that
names the property. This package imports nothing outside the standard library, so the CrossGuard pack
can be published on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Severity = Literal["low", "medium", "high", "critical"]
Enforcement = Literal["advisory", "mandatory", "disabled"]
ENVIRONMENTS = ("dev", "staging", "prod")
ENFORCEMENTS: tuple[Enforcement, ...] = ("advisory", "mandatory", "disabled")

CLUSTER = ("containerservice", "ManagedCluster")
POOL = ("containerservice", "AgentPool")
EXTENSION = ("kubernetesconfiguration", "Extension")
FLUX_CONFIG = ("kubernetesconfiguration", "FluxConfiguration")


def type_key(token: str) -> tuple[str, str]:
    """`azure-native:containerservice/v20240401preview:ManagedCluster` -> ("containerservice", "ManagedCluster")."""
    parts = token.split(":")
    if len(parts) != 3:
        return ("", token)
    return (parts[1].split("/")[0], parts[2])


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    dependencies: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return type_key(self.type)


@dataclass(frozen=True)
class Context:
    """What a rule may know beyond the resource: the environment and its own configuration."""

    environment: str = "prod"
    config: Mapping[str, Any] = field(default_factory=dict)
    # Support windows are judged on this day (tests pin it; everything else uses today).
    today: date = field(default_factory=date.today)


@dataclass(frozen=True)
class Finding:
    rule: str
    resource: str
    message: str


class PropertyTypeError(Exception):
    def __init__(self, path: str, expected: str, value: Any) -> None:
        super().__init__(f"{path} should be {expected}, found {type(value).__name__}")
        self.path = path


ResourceCheck = Callable[[Resource, Context], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Context], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    property_path: str
    # Which resources the rule judges, by (module, type name) so versioned tokens match too.
    applies_to: tuple[tuple[str, str], ...]
    check: ResourceCheck | StackCheck
    stack_level: bool = False
    # False for rules about how a change is deployed (ordering), which a live resource cannot answer.
    live: bool = True
    # Where a violation blocks; anything missing here is mandatory.
    enforcement: Mapping[str, Enforcement] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def policy_name(self) -> str:
        """The CrossGuard policy name: stable, lower-case, derived from the id."""
        return self.id.lower()

    def enforcement_for(self, environment: str) -> Enforcement:
        return self.enforcement.get(environment, "mandatory")

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config_schema.items() if "default" in v}


def evaluate(rule: Rule, resource: Resource, ctx: Context) -> list[Finding]:
    """Run a resource rule; a property of an unexpected type is reported, never raised."""
    if rule.stack_level or resource.key not in rule.applies_to:
        return []
    try:
        messages: list[str] = list(rule.check(resource, _with_defaults(rule, ctx)))  # type: ignore[arg-type]
    except PropertyTypeError as err:
        messages = [f"cannot judge: {err}"]
    return [Finding(rule.id, resource.name, m) for m in messages]


def evaluate_stack(rule: Rule, resources: Sequence[Resource], ctx: Context) -> list[Finding]:
    if not rule.stack_level:
        return []
    try:
        pairs: list[tuple[str, str]] = list(rule.check(resources, _with_defaults(rule, ctx)))  # type: ignore[arg-type]
    except PropertyTypeError as err:
        pairs = [("", f"cannot judge: {err}")]
    return [Finding(rule.id, name, message) for name, message in pairs]


def _with_defaults(rule: Rule, ctx: Context) -> Context:
    return Context(environment=ctx.environment, config={**rule.defaults(), **ctx.config}, today=ctx.today)


# --- accessors -------------------------------------------------------------------------------------------

_MISSING: Any = object()


def get(props: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """Walk `a.b.c` through nested mappings; missing keys give `default`, a non-mapping on the way raises."""
    node: Any = props
    walked: list[str] = []
    for part in path.split("."):
        if node is None:
            return default
        if not isinstance(node, Mapping):
            raise PropertyTypeError(".".join(walked), "an object", node)
        walked.append(part)
        node = node.get(part, _MISSING)
        if node is _MISSING:
            return default
    return default if node is None else node


def get_bool(props: Mapping[str, Any], path: str, default: bool | None = None) -> bool | None:
    value = get(props, path, default)
    if value is not None and not isinstance(value, bool):
        raise PropertyTypeError(path, "true or false", value)
    return value


def get_str(props: Mapping[str, Any], path: str, default: str | None = None) -> str | None:
    value = get(props, path, default)
    if value is not None and not isinstance(value, str):
        raise PropertyTypeError(path, "a string", value)
    return value


def get_int(props: Mapping[str, Any], path: str, default: int | None = None) -> int | None:
    value = get(props, path, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise PropertyTypeError(path, "a number", value)
    return value


def get_list(props: Mapping[str, Any], path: str) -> list[Any]:
    value = get(props, path, [])
    # CrossGuard hands rules read-only Sequence proxies rather than lists.
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise PropertyTypeError(path, "a list", value)
    return list(value)


def get_map(props: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    value = get(props, path, {})
    if not isinstance(value, Mapping):
        raise PropertyTypeError(path, "an object", value)
    return value


def addon(props: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """An add-on profile by name, matched case-insensitively (ARM accepts `azurepolicy` and `azurePolicy`)."""
    for key, value in get_map(props, "addonProfiles").items():
        if key.lower() == name.lower():
            if not isinstance(value, Mapping):
                raise PropertyTypeError(f"addonProfiles.{key}", "an object", value)
            return value
    return {}


def node_pools(resource: Resource) -> list[tuple[str, Mapping[str, Any]]]:
    """Every pool a resource declares, with the path prefix to name it: inline profiles or an AgentPool."""
    if resource.key == POOL:
        return [("", resource.props)]
    pools = []
    for i, profile in enumerate(get_list(resource.props, "agentPoolProfiles")):
        if not isinstance(profile, Mapping):
            raise PropertyTypeError(f"agentPoolProfiles[{i}]", "an object", profile)
        pools.append((f"agentPoolProfiles[{i}].", profile))
    return pools


def pool_label(resource: Resource, prefix: str, pool: Mapping[str, Any]) -> str:
    name = pool.get("name") if prefix else resource.props.get("agentPoolName", resource.name)
    return f"pool {name!s}" if name else prefix.rstrip(".")
