"""An Azure Policy evaluator test double for the part of the policy language the export uses, so a definition's
verdict on a resource can be asserted rather than its JSON shape only.

Semantics, from learn.microsoft.com/azure/governance/policy/concepts/definition-structure-policy-rule:
- `allOf` / `anyOf` / `not`; `field` conditions (`exists`, `equals`, `notEquals`, `in`, `notIn`, `less`,
  `lessOrEquals`, `greater`, `greaterOrEquals`), string comparisons case-insensitive;
- `count` over a `[*]` field alias with an optional `where`, compared numerically;
- `value` conditions whose value may be a template expression `[...]`, with `current()` bound to the element
  a `where` is counting;
- `[parameters('name')]` in a condition's operand, bound to the definition's parameter defaults (or the values a
  test assigns); `count` nested inside a `where`, counting the inner array of the element being counted;
- the resource field `identity.type` ("Fields" on the same page);
- `ipRangeContains(range, targetRange)`: single addresses, CIDRs and `start-end` ranges; "empty ranges, or
  mixing between IP families isn't allowed and results in evaluation failure", and "a failed evaluation is an
  implicit deny". Text ipaddress cannot read also fails here: how Azure reads such text is not documented.
- `if` evaluates only the branch its condition picks (template-functions-logical#if); `contains` on strings is a
  case-sensitive substring test (template-functions-string#contains).
Aliases are resolved against a resource's properties as the rules see them (Pulumi inputs: `properties`
flattened), which is the shape `Microsoft.ContainerService/managedClusters/<path>` aliases name.
Anything else raises NotImplementedError, so a new construct in the export cannot pass untested.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_MISSING: Any = object()


class EvaluationFailure(Exception):
    """The policy engine could not evaluate the rule: Azure Policy treats this as a deny."""


@dataclass
class Scope:
    resource_type: str
    props: Mapping[str, Any]
    prefix: str  # "Microsoft.ContainerService/managedClusters/"
    current: dict[str, Any] = field(default_factory=dict)  # array alias ("...[*]") -> element being counted
    parameters: Mapping[str, Any] = field(default_factory=dict)


def verdict(
    definition: Mapping[str, Any],
    resource_type: str,
    props: Mapping[str, Any],
    prefix: str,
    parameters: Mapping[str, Any] | None = None,
) -> str:
    """ "deny" when the definition's `if` holds (or cannot be evaluated), else "allow"."""
    bound = {name: spec.get("defaultValue") for name, spec in definition["properties"].get("parameters", {}).items()}
    bound.update(parameters or {})
    try:
        holds = evaluate(
            definition["properties"]["policyRule"]["if"], Scope(resource_type, props, prefix, parameters=bound)
        )
    except EvaluationFailure:
        return "deny"
    return "deny" if holds else "allow"


def evaluate(condition: Mapping[str, Any], scope: Scope) -> bool:
    if "allOf" in condition:
        return all(evaluate(c, scope) for c in condition["allOf"])
    if "anyOf" in condition:
        return any(evaluate(c, scope) for c in condition["anyOf"])
    if "not" in condition:
        return not evaluate(condition["not"], scope)
    if "count" in condition:
        return _compare(condition, _count(condition["count"], scope), scope)
    if "field" in condition:
        return _compare(condition, _field(condition["field"], scope), scope)
    if "value" in condition:
        return _compare(condition, _value(condition["value"], scope), scope)
    raise NotImplementedError(f"condition {sorted(condition)}")


def _count(count: Mapping[str, Any], scope: Scope) -> int:
    alias = count["field"]
    if not alias.endswith("[*]"):
        raise NotImplementedError("count.field must be an array alias")
    items = _field(alias[: -len("[*]")], scope)
    if items is _MISSING or items is None:
        return 0
    total = 0
    for item in items:
        inner = Scope(scope.resource_type, scope.props, scope.prefix, {**scope.current, alias: item}, scope.parameters)
        total += "where" not in count or evaluate(count["where"], inner)
    return total


def _field(name: str, scope: Scope) -> Any:
    if name == "type":
        return scope.resource_type
    if name == "identity.type":
        return _walk(scope.props, name)
    if name in scope.current:
        return scope.current[name]
    # The innermost counted array first: in a nested count, `pools[*].taints[*]` is the taint, not a pool's property.
    for alias in sorted(scope.current, key=len, reverse=True):
        if name.startswith(alias + "."):
            return _walk(scope.current[alias], name[len(alias) + 1 :])
    if not name.startswith(scope.prefix) or "[*]" in name:
        raise NotImplementedError(f"field {name!r}")
    return _walk(scope.props, name[len(scope.prefix) :])


def _walk(node: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return _MISSING if node is None else node


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, b: a is not _MISSING and _norm(a) == _norm(b),
    "notEquals": lambda a, b: a is _MISSING or _norm(a) != _norm(b),
    "in": lambda a, b: a is not _MISSING and _norm(a) in [_norm(x) for x in b],
    "notIn": lambda a, b: a is _MISSING or _norm(a) not in [_norm(x) for x in b],
    "less": lambda a, b: a < b,
    "lessOrEquals": lambda a, b: a <= b,
    "greater": lambda a, b: a > b,
    "greaterOrEquals": lambda a, b: a >= b,
}


def _compare(condition: Mapping[str, Any], actual: Any, scope: Scope) -> bool:
    if "exists" in condition:
        return (actual is not _MISSING) == (str(condition["exists"]).lower() == "true")
    (operator,) = [k for k in condition if k in _OPERATORS]
    return _OPERATORS[operator](actual, _value(condition[operator], scope))


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    return value.lower() if isinstance(value, str) else value


# --- template expressions ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[(),]))")


def _value(value: Any, scope: Scope) -> Any:
    if not (isinstance(value, str) and value.startswith("[") and value.endswith("]")):
        return value
    tokens = _tokenize(value[1:-1])
    node, rest = _parse(tokens)
    if rest:
        raise NotImplementedError(f"trailing tokens in {value!r}")
    return _run(node, scope)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match:
            raise NotImplementedError(f"cannot tokenize {text[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _parse(tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
    (kind, text), rest = tokens[0], tokens[1:]
    if kind == "str":
        return ("lit", text[1:-1].replace("''", "'")), rest
    if kind == "num":
        return ("lit", int(text)), rest
    if kind != "name" or not rest or rest[0] != ("op", "("):
        raise NotImplementedError(f"expression at {text!r}")
    rest, args = rest[1:], []
    while rest[0] != ("op", ")"):
        arg, rest = _parse(rest)
        args.append(arg)
        if rest[0] == ("op", ","):
            rest = rest[1:]
    return ("call", text, args), rest[1:]


def _run(node: Any, scope: Scope) -> Any:
    if node[0] == "lit":
        return node[1]
    _, name, args = node
    if name == "if":
        return _run(args[1] if _run(args[0], scope) else args[2], scope)
    values = [_run(a, scope) for a in args]
    if name == "parameters":
        return scope.parameters[values[0]]
    if name == "current":
        if not values:
            (only,) = scope.current.values()
            return only
        return scope.current[values[0]]
    if name == "contains":
        container, item = values
        if not isinstance(container, str | list | dict):
            raise EvaluationFailure(f"contains() of {type(container).__name__}")
        return item in container
    if name == "or":
        return any(values)
    if name == "and":
        return all(values)
    if name == "not":
        return not values[0]
    if name == "ipRangeContains":
        return _ip_range_contains(*values)
    raise NotImplementedError(f"function {name}()")


def _ip_range(text: Any) -> tuple[int, int, int]:
    """(family, first, last) of a single address, CIDR or start-end range."""
    if not isinstance(text, str) or not text:
        raise EvaluationFailure(f"not an IP range: {text!r}")
    try:
        if "-" in text:
            start, end = (ipaddress.ip_address(part) for part in text.split("-", 1))
            if start.version != end.version:
                raise EvaluationFailure(f"mixed families in {text!r}")
            return start.version, int(start), int(end)
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as err:
        raise EvaluationFailure(str(err)) from None
    return network.version, int(network.network_address), int(network.broadcast_address)


def _ip_range_contains(outer: Any, inner: Any) -> bool:
    family, low, high = _ip_range(outer)
    inner_family, inner_low, inner_high = _ip_range(inner)
    if family != inner_family:
        raise EvaluationFailure("ipRangeContains across IP families")
    return low <= inner_low and inner_high <= high
