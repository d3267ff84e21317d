"""A small evaluator of Bicep expressions as pycep-parser parses them, for the templates' own logic.

It covers what the parity tests evaluate (the postBuild injection of main.bicep and modules/flux-configuration.bicep)
and refuses anything else, so a template change it does not understand fails a test instead of passing unread.
Function semantics follow Microsoft Learn's Bicep function reference: union() lets later object values win and
merges nested objects (nested arrays are replaced), string() of an object is compact JSON, items() yields
{key, value} pairs, json() parses JSON text, tenant() is the deployment's tenant.

pycep gives identifiers and string literals alike as plain strings; a string is read as a name when the scope has
one of that name, as a literal otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pycep import BicepParser

Scope = Mapping[str, Any]


class Unsupported(Exception):
    pass


def _union(*values: Any) -> Any:
    if all(isinstance(v, dict) for v in values):
        out: dict[str, Any] = {}
        for value in values:
            for key, item in value.items():
                out[key] = _union(out[key], item) if isinstance(out.get(key), dict) and isinstance(item, dict) else item
        return out
    if all(isinstance(v, list) for v in values):
        merged: list[Any] = []
        for value in values:
            merged += [item for item in value if item not in merged]
        return merged
    raise Unsupported(f"union of {values!r}")


def _string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _empty(value: Any) -> bool:
    return value is None or len(value) == 0


def _interpolate(text: str, scope: Scope) -> str:
    out, i = [], 0
    while (start := text.find("${", i)) >= 0:
        depth, j, quoted = 1, start + 2, False
        while depth:
            c = text[j]
            if c == "'":
                quoted = not quoted
            elif not quoted and c == "{":
                depth += 1
            elif not quoted and c == "}":
                depth -= 1
            j += 1
        expression = BicepParser().parse(text=f"var x = {text[start + 2 : j - 1]}\n")["variables"]["x"]["value"]
        out += [text[i:start], _string(evaluate(expression, scope))]
        i = j
    return "".join([*out, text[i:]])


def _path(node: Any) -> list[Any]:
    """The right-nested operand_2 of a property accessor (`x.a.b` is x, accessor(a, b)) as a list of keys."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict) and node.get("operator", {}).get("type") == "property_accessor":
        operands = node["operator"]["operands"]
        return [operands["operand_1"], *_path(operands["operand_2"])]
    raise Unsupported(f"property path {node!r}")


def _loop(node: dict[str, Any], scope: Scope) -> list[Any]:
    loop = node["loop_type"]
    detail = loop["detail"]
    if node.get("condition") is not None or loop["type"] not in ("array", "array_index"):
        raise Unsupported(f"loop {loop!r}")
    out = []
    for index, item in enumerate(evaluate(detail["array_name"], scope)):
        inner = {**scope, detail["item_name"]: item}
        if loop["type"] == "array_index":
            inner[detail["index_name"]] = index
        out.append(evaluate(node["config"], inner))
    return out


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "union": _union,
    "contains": lambda container, item: item in container,
    "empty": _empty,
    "json": json.loads,
    "string": _string,
    "join": lambda items, delimiter: delimiter.join(items),
    "items": lambda value: [{"key": k, "value": v} for k, v in sorted(value.items())],
    "skip": lambda value, count: value[count:],
}


def evaluate(node: Any, scope: Scope) -> Any:
    if isinstance(node, str):
        if node in scope:
            return scope[node]
        return _interpolate(node, scope) if "${" in node else node
    if node is None or isinstance(node, bool | int):
        return node
    if isinstance(node, list):
        return [evaluate(item, scope) for item in node]
    if "loop_type" in node:
        return _loop(node, scope)
    if set(node) == {"function"}:
        function = node["function"]
        if function["type"] == "tenant":
            return scope["tenant()"]
        if function["type"] not in _FUNCTIONS:
            raise Unsupported(f"function {function['type']}")
        return _FUNCTIONS[function["type"]](*(evaluate(a, scope) for a in function["parameters"].values()))
    if set(node) == {"operator"}:
        kind, operands = node["operator"]["type"], node["operator"]["operands"]
        if kind == "conditional":
            branch = "true_value" if evaluate(operands["condition"], scope) else "false_value"
            return evaluate(operands[branch], scope)
        if kind == "not":
            return not evaluate(operands["bool_value"], scope)
        if kind == "index_accessor":
            return evaluate(operands["operand_1"], scope)[evaluate(operands["operand_2"], scope)]
        if kind == "property_accessor":
            value = evaluate(operands["operand_1"], scope)
            for key in _path(operands["operand_2"]):
                value = value[key]
            return value
        raise Unsupported(f"operator {kind}")
    return {key: evaluate(value, scope) for key, value in node.items()}


def variables(tree: Mapping[str, Any], scope: Scope) -> dict[str, Any]:
    """Every variable of a parsed file, in declaration order (a variable reads only those before it here)."""
    out = dict(scope)
    for name, variable in tree.get("variables", {}).items():
        out[name] = evaluate(variable["value"], out)
    return out


def module_scope(tree: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """A module's parameters (its defaults where none is given) and then its variables."""
    scope: dict[str, Any] = {}
    for name, parameter in tree.get("parameters", {}).items():
        if name in params:
            scope[name] = params[name]
        elif "default" in parameter:
            scope[name] = evaluate(parameter["default"], scope)
        else:
            raise KeyError(f"parameter {name} has no value and no default")
    return variables(tree, scope)
